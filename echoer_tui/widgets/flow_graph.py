"""The step graph of a flow run, drawn live and scrollable.

The layout (`graph_layout`) is computed once per definition; a live update only
changes which style each cell gets, so a run that moves costs a restyle of the
grid, not a new layout. Only the visible lines are turned into strips.

Why a restyle builds nothing up front: a 200-step graph is ~1,500 lines, and a strip per
line (each with its own caches) is tens of thousands of objects that live until the
next restyle. Allocating that many survivors set off a full garbage collection on
about every second redraw, which cost more than the drawing. So a restyle only
records the status texts and forgets its styles; each owner's Style is computed once,
when a visible line first needs it, and lines become strips when they are rendered.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from echoer_tui.model.export import Graph
from echoer_tui.widgets.graph_layout import Canvas, GraphLayout, NodeBox, layout, rasterize

# ANSI colour names so the graph reads the same in 16-colour terminals.
STYLES: dict[str, Style] = {
    "idle": Style(color="white", dim=True),
    "current": Style(color="yellow", bold=True),
    "held": Style(color="yellow", bold=True, italic=True),
    "done": Style(color="green"),
    "failed": Style(color="red", bold=True),
    "edge": Style(color="bright_black"),
    "taken": Style(color="cyan", bold=True),
    "label": Style(color="white"),
    "selected": Style(reverse=True, bold=True),
    "retrying": Style(color="magenta", bold=True),
    "warning": Style(color="yellow"),
    "error": Style(color="red"),
}
_PLAIN = Style()
"""For cells nobody owns (the background between boxes and edges)."""


@dataclass(frozen=True, slots=True)
class StepView:
    """What the graph shows about one step of a run."""

    status: str = "idle"
    """idle, current, held (current, and the run is paused or at a breakpoint), done or
    failed; retrying (waiting in the delay queue); warning or error (a lint finding in
    the editor's preview)."""
    attempts: int = 0
    last_state: str = ""
    retries: int = 0
    """Dispatch retries of the step's attempt so far."""
    next_try: float | None = None
    """When the next dispatch retry is due (epoch seconds): the box counts down to it."""
    note: str = ""
    breakpoint: bool = False
    """The run holds before dispatching this step (marked ● on its box)."""


_UNSEEN = StepView()
"""The view of a step the run has not reached (shared: views are immutable)."""

Run = tuple[int, int, str]
"""Cells `start:end` of one grid row with one owner, so one style."""


class FlowGraph(ScrollView, can_focus=True):
    """Boxes for steps, arrows labelled with states; click or arrow keys select a step."""

    BINDINGS = [
        Binding("right,tab", "select_step(1)", "Next step", show=False),
        Binding("left,shift+tab", "select_step(-1)", "Previous step", show=False),
    ]

    selected: reactive[str] = reactive("", init=False)

    class StepSelected(Message):
        """The selected step changed (by click or key)."""

        def __init__(self, graph: FlowGraph, step: str) -> None:
            super().__init__()
            self.graph = graph
            self.step = step

        @property
        def control(self) -> FlowGraph:
            return self.graph

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._definition: tuple[object, ...] = ()
        self._layout: GraphLayout | None = None
        self._canvas: Canvas | None = None
        self._views: dict[str, StepView] = {}
        self._taken: frozenset[tuple[str, str]] = frozenset()
        self._runs: dict[int, tuple[Run, ...]] = {}
        """Per row, its runs of one owner: fixed by the layout, found when first drawn."""
        self._status_rows: dict[int, tuple[NodeBox, ...]] = {}
        """Per row, the boxes whose live status line is on it: fixed by the layout."""
        self._status: dict[int, tuple[tuple[int, str], ...]] = {}
        """Per row, (x, text) of the status texts of the last restyle."""
        self._styles: dict[str, Style] = {}
        """Owner -> Style for the last restyle, filled as lines are drawn."""
        self._strips: dict[int, Strip] = {}
        """Rows drawn since the last restyle."""

    @property
    def graph_layout(self) -> GraphLayout | None:
        return self._layout

    def show(
        self,
        graph: Graph,
        views: Mapping[str, StepView],
        taken: frozenset[tuple[str, str]],
    ) -> None:
        """Draw `graph`; lay it out again only when its definition changed."""
        definition = (graph.steps,)
        if definition != self._definition:
            self._definition = definition
            self._layout = layout(graph)
            self._canvas = rasterize(self._layout)
            self._runs = {}
            status_rows: dict[int, list[NodeBox]] = {}
            for box in self._layout.boxes.values():
                if box.kind != "end":
                    status_rows.setdefault(box.y + 3, []).append(box)
            self._status_rows = {y: tuple(boxes) for y, boxes in status_rows.items()}
            self.virtual_size = Size(self._layout.width, self._layout.height)
            if self.selected not in self._layout.boxes and self._layout.order:
                self.selected = (
                    graph.current
                    if graph.current in self._layout.boxes
                    else (self._layout.order[0])
                )
        self._views = dict(views)
        self._taken = taken
        self._restyle()

    def clear(self) -> None:
        self._definition = ()
        self._layout = self._canvas = None
        self._runs, self._status_rows, self._status = {}, {}, {}
        self._styles, self._strips = {}, {}
        self.virtual_size = Size(0, 0)
        self.refresh()

    def watch_selected(self) -> None:
        self._restyle()
        self.post_message(self.StepSelected(self, self.selected))
        box = self._layout.boxes.get(self.selected) if self._layout else None
        if box is not None:
            self.scroll_to_region(Region(box.x, box.y, box.width, box.height), animate=False)

    def _style_of(self, owner: str) -> Style:
        """The style of `owner`'s cells in this restyle (computed once, then shared)."""
        style = self._styles.get(owner)
        if style is None:
            style = self._styles[owner] = self._compute_style(owner)
        return style

    def _compute_style(self, owner: str) -> Style:
        kind, _, name = owner.partition(":")
        if kind in ("box", "title", "status"):
            view = self._views.get(name, _UNSEEN)
            style = STYLES[view.status]
            if kind == "title" and name == self.selected:
                style = style + STYLES["selected"]
            return style
        if kind == "loop":
            return STYLES["taken"] if (name, name) in self._taken else STYLES["edge"]
        if kind in ("edge", "label"):
            source, _, target = name.partition(">")
            if (source, target) in self._taken:
                return STYLES["taken"]
            return STYLES["edge"] if kind == "edge" else STYLES["label"]
        return _PLAIN

    def _status_text(self, name: str, width: int) -> str:
        view = self._views.get(name, _UNSEEN)
        parts = ["●"] if view.breakpoint else []
        if view.next_try is not None:
            # Counted down by `restyle()` each second: the due time is fixed, the text is not.
            seconds = max(0, math.ceil(view.next_try - time.time()))
            parts.append(f"↻{view.retries} in {seconds}s")
        else:
            if view.attempts:
                parts.append(f"×{view.attempts}")
            if view.status == "current":
                parts.append("running")
            elif view.status == "held":
                parts.append("held")
            if view.last_state:
                parts.append(view.last_state)
        if view.note:
            parts.append(view.note)
        return (" " + " ".join(parts))[:width].ljust(width)

    def restyle(self) -> None:
        """Redraw the status lines (a countdown moved) without laying anything out."""
        self._restyle()

    def _restyle(self) -> None:
        if self._canvas is None:
            return
        self._status = {
            y: tuple((box.x + 1, self._status_text(box.name, box.width - 2)) for box in boxes)
            for y, boxes in self._status_rows.items()
        }
        self._styles = {}
        self._strips = {}
        self.refresh()

    def _row_chars(self, y: int) -> list[str]:
        """Row `y` of the grid with the live status texts written in."""
        assert self._canvas is not None
        row = self._canvas.chars[y]
        status = self._status.get(y)
        if status:
            row = row[:]
            for x, text in status:
                row[x : x + len(text)] = text
        return row

    def _row_runs(self, y: int) -> tuple[Run, ...]:
        runs = self._runs.get(y)
        if runs is None:
            assert self._canvas is not None
            owners, width = self._canvas.owners[y], self._canvas.width
            found: list[Run] = []
            start = 0
            for x in range(1, width + 1):
                if x == width or owners[x] != owners[start]:
                    found.append((start, x, owners[start]))
                    start = x
            runs = self._runs[y] = tuple(found)
        return runs

    def _strip(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            assert self._canvas is not None
            row = self._row_chars(y)
            style_of = self._style_of
            segments = [
                Segment("".join(row[start:end]), style_of(owner))
                for start, end, owner in self._row_runs(y)
            ]
            strip = self._strips[y] = Strip(segments, self._canvas.width)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if self._canvas is None or index >= self._canvas.height:
            return Strip.blank(width, self.rich_style)
        return (
            self._strip(index)
            .crop_extend(scroll_x, scroll_x + width, None)
            .apply_style(self.rich_style)
        )

    def text_lines(self) -> list[str]:
        """The graph as plain text with live status (what the screen shows, uncoloured)."""
        if self._canvas is None:
            return []
        return ["".join(self._row_chars(y)).rstrip() for y in range(self._canvas.height)]

    def on_click(self, event: events.Click) -> None:
        if self._layout is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        box = self._layout.box_at(event.x + scroll_x, event.y + scroll_y)
        if box is not None and box.kind != "end":
            self.selected = box.name

    def action_select_step(self, delta: int) -> None:
        if self._layout is None or not self._layout.order:
            return
        order = self._layout.order
        index = order.index(self.selected) if self.selected in order else -1
        self.selected = order[(index + delta) % len(order)]
