"""Replay on the graph: `h` shows the run as it was at a transition of its history,
`[` and `]` move through it, `h` goes back to the live run."""

from __future__ import annotations

from textual.widgets import Static

from echoer_tui.screens.graph import GraphScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph

from .conftest import ActionService, opened_on, readme_fsl, until


def _text(screen: GraphScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_replay_walks_back_through_the_history_and_h_returns_to_live(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (_app, pilot, screen):

        def at(step: str) -> bool:
            run = screen.run or {}
            waiting = [a for a in screen.attempts if a["spec"]["step_name"] == step]
            return run.get("spec", {}).get("current_state") == step and bool(waiting)

        await until(pilot, lambda: at("A"))
        await workbench.ack("my_flow_run", "A", "SUCCESS", data="built")
        await until(pilot, lambda: at("D"))
        await workbench.ack("my_flow_run", "D", "AGREE")
        await until(pilot, lambda: at("B"))
        graph = screen.query_one("#graph", FlowGraph)

        await pilot.press("h")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 3/3"))
        assert "step B" in _text(screen, "#attempts")
        # The pane's title names the keys, brackets and all (not read as markup).
        title = screen.query_one("#attempts-pane")._border_title  # what the border draws
        assert title is not None and title.plain == "Replay: [ earlier  ] later  h live"

        await pilot.press("left_square_bracket")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 2/3"))
        panel = _text(screen, "#attempts")
        assert "step D" in panel and "answered AGREE" in panel

        await pilot.press("left_square_bracket")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 1/3"))
        panel = _text(screen, "#attempts")
        assert "step A" in panel and "answered SUCCESS" in panel and "data     built" in panel
        status = _text(screen, "#run-status")
        assert "replay 1/3" in status
        assert status.split("history: ")[1].strip() == "ready → A"  # D, B had not come yet
        assert graph.selected == "A"

        await pilot.press("right_square_bracket")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 2/3"))

        await pilot.press("h")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("step "))
        assert screen.replay_index == 0
        status = _text(screen, "#run-status")
        assert "replay" not in status and status.endswith("A → D → B")
        assert screen.query_one("#attempts-pane").border_title == "Attempts"


async def test_escape_leaves_replay_and_the_keys_do_nothing_when_live(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (_app, pilot, screen):
        await until(pilot, lambda: bool(screen.attempts))
        await pilot.press("left_square_bracket")
        assert screen.replay_index == 0
        await pilot.press("h")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 1/1"))
        await pilot.press("escape")
        await until(pilot, lambda: screen.replay_index == 0)
        assert _text(screen, "#attempts").startswith("step A")


async def test_the_replay_of_a_finished_run_ends_on_its_end(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    for step, state in (("A", "SUCCESS"), ("D", "REJECT"), ("C", "SUCCESS")):
        await action_service.next_dispatch()
        await workbench.ack("my_flow_run", step, state)
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (_app, pilot, screen):
        await until(
            pilot, lambda: (screen.run or {}).get("spec", {}).get("current_state") == "done"
        )
        await pilot.press("h")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 4/4"))
        assert "the run ended: done" in _text(screen, "#attempts")
        assert screen.query_one("#graph", FlowGraph).selected == "done"
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 3/4"))
        assert "step C" in _text(screen, "#attempts")
        await pilot.press("right_square_bracket", "right_square_bracket")  # no further
        await until(pilot, lambda: _text(screen, "#attempts").startswith("replay 4/4"))
