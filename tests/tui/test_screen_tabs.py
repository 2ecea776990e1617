"""The tab strip along the top: every screen with its key, the shown one marked."""

from __future__ import annotations

from echoer_tui.app import make_app
from echoer_tui.screens.help import HelpScreen
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.screen_tabs import ScreenTabs

from .conftest import SIZE, until


async def test_the_tab_strip_names_every_screen_and_a_click_shows_one(
    workbench: Workbench,
) -> None:
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.screen.query_one(ScreenTabs)
        line = tabs.render().plain
        for key, title in (
            ("F2", "Editor"),
            ("F3", "Resources"),
            ("F4", "Graph"),
            ("F6", "Events"),
        ):
            assert f"{key} {title}" in line
        await pilot.click(ScreenTabs, offset=(line.index("F3 Resources") + 2, 0))
        await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
        # The strip on the screen now shown marks it as the current one.
        assert app.screen.query_one(ScreenTabs).current == "resources"


async def test_help_and_quit_stay_on_the_strip_at_80_columns(workbench: Workbench) -> None:
    app = make_app(workbench)
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.screen.query_one(ScreenTabs)
        line = tabs.render().plain
        assert len(line) <= 80 and line.rstrip().endswith("F1 Help   ^Q Quit")
        await pilot.click(ScreenTabs, offset=(line.index("F1 Help") + 1, 0))
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
