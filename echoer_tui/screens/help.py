"""The help screen: every key of the workbench, grouped by screen."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("F1 / ?", "this help"),
            ("F2 F3 F4 F6", "editor, resources, graph, events (or click a tab on top)"),
            ("Ctrl+P", "command palette (every action)"),
            ("Ctrl+Q", "quit (runs in flight continue at the next start)"),
        ),
    ),
    (
        "Editor",
        (
            ("line ending in /", "submit the statement above it"),
            ("Ctrl+Enter / F5 / Ctrl+R", "submit the statement under the cursor or the selection"),
            ("F8", "submit the whole document"),
            ("F9", "graph preview of the statement under the cursor, with lint findings"),
            ("Ctrl+Space / Ctrl+N", "complete keyword, action or step name"),
            ("Ctrl+F", "format (fmt)"),
            ("Ctrl+O / Ctrl+S", "open / save an .fsl file"),
            ("Ctrl+Home / Ctrl+End", "start / end of the document"),
        ),
    ),
    (
        "Resources",
        (
            ("1-5", "actions, flows, runs, steps, events"),
            ("/", "filter by name (Esc clears)"),
            ("Enter / g", "open the run's graph"),
            ("d / Delete", "delete (asks first)"),
            ("v", "show / hide the raw JSON of the detail"),
        ),
    ),
    (
        "Graph",
        (
            ("← → / Tab / click", "select a step"),
            ("p / c / s", "pause / continue / stop the run"),
            ("r", "re-run from the selected step"),
            ("a", "ack the waiting step by hand (Tab in the dialog: data)"),
            ("b", "breakpoint on the selected step: the run holds before dispatching it"),
            ("h, then [ / ]", "replay the run transition by transition (h or Esc: live)"),
            ("x / m", "export DOT / Mermaid (- shows it here)"),
            ("e", "this run's events"),
        ),
    ),
    ("Events", (("/", "filter by run (Esc: every run)"),)),
)


def keys_table() -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for section, rows in KEYS:
        table.add_row(f"[bold]{section}[/]", "")
        for key, what in rows:
            table.add_row(key, what)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Keys of every screen."""

    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="modal")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("echoer — keys")
            with VerticalScroll():
                yield Static(keys_table())

    def action_close(self) -> None:
        self.dismiss(None)
