"""Deleting a run in the browser: the detail pane and the graph's Attempts panel say
"deleted" and keep nothing of the run (no "does not exist" error, no stale attempts)."""

from __future__ import annotations

from textual.widgets import Static

from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.modals import ConfirmModal
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.resource_list import ResourceList

from .conftest import ActionService, opened_on, readme_fsl, until


def _text(screen: GraphScreen | ResourcesScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_deleting_the_run_shown_clears_its_detail_and_its_attempts(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, graph):
        await until(pilot, lambda: bool(graph.attempts) and "#1" in _text(graph, "#attempts"))

        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        resources = app.screen
        assert isinstance(resources, ResourcesScreen)
        table = resources.query_one("#table", ResourceList)
        await until(pilot, lambda: table.cursor_key == "my_flow_run")
        await until(pilot, lambda: "flowrun my_flow_run" in _text(resources, "#summary"))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")

        await until(pilot, lambda: "my_flow_run" not in table.rows)
        await until(pilot, lambda: "deleted" in _text(resources, "#summary"))
        assert _text(resources, "#summary") == "flowrun my_flow_run deleted"
        assert _text(resources, "#json") == ""

        await pilot.press("f4")
        await until(pilot, lambda: app.screen is graph)
        await until(pilot, lambda: _text(graph, "#attempts") == "deleted")
        assert graph.run is None and graph.attempts == []
        assert _text(graph, "#run-status") == "flow run my_flow_run deleted"
