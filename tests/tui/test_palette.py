"""The command palette offers every action of the screen and every known run."""

from __future__ import annotations

from textual.command import CommandPalette

from echoer_tui.app import make_app
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench

from .conftest import SIZE, ActionService, readme_fsl, until


async def test_palette_runs_screen_actions_and_opens_runs(
    workbench: Workbench, action_service: ActionService
) -> None:
    replies = await workbench.apply_fsl(readme_fsl(action_service.url))
    assert all(r.status == "ok" for r in replies)
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Resources", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"graph of run my_flow", "enter")
        await until(pilot, lambda: isinstance(app.screen, GraphScreen))
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await until(pilot, lambda: screen.run is not None)
        assert screen.run_name == "my_flow_run"


async def test_the_palette_offers_the_screens_keys_not_the_editors_cursor_moves(
    workbench: Workbench,
) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE):
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Submit", "Submit all", "Fmt", "Preview", "Resources", "Help"} <= titles
        assert not [t for t in titles if t.lower().startswith("cursor")], sorted(titles)
