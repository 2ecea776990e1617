"""The editor: highlighting from the project's lexer, completion, fmt, files."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from echoer_tui.app import make_app
from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.modals import PathModal
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.fsl_editor import FlowEditor, lex_line

from .conftest import SIZE, ActionService, opened_on, until


def test_a_line_is_highlighted_by_the_fsl_lexer() -> None:
    line = 'step A => (SUCCESS->done) { action = "ci"; };'
    names = {name for _, _, name in lex_line(line)}
    assert {"keyword", "string", "operator", "state"} <= names
    start, end, _ = next(h for h in lex_line(line) if h[2] == "string")
    assert line.encode()[start:end] == b'"ci"'


async def test_completion_offers_action_names_after_action_eq(
    workbench: Workbench, action_service: ActionService
) -> None:
    replies = await workbench.apply_fsl(
        f'action deploy\n addr = "{action_service.url}/d";\n method = http;\n'
        " args = (str p);\n return = (OK | NO);\naction_end\n/\n"
    )
    assert all(r.status == "ok" for r in replies)
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one("#editor", FlowEditor)
        editor.load_text("flow_run r\n  step A => (OK->done) { action = de")
        editor.move_cursor(editor.document.end)
        await until(pilot, lambda: "deploy" in workbench.known_names("action"))
        await pilot.press("ctrl+n")
        options = app.screen.query_one("#completion", OptionList)
        await until(pilot, lambda: bool(options.display) and options.option_count > 0)
        assert options.get_option_at_index(0).id == "deploy"
        await pilot.press("enter")
        await until(pilot, lambda: editor.text.endswith("action = deploy"))


async def test_fmt_rewrites_the_document_in_the_canonical_layout(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one("#editor", FlowEditor)
        editor.load_text(
            'action   ci addr="http://127.0.0.1:9/ci";method=http;args=(str p);'
            "return=(OK|NO);action_end"
        )
        await pilot.press("ctrl+f")
        await until(pilot, lambda: editor.text.startswith("action ci\n"))
        assert "action_end" in editor.text


async def test_save_then_open_an_fsl_file(workbench: Workbench, tmp_path: Path) -> None:
    path = tmp_path / "flows.fsl"
    async with opened_on(workbench, EditorScreen) as (app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        editor.load_text("# saved\n")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PathModal))
        app.screen.query_one("#path").value = str(path)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: path.exists())
        assert path.read_text() == "# saved\n"
        editor.load_text("")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PathModal))
        await pilot.press("enter")  # the modal offers the saved path
        await until(pilot, lambda: editor.text == "# saved\n")


async def test_after_submit_the_editor_shows_no_already_exists_errors(
    workbench: Workbench, action_service: ActionService
) -> None:
    action = (
        f'action deploy\n addr = "{action_service.url}/d";\n method = http;\n'
        " args = (str p);\n return = (OK | NO);\naction_end\n"
    )
    async with opened_on(workbench, EditorScreen) as (_app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        flow = 'flow f\n step A => (OK->done) { action = "deploy"; };\nflow_end\n'
        editor.load_text(action + flow)
        await pilot.press("f8")
        await until(pilot, lambda: screen.applied == ("action deploy", "flow f"))
        assert not [d for d in editor.diagnostics if d.severity == "error"]
        status = str(screen.query_one("#editor-status").render())
        assert "2 already applied" in status and "0 error(s)" in status
        # Changing what was applied, under the same name, is an error again.
        editor.load_text(action.replace("OK | NO", "OK | NO | MAYBE"))
        await until(pilot, lambda: any("already exists" in d.message for d in editor.diagnostics))
        assert screen.applied == ()


BROKEN_SECOND = """# two actions; the second has a bad type on line 11
action a
    addr = "http://127.0.0.1:1/a";
    method = http;
    args = (str p);
    return = (OK);
action_end
/
action b
    addr = "http://127.0.0.1:1/b";
    args = (integer n);
    return = (OK);
action_end
/
"""


async def test_replies_point_at_the_documents_lines_whatever_way_it_is_submitted(
    workbench: Workbench,
) -> None:
    async with opened_on(workbench, EditorScreen) as (_app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        editor.load_text(BROKEN_SECOND)
        # The editor's own diagnostic and the reply name the same line: 11.
        await until(pilot, lambda: any(d.span.line == 11 for d in editor.diagnostics))

        editor.move_cursor((10, 0))  # inside `action b`
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(screen.replies) == 1)
        assert screen.replies[0].render().startswith("E| 11:13:"), screen.replies[0].render()

        await pilot.press("f8")  # the whole document
        await until(pilot, lambda: len(screen.replies) == 3)
        assert screen.replies[1].render() == "OK" or "already exists" in screen.replies[1].render()
        assert screen.replies[2].render().startswith("E| 11:13:")

        editor.select_all()  # a selection
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(screen.replies) == 5)
        assert screen.replies[4].render().startswith("E| 11:13:")


async def test_ctrl_home_and_ctrl_end_go_to_the_ends_of_the_document(
    workbench: Workbench,
) -> None:
    async with opened_on(workbench, EditorScreen) as (_app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        editor.load_text("list action\n/\nlist flow\n/\n")
        editor.move_cursor((2, 3))
        await pilot.press("ctrl+home")
        assert editor.cursor_location == (0, 0)
        await pilot.press("ctrl+end")
        assert editor.cursor_location == editor.document.end
