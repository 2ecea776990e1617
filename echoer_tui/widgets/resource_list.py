"""A virtual table for the resource browser: only the visible rows are ever drawn.

DataTable builds per-row render state on `add_row`; 10,000 runs took seconds to
settle. Here a row is a tuple of strings in a list, a key maps to its index, and
`render_line` draws the few rows on screen, so loading 10,000 rows costs a list
build and a live change costs a tuple replacement.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Row = tuple[str, ...]
MAX_COLUMN = 60
"""Widest a column grows (longer cells are cut)."""


class ResourceList(ScrollView, can_focus=True):
    """Rows keyed by name under a fixed header; a cursor row; Enter selects."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, resource_list: ResourceList, key: str) -> None:
            super().__init__()
            self.resource_list = resource_list
            self.key = key

        @property
        def control(self) -> ResourceList:
            return self.resource_list

    class Selected(Highlighted):
        """Enter (or a click on the cursor row) on a row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: tuple[str, ...] = ()
        self._keys: list[str] = []
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._widths: list[int] = []

    # Data.
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> dict[str, int]:
        """Key -> row index (supports `key in resource_list.rows`)."""
        return self._index

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor] if 0 <= self.cursor < len(self._keys) else None

    def get_cell(self, key: str, column: str) -> str:
        return self._rows[self._index[key]][self.columns.index(column)]

    def set_rows(self, columns: Sequence[str], rows: Iterable[tuple[str, Row]]) -> None:
        """Replace everything; the cursor stays on the same key when it still exists."""
        previous = self.cursor_key
        self.columns = tuple(columns)
        self._keys, self._rows = [], []
        for key, row in rows:
            self._keys.append(key)
            self._rows.append(row)
        self._reindex()
        self._widths = [len(c) for c in self.columns]
        for row in self._rows:
            self._widen(row)
        self._resize()
        self.set_reactive(ResourceList.cursor, self._index.get(previous or "", 0))
        self._announce()

    def upsert(self, key: str, row: Row) -> None:
        """Change one row in place, or add it in name order."""
        index = self._index.get(key)
        if index is None:
            index = _insertion_point(self._keys, key)
            self._keys.insert(index, key)
            self._rows.insert(index, row)
            self._reindex()
            if index <= self.cursor and len(self._rows) > 1:
                self.set_reactive(ResourceList.cursor, self.cursor + 1)
            self._widen(row)
            self._resize()
        else:
            self._rows[index] = row
            self._widen(row)
            self.refresh()

    def remove_row(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return
        del self._keys[index], self._rows[index]
        self._reindex()
        if self.cursor >= len(self._rows):
            self.set_reactive(ResourceList.cursor, max(0, len(self._rows) - 1))
        elif index < self.cursor:
            self.set_reactive(ResourceList.cursor, self.cursor - 1)
        self._resize()
        self._announce()

    def _reindex(self) -> None:
        self._index = {key: i for i, key in enumerate(self._keys)}

    def _widen(self, row: Row) -> None:
        for i, cell in enumerate(row[: len(self._widths)]):
            if len(cell) > self._widths[i]:
                self._widths[i] = min(MAX_COLUMN, len(cell))

    def _resize(self) -> None:
        width = sum(self._widths) + 2 * len(self._widths)
        self.virtual_size = Size(width, len(self._rows) + 1)
        self.refresh()

    def _announce(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Highlighted(self, key))

    # Drawing: line 0 is the header, the rest scroll under it.
    def _cells(self, row: Row) -> str:
        return "".join(
            (cell[:width] if len(cell) > width else cell).ljust(width + 2)
            for cell, width in zip(row, self._widths, strict=False)
        )

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            text = self._cells(self.columns)
            style = base + Style(bold=True, underline=True)
        else:
            index = y - 1 + scroll_y
            if index >= len(self._rows):
                return Strip.blank(width, base)
            text = self._cells(self._rows[index])
            style = base
            if index == self.cursor:
                style = base + Style(reverse=True, bold=self.has_focus)
        return Strip([Segment(text, style)]).crop_extend(scroll_x, scroll_x + width, style)

    def watch_cursor(self, cursor: int) -> None:
        _, scroll_y = self.scroll_offset
        visible = max(1, self.size.height - 1)
        if cursor < scroll_y:
            self.scroll_to(y=cursor, animate=False)
        elif cursor >= scroll_y + visible:
            self.scroll_to(y=cursor - visible + 1, animate=False)
        self.refresh()
        self._announce()

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    # Keys and mouse.
    def action_move(self, delta: int) -> None:
        if self._rows:
            self.cursor = max(0, min(len(self._rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        if self._rows:
            self.cursor = index % len(self._rows)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = event.y - 1 + self.scroll_offset[1]
        if 0 <= index < len(self._rows):
            if index == self.cursor:
                self.action_select()
            self.cursor = index


def _insertion_point(keys: list[str], key: str) -> int:
    """Where `key` goes to keep name order (the store lists by name)."""
    return bisect_left(keys, key)
