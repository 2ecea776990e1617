"""A step whose dispatch fails waits in the delay queue: its box on the graph shows the
retry count and counts the seconds to the next try down, live."""

from __future__ import annotations

import re
import socket

from echoer_tui.app import make_app
from echoer_tui.messages import RunOpened
from echoer_tui.screens.graph import GraphScreen, with_retries
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph, StepView

from .conftest import SIZE, opened_on, until

FSL = """action refused
    addr = "http://127.0.0.1:{port}/refused";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
    retry = 3;
action_end
/
flow_run retrying
    step A => (SUCCESS->done | FAIL->done) {{ action = "refused"; args = (project="p"); }};
flow_run_end
/
"""


def closed_port() -> int:
    """A loopback port nothing listens on: a dispatch to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def countdown(screen: GraphScreen, retry: int) -> int | None:
    """The seconds box A shows before retry `retry`, if it shows that retry."""
    text = "\n".join(screen.query_one("#graph", FlowGraph).text_lines())
    found = re.search(rf"↻{retry} in (\d+)s", text)
    return int(found.group(1)) if found else None


async def test_a_step_waiting_to_retry_counts_down_to_its_next_try(workbench: Workbench) -> None:
    async with opened_on(workbench, GraphScreen, "retrying") as (_app, pilot, screen):
        replies = await workbench.apply_fsl(FSL.format(port=closed_port()))
        assert [r.render() for r in replies] == ["OK", "OK"]
        # Retry 3 waits 4 s (1 s base, doubled per retry): long enough to see it tick.
        await until(pilot, lambda: countdown(screen, 3) is not None, timeout=15)
        first = countdown(screen, 3)
        assert first is not None and first >= 1
        await until(pilot, lambda: countdown(screen, 3) == first - 1, timeout=5)
        # The attempt behind the countdown is the one whose dispatches were refused.
        retrying = [a["spec"] for a in screen.attempts if a["spec"]["retry_count"] == 3]
        assert retrying and retrying[-1]["last_err"]


async def test_a_run_already_waiting_to_retry_shows_its_countdown_when_opened(
    workbench: Workbench,
) -> None:
    replies = await workbench.apply_fsl(FSL.format(port=closed_port()))
    assert [r.render() for r in replies] == ["OK", "OK"]

    async def retry_count() -> int:
        attempts = await workbench.attempts("retrying")
        return max((int(a["spec"]["retry_count"]) for a in attempts), default=0)

    # The retry is scheduled before any screen shows the run.
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(300):
            if await retry_count() >= 2:
                break
            await pilot.pause(0.05)
        assert await retry_count() >= 2, "the dispatches were never retried"
        app.post_message(RunOpened("retrying"))
        await until(pilot, lambda: isinstance(app.screen, GraphScreen))
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await until(
            pilot, lambda: any(countdown(screen, n) is not None for n in (2, 3)), timeout=10
        )
        attempts = str(screen.query_one("#attempts").render())
        assert "next try" in attempts


def test_a_pending_retry_comes_from_the_attempt_alone() -> None:
    # No timer, no store: the attempt's own next_try_time marks the step.
    waiting = {
        "metadata": {"name": "r.A.1"},
        "spec": {"step_name": "A", "retry_count": 2, "next_try_time": 1_000.0},
    }
    answered = {
        "metadata": {"name": "r.B.2"},
        "spec": {
            "step_name": "B",
            "retry_count": 1,
            "next_try_time": 900.0,
            "response": {"state": "SUCCESS"},
        },
    }
    views = with_retries({"A": StepView("current"), "B": StepView("done")}, [waiting, answered])
    assert views["A"].status == "retrying"
    assert (views["A"].retries, views["A"].next_try) == (2, 1_000.0)
    assert views["B"] == StepView("done")  # answered meanwhile: no countdown
