"""`b` on the graph sets a breakpoint on the selected step: the run holds before the
step's next entry until `c` continues it; `b` again clears it."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from echoer_tui.screens.graph import GraphScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph

from .conftest import ActionService, opened_on, readme_fsl, until


def _spec(screen: GraphScreen) -> dict[str, Any]:
    return dict((screen.run or {}).get("spec") or {})


async def test_b_sets_a_breakpoint_the_run_holds_at_and_c_continues(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    first = await action_service.next_dispatch()
    assert first["stepName"] == "A"
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (_app, pilot, screen):
        graph = screen.query_one("#graph", FlowGraph)
        await until(pilot, lambda: _spec(screen).get("current_state") == "A")
        await until(pilot, lambda: graph.selected == "A")

        await pilot.press("b")
        await until(pilot, lambda: _spec(screen).get("breakpoints") == ["A"])
        panel = str(screen.query_one("#attempts", Static).render())
        assert "breakpoint" in panel
        # The box itself carries the mark, selected or not.
        await until(pilot, lambda: any("● " in line for line in graph.text_lines()))

        # FAIL->A re-enters A: the run holds there, the new attempt unsent.
        await workbench.ack("my_flow_run", "A", "FAIL")
        await until(pilot, lambda: _spec(screen).get("current_state") == "suspend")
        assert action_service.dispatches.empty()
        attempts = await workbench.attempts("my_flow_run")
        assert [a["spec"]["dispatched_time"] > 0 for a in attempts] == [True, False]
        # Held, not running: the box says so.
        await until(pilot, lambda: any("held" in line for line in graph.text_lines()))
        assert not any("running" in line for line in graph.text_lines())

        await pilot.press("c")
        second = await action_service.next_dispatch()
        assert second["stepName"] == "A" and second["uuid"] == attempts[-1]["metadata"]["uuid"]
        await until(pilot, lambda: _spec(screen).get("current_state") == "A")

        await pilot.press("b")
        await until(pilot, lambda: _spec(screen).get("breakpoints") == [])
        run = await workbench.get("flowrun", "my_flow_run")
        assert run["spec"]["breakpoints"] == []
