"""A virtual table for the resource browser: only the visible rows are ever drawn.

DataTable builds per-row render state on `add_row`; 10,000 runs took seconds to
settle. Here the list keeps what it was given (one item per key, e.g. a resource
summary) and turns an item into its row of cells only when that row is drawn, so
loading 10,000 runs costs two list copies and a live change costs one replacement.
Column widths come from the first `WIDTH_SAMPLE` rows, as textual-fastdatatable
(Harlequin's table) does; a longer cell met later widens its column then.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

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
RowOf = Callable[[Any], Row]
MAX_COLUMN = 60
"""Widest a column grows (longer cells are cut)."""
WIDTH_SAMPLE = 1_000
"""Rows measured for the column widths when the list is filled."""


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
        self._items: list[Any] = []
        self._row_of: RowOf = lambda item: ()
        self._drawn: dict[str, Row] = {}
        """Rows already turned into cells, by key (only those drawn or asked for)."""
        self._index: dict[str, int] = {}
        self._widths: list[int] = []

    # Data.
    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def rows(self) -> dict[str, int]:
        """Key -> row index (supports `key in resource_list.rows`)."""
        return self._index

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor] if 0 <= self.cursor < len(self._keys) else None

    def get_cell(self, key: str, column: str) -> str:
        return self._row(self._index[key])[self.columns.index(column)]

    def set_rows(
        self, columns: Sequence[str], keys: Sequence[str], items: Sequence[Any], row_of: RowOf
    ) -> None:
        """Replace everything: `items[i]` is drawn as `row_of(items[i])` under `keys[i]`
        (keys in name order). The cursor stays on the same key when it still exists."""
        previous = self.cursor_key
        self.columns = tuple(columns)
        self._keys, self._items, self._row_of = list(keys), list(items), row_of
        self._drawn = {}
        self._reindex()
        self._widths = [len(c) for c in self.columns]
        for index in range(min(WIDTH_SAMPLE, len(self._keys))):
            self._widen(self._row(index))
        self._resize()
        self.set_reactive(ResourceList.cursor, self._index.get(previous or "", 0))
        self._announce()

    def upsert(self, key: str, item: Any) -> None:
        """Change one row in place, or add it in name order."""
        self._drawn.pop(key, None)
        index = self._index.get(key)
        if index is None:
            index = _insertion_point(self._keys, key)
            self._keys.insert(index, key)
            self._items.insert(index, item)
            self._reindex()
            if index <= self.cursor and len(self._keys) > 1:
                self.set_reactive(ResourceList.cursor, self.cursor + 1)
            self._widen(self._row(index))
            self._resize()
        else:
            self._items[index] = item
            if self._widen(self._row(index)):
                self._resize()
            else:
                self.refresh()

    def remove_row(self, key: str) -> None:
        index = self._index.get(key)
        if index is None:
            return
        del self._keys[index], self._items[index]
        self._drawn.pop(key, None)
        self._reindex()
        if self.cursor >= len(self._keys):
            self.set_reactive(ResourceList.cursor, max(0, len(self._keys) - 1))
        elif index < self.cursor:
            self.set_reactive(ResourceList.cursor, self.cursor - 1)
        self._resize()
        self._announce()

    def _row(self, index: int) -> Row:
        key = self._keys[index]
        row = self._drawn.get(key)
        if row is None:
            row = self._drawn[key] = self._row_of(self._items[index])
        return row

    def _reindex(self) -> None:
        self._index = {key: i for i, key in enumerate(self._keys)}

    def _widen(self, row: Row) -> bool:
        """Grow the widths to fit `row`; whether any grew."""
        grew = False
        for i, cell in enumerate(row[: len(self._widths)]):
            if len(cell) > self._widths[i] and self._widths[i] < MAX_COLUMN:
                self._widths[i] = min(MAX_COLUMN, len(cell))
                grew = True
        return grew

    def _resize(self) -> None:
        width = sum(self._widths) + 2 * len(self._widths)
        self.virtual_size = Size(width, len(self._keys) + 1)
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
            if index >= len(self._keys):
                return Strip.blank(width, base)
            row = self._row(index)
            if self._widen(row):
                # Drawn with the old widths so far: draw the whole list again.
                self.call_later(self._resize)
            text = self._cells(row)
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
        if self._keys:
            self.cursor = max(0, min(len(self._keys) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        if self._keys:
            self.cursor = index % len(self._keys)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = event.y - 1 + self.scroll_offset[1]
        if 0 <= index < len(self._keys):
            if index == self.cursor:
                self.action_select()
            self.cursor = index


def _insertion_point(keys: list[str], key: str) -> int:
    """Where `key` goes to keep name order (the store lists by name)."""
    return bisect_left(keys, key)
