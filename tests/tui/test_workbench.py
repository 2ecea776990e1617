"""The workbench as a person uses it, through `make_app()`, on the real runtime."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList, RichLog

from echoer_tui.app import make_app
from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.modals import AckModal, ConfirmModal
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph
from echoer_tui.widgets.fsl_editor import FlowEditor
from echoer_tui.widgets.resource_list import ResourceList

from .conftest import SIZE, ActionService, opened_on, readme_fsl, until

ACTION = """action ci
    addr = "{url}/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end"""


def log_text(log: RichLog) -> str:
    return "\n".join(strip.text for strip in log.lines)


async def create(workbench: Workbench, fsl: str) -> None:
    replies = await workbench.apply_fsl(fsl)
    assert all(r.status != "error" for r in replies), [r.render() for r in replies]


async def run_state(workbench: Workbench, run: str) -> str:
    resource = await workbench.get("flowrun", run)
    return str(resource["spec"]["current_state"])


async def test_typing_fsl_with_an_error_shows_the_diagnostic(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one("#editor", FlowEditor)
        editor.insert(
            'flow_run r\n    step A => (SUCCESS->done) { action = "nope"; };\nflow_run_end'
        )
        await until(pilot, lambda: bool(editor.diagnostics))
        assert any("nope" in d.message for d in editor.diagnostics)
        row = editor.diagnostics[0].span.line - 1
        editor.move_cursor((row, 0))
        await pilot.pause()
        status = str(app.screen.query_one("#editor-status").render())
        assert "error" in status


async def test_a_slash_line_submits_the_statement_above_it(
    workbench: Workbench, action_service: ActionService
) -> None:
    async with opened_on(workbench, EditorScreen) as (app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        editor.insert(ACTION.format(url=action_service.url) + "\n")
        await pilot.press("/", "enter")
        replies = app.screen.query_one("#replies", RichLog)
        await until(pilot, lambda: "OK" in log_text(replies))
        assert "E|" not in log_text(replies)
        assert "ci" in workbench.known_names("action") or await workbench.get("action", "ci")


async def test_ctrl_r_submits_the_statement_under_the_cursor(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one("#editor", FlowEditor)
        editor.insert("list action")
        await pilot.press("ctrl+r")
        replies = app.screen.query_one("#replies", RichLog)
        await until(pilot, lambda: "R|" in log_text(replies) or "OK" in log_text(replies))


async def test_resources_list_created_items_and_follow_a_run_live(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, readme_fsl(action_service.url))
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one("#table", ResourceList)
        await until(pilot, lambda: "my_flow_run" in table.rows)
        await until(pilot, lambda: table.get_cell("my_flow_run", "state") == "A")
        await workbench.ack("my_flow_run", "A", "SUCCESS")
        # No key pressed: the watch moves the row.
        await until(pilot, lambda: table.get_cell("my_flow_run", "state") == "D")
        await pilot.press("1")
        await until(pilot, lambda: set(table.rows) >= {"ci", "approval", "notify"})
        await pilot.press("slash", *"appr", "enter")
        await until(pilot, lambda: set(table.rows) == {"approval", "approval_2"})


async def test_delete_asks_for_confirmation(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, ACTION.format(url=action_service.url) + "\n/\n")
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "1")
        table = app.screen.query_one("#table", ResourceList)
        await until(pilot, lambda: "ci" in table.rows)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        assert await workbench.count("action") == 1
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: "ci" not in table.rows)
        assert await workbench.count("action") == 0


async def test_graph_shows_the_readme_steps_and_the_current_one(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (_app, pilot, screen):
        graph = screen.query_one("#graph", FlowGraph)
        await until(pilot, lambda: graph.graph_layout is not None)
        assert graph.graph_layout is not None
        assert set(graph.graph_layout.boxes) == {"A", "D", "B", "E", "C", "done"}
        text = "\n".join(graph.text_lines())
        assert "│ D " in text and "approval_2" in text
        await until(pilot, lambda: "running" in "\n".join(graph.text_lines()))
        box = graph.graph_layout.boxes["A"]
        assert "running" in graph.text_lines()[box.y + 3]


async def test_manual_ack_from_the_graph_moves_the_run(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):
        await until(pilot, lambda: screen.run is not None and bool(screen.attempts))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AckModal))
        states = app.screen.query_one("#states", OptionList)
        assert [states.get_option_at_index(i).id for i in range(states.option_count)] == [
            "SUCCESS",
            "FAIL",
        ]
        await pilot.press("enter")  # the first state: SUCCESS
        state: dict[str, Any] = {}

        async def moved() -> bool:
            state["now"] = await run_state(workbench, "my_flow_run")
            return state["now"] == "D"

        await until(pilot, lambda: screen.run is not None and _current(screen) == "D")
        assert await moved()
        graph = screen.query_one("#graph", FlowGraph)
        assert graph.graph_layout is not None
        box = graph.graph_layout.boxes["D"]
        assert "running" in graph.text_lines()[box.y + 3]


def _current(screen: GraphScreen) -> str:
    assert screen.run is not None
    return str(screen.run["spec"]["current_state"])


async def test_help_and_every_screen_open(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        names = []
        for key in ("f3", "f4", "f6", "f2"):
            await pilot.press(key)
            await pilot.pause()
            names.append(type(app.screen).__name__)
        assert names == ["ResourcesScreen", "GraphScreen", "EventsScreen", "EditorScreen"]
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))


async def test_a_narrow_screen_gives_the_runs_list_room_to_the_graph(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, readme_fsl(action_service.url))
    app = make_app(workbench, initial_run="my_flow_run")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await pilot.pause()
        assert not screen.query_one("#runs").display
        narrow_graph = screen.query_one("#graph").size.width
        await pilot.resize_terminal(120, 36)
        await until(pilot, lambda: screen.query_one("#runs").display)
        assert narrow_graph >= 40  # 80 columns less the attempts panel, not less the list
