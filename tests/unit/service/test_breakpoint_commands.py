"""`break` / `unbreak <flowrun>.<step>`: parsed in one place, run by the LocalWorkbench."""

from __future__ import annotations

import re

import pytest

from echoer_tui.errors import CommandError
from echoer_tui.service import commands as cmd
from echoer_tui.service.facade import RunArgs
from echoer_tui.service.local import LocalWorkbench
from tests.unit.model.builders import action, flow, step
from tests.unit.service.conftest import ActionService
from tests.unit.service.test_local import seed, wait_for_state


def test_break_and_unbreak_parse_a_run_and_a_step() -> None:
    assert cmd.parse_command("break p1.B") == cmd.Breakpoint("p1", "B", on=True)
    assert cmd.parse_command("unbreak p1.B") == cmd.Breakpoint("p1", "B", on=False)
    # The step is after the last dot, as for `ack`.
    assert cmd.parse_command("break my.run.B") == cmd.Breakpoint("my.run", "B")


@pytest.mark.parametrize(
    ("statement", "says"),
    [
        ("break", "expected `break <flowrun>.<step>`"),
        ("unbreak p1", "expected <flowrun>.<step>, got 'p1'"),
        ("break p1. ", "expected <flowrun>.<step>"),
        ("break p1.B extra", "expected `break <flowrun>.<step>`"),
    ],
)
def test_bad_break_statements_say_what_was_expected(statement: str, says: str) -> None:
    with pytest.raises(CommandError, match=re.escape(says)):
        cmd.parse_command(statement)


def test_help_lists_both_commands() -> None:
    text = cmd.help_text()
    assert "break <flowrun>.<step>" in text and "unbreak <flowrun>.<step>" in text
    assert "break" in cmd.COMMAND_NAMES and "unbreak" in cmd.COMMAND_NAMES


async def test_break_holds_the_run_until_continue(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    await seed(
        workbench,
        action("build", {"project": "str"}, ["OK", "KO"], addr=f"{action_service.url}/build"),
        action("ship", {"project": "str"}, ["OK"], addr=f"{action_service.url}/ship"),
        flow("pipe", step("B", "build", "OK->S | KO->B"), step("S", "ship", "OK->done")),
    )
    await workbench.run_flow("pipe", "p1", RunArgs({"project": "demo"}))
    assert (await action_service.next_dispatch())["stepName"] == "B"

    reply = await workbench.execute("break p1.S")
    assert reply.render() == "OK", reply.text
    assert reply.data["spec"]["breakpoints"] == ["S"]
    assert (await workbench.execute("ack p1.B OK")).render() == "OK"
    held = await wait_for_state(workbench, "p1", "suspend")
    assert held["spec"]["last_state"] == "S"
    events = [e["spec"]["message"] for e in await workbench.events("p1")]
    assert "held at breakpoint before step S" in events

    assert (await workbench.execute("continue flowrun p1")).render() == "OK"
    sent = await action_service.next_dispatch()
    assert sent["stepName"] == "S"
    assert action_service.dispatches.empty()  # S went out once, after continue

    assert (await workbench.execute("unbreak p1.S")).data["spec"]["breakpoints"] == []
    assert (await workbench.execute("ack p1.S OK")).render() == "OK"
    await wait_for_state(workbench, "p1", "done")


async def test_break_refusals_are_replies_not_tracebacks(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    await seed(
        workbench,
        action("build", {"project": "str"}, ["OK"], addr=f"{action_service.url}/build"),
        flow("pipe", step("B", "build", "OK->done")),
    )
    await workbench.run_flow("pipe", "p1", RunArgs({"project": "demo"}))
    unknown = await workbench.execute("break p1.Z")
    assert unknown.status == "error" and "'Z'" in unknown.text
    assert (await workbench.execute("break ghost.B")).status == "error"
    assert (await workbench.execute("unbreak p1.B")).text.endswith("has no breakpoint")
    assert (await workbench.execute("stop flowrun p1")).render() == "OK"
    finished = await workbench.execute("break p1.B")
    assert finished.status == "error" and "has finished" in finished.text
    assert (await workbench.get("flowrun", "p1"))["spec"]["breakpoints"] == []
