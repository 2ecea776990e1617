"""Showing the run already on the graph keeps its selected step, so `r` still re-runs."""

from __future__ import annotations

from typing import Any

from textual.app import App

from echoer_tui.screens.graph import GraphScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph

from .conftest import ActionService, opened_on, readme_fsl, until


def _loading(app: App[Any]) -> bool:
    return any(w.group == "load" and not w.is_finished for w in app.workers)


def _state(screen: GraphScreen) -> str:
    return str(screen.run["spec"]["current_state"]) if screen.run else ""


async def test_show_run_of_the_shown_run_keeps_a_step_selected_and_r_reruns(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):
        graph = screen.query_one("#graph", FlowGraph)
        await until(pilot, lambda: _state(screen) == "A" and graph.selected == "A")
        await workbench.stop("my_flow_run")
        await until(pilot, lambda: _state(screen) == "stopped")

        loading = screen.show_run("my_flow_run")  # as the browser or a reply does
        await until(pilot, lambda: loading.is_finished and not _loading(app))
        assert _state(screen) == "stopped"
        assert graph.selected == "A"

        await pilot.press("r")
        await until(pilot, lambda: _state(screen) == "A")
        attempts = await workbench.attempts("my_flow_run")
        assert [a["spec"]["step_name"] for a in attempts] == ["A", "A"]
