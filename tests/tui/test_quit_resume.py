"""Quitting the workbench loses nothing: a run in flight waits where it was and goes on
after the next start, and unsaved editor text is not dropped without asking."""

from __future__ import annotations

from pathlib import Path

from echoer_tui.app import make_app
from echoer_tui.config import Listen
from echoer_tui.runtime import embedded
from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.modals import ConfirmModal
from echoer_tui.service.facade import Workbench

from .conftest import SIZE, ActionService, readme_fsl, until


async def test_a_run_in_flight_when_the_workbench_quits_goes_on_after_the_next_start(
    tmp_path: Path, action_service: ActionService
) -> None:
    data = tmp_path / "data"
    async with embedded(data, Listen("127.0.0.1", 0)) as workbench:
        replies = await workbench.apply_fsl(readme_fsl(action_service.url))
        assert all(r.status == "ok" for r in replies), [r.render() for r in replies]
        sent = await action_service.next_dispatch()
        assert sent["stepName"] == "A"
        app = make_app(workbench)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+q")
            await until(pilot, lambda: app.return_code is not None)

    # The next start, on the same data directory, as `echoer` would open it.
    async with embedded(data, Listen("127.0.0.1", 0)) as workbench:
        run = await workbench.get("flowrun", "my_flow_run")
        assert run["spec"]["current_state"] == "A"
        await workbench.ack("my_flow_run", "A", "SUCCESS")
        run = await workbench.get("flowrun", "my_flow_run")
        assert run["spec"]["current_state"] == "D"
        assert run["spec"]["history_states"][-2:] == ["A", "D"]
        # The engine of the new start sends the next step to its action.
        sent = await action_service.next_dispatch()
        assert sent["stepName"] == "D"


async def test_quitting_with_unsaved_editor_text_asks_first(
    workbench: Workbench, tmp_path: Path
) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        screen.editor.insert("action half_written\n")
        await until(pilot, lambda: "[modified]" in str(screen.query_one("#editor-status").render()))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.return_code is None  # still running, the text still there
        assert "half_written" in screen.editor.text

        # Saved, it quits at once.
        screen.save_file(tmp_path / "draft.fsl", screen.editor.text)
        await until(pilot, lambda: not screen.modified)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None)


async def test_quitting_anyway_discards_the_unsaved_text(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        screen.editor.insert("# scratch\n")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: app.return_code is not None)
