"""The virtual list under the resource browser: rows are cells only when drawn, column
widths come from the first rows, and a longer cell met later widens its column."""

from __future__ import annotations

from textual.app import App, ComposeResult

from echoer_tui.app import make_app
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.resource_list import WIDTH_SAMPLE, ResourceList

from .conftest import SIZE, until

COUNT = WIDTH_SAMPLE + 500
LONG = WIDTH_SAMPLE + 300
"""The one item, beyond the width sample, whose state is longer than every other."""


def row_of(item: dict[str, str]) -> tuple[str, ...]:
    return (item["name"], item["state"])


def items() -> list[dict[str, str]]:
    return [
        {"name": f"run-{i:05d}", "state": "a much longer state" if i == LONG else "done"}
        for i in range(COUNT)
    ]


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResourceList(id="table")


def shown_lines(table: ResourceList) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_a_longer_cell_beyond_the_sample_widens_its_column_when_drawn() -> None:
    app = ListApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ResourceList)
        rows = items()
        table.set_rows(("name", "state"), [r["name"] for r in rows], rows, row_of)
        await pilot.pause()
        assert table.row_count == COUNT
        assert "a much longer state" not in "".join(shown_lines(table))
        narrow = table.virtual_size.width

        table.focus()
        table.cursor = LONG
        await until(pilot, lambda: table.virtual_size.width > narrow)
        await pilot.pause()
        (line,) = [line for line in shown_lines(table) if line.startswith(f"run-{LONG:05d}")]
        assert "a much longer state" in line
        # Every row now lines up under the wider column.
        header = shown_lines(table)[0]
        assert header.index("state") == line.index("a much longer state")


async def test_a_changed_item_is_drawn_again_and_an_added_one_goes_in_name_order() -> None:
    app = ListApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ResourceList)
        rows = items()[:10]
        table.set_rows(("name", "state"), [r["name"] for r in rows], rows, row_of)
        await pilot.pause()
        assert table.get_cell("run-00003", "state") == "done"

        table.upsert("run-00003", {"name": "run-00003", "state": "running"})
        table.upsert("run-00004a", {"name": "run-00004a", "state": "new"})
        await pilot.pause()
        assert table.get_cell("run-00003", "state") == "running"
        assert table.rows["run-00004a"] == 5
        lines = shown_lines(table)
        assert lines[4].startswith("run-00003") and "running" in lines[4]
        assert lines[6].startswith("run-00004a") and "new" in lines[6]

        table.remove_row("run-00003")
        await pilot.pause()
        assert "run-00003" not in table.rows and table.row_count == 10


async def test_screens_wear_the_theme_chosen_before_and_after_their_first_show(
    workbench: Workbench,
) -> None:
    # The app spares new screens Textual's full restyle on their first show (a smoke
    # test of that: a screen mounting for the first time gets the current styles), and
    # a screen shown before a theme change is restyled when it shows again.
    app = make_app(workbench)

    def background() -> str:
        return str(app.current_theme.to_color_system().generate()["background"]).lower()

    async with app.run_test(size=SIZE) as pilot:
        # First shown after a theme change, then shown again after another.
        for theme in ("textual-light", "textual-dark"):
            app.switch_mode("editor")
            await pilot.pause()
            app.theme = theme
            await pilot.pause()
            app.switch_mode("resources")
            await until(pilot, lambda: isinstance(app.screen, ResourcesScreen))
            await pilot.pause()
            assert app.screen.styles.background.hex.lower() == background(), theme
