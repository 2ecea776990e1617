"""SVG snapshots of the workbench's main views, through `make_app()` on the real runtime.

Each view is driven to a state with nothing that changes between runs: no clock text
(the graph shows a step without attempts, the browser hides the raw JSON with its
uuids and times), no random port (the footer's API address is set to a fixed one),
no toast. Update them with `pytest tests/tui/test_snapshots.py --snapshot-update`
after a change of look, and read the SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label, Static

from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.help import HelpScreen
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph
from echoer_tui.widgets.fsl_editor import FlowEditor
from echoer_tui.widgets.resource_list import ResourceList
from tests.support.fsl_samples import README_ACTIONS

from .conftest import ActionService, opened_on, readme_fsl, until

API_ADDRESS = "API http://127.0.0.1:8080"
"""What the footers show instead of the runtime's free port."""

WITH_AN_ERROR = """\
action ci
    addr = "http://localhost:18080/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end
/
flow_run r
    step A => (SUCCESS->done | FAIL->A) {
        action = "nope";
        args = (project = "p");
    };
flow_run_end
"""


async def screenshot(app: App[Any], pilot: Pilot[Any]) -> str:
    """The screen as an SVG, with every footer's API address fixed."""
    await fix_api_address(app, pilot)
    app.clear_notifications()
    await pilot.pause()
    return app.export_screenshot()


async def fix_api_address(app: App[Any], pilot: Pilot[Any]) -> None:
    """Put `API_ADDRESS` in the footers of the screens shown (a screen under a modal
    is drawn as it last was: fix it before the modal opens)."""
    for screen in app.screen_stack:
        for label in screen.query(".api-address").results(Label):
            label.update(API_ADDRESS)
    await pilot.pause()


def svg(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(SVGImageExtension)


async def test_editor_with_a_diagnostic(workbench: Workbench, snapshot: SnapshotAssertion) -> None:
    async with opened_on(workbench, EditorScreen) as (app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        editor.load_text(WITH_AN_ERROR)
        await until(pilot, lambda: any("nope" in d.message for d in editor.diagnostics))
        editor.move_cursor((9, 20))  # on `action = "nope"`: the status line quotes it
        status = screen.query_one("#editor-status", Static)
        await until(pilot, lambda: "nope" in str(status.render()))
        assert svg(snapshot) == await screenshot(app, pilot)


async def test_resources_lists_the_readme_actions(
    workbench: Workbench, snapshot: SnapshotAssertion
) -> None:
    await workbench.apply_fsl(README_ACTIONS)  # never dispatched: no run is started
    async with opened_on(workbench, EditorScreen) as (app, pilot, _editor):
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        await until(pilot, lambda: screen.focused is screen.query_one("#table"))
        await pilot.press("1", "v")
        table = screen.query_one("#table", ResourceList)
        await until(pilot, lambda: screen.kind == "action" and table.row_count == 5)
        await until(pilot, lambda: screen.counts["action"] == 5)
        summary = screen.query_one("#summary", Static)
        await until(pilot, lambda: str(summary.render()).startswith(f"action {table.cursor_key} "))
        assert not screen.query_one("#json").display
        assert svg(snapshot) == await screenshot(app, pilot)


async def test_graph_of_the_readme_run_after_two_acks(
    workbench: Workbench, action_service: ActionService, snapshot: SnapshotAssertion
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):

        def at(step: str) -> bool:
            run = screen.run or {}
            waiting = [a for a in screen.attempts if a["spec"]["step_name"] == step]
            return run.get("spec", {}).get("current_state") == step and bool(waiting)

        await until(pilot, lambda: at("A"))
        await workbench.ack("my_flow_run", "A", "SUCCESS")
        await until(pilot, lambda: at("D"))
        await workbench.ack("my_flow_run", "D", "AGREE")
        await until(pilot, lambda: at("B"))
        # A step not reached yet: its panel has no dispatch or ack times to print.
        screen.query_one("#graph", FlowGraph).selected = "E"
        attempts = screen.query_one("#attempts", Static)
        await until(pilot, lambda: str(attempts.render()).startswith("step E"))
        assert svg(snapshot) == await screenshot(app, pilot)


async def test_help(workbench: Workbench, snapshot: SnapshotAssertion) -> None:
    async with opened_on(workbench, EditorScreen) as (app, pilot, _editor):
        await fix_api_address(app, pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert svg(snapshot) == await screenshot(app, pilot)
