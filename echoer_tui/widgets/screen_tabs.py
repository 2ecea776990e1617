"""The workbench's screens as a strip of tabs along the top, the one shown marked.

Like the tab bar of Harlequin or htop's function-key row: every screen and its key stay
visible, so the footer is left to the keys of the screen you are on. A click on a tab
shows that screen.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget

TABS: tuple[tuple[str, str, str], ...] = (
    ("editor", "F2", "Editor"),
    ("resources", "F3", "Resources"),
    ("graph", "F4", "Graph"),
    ("events", "F6", "Events"),
)
"""(mode, key, title) of each screen, in key order."""


class ScreenTabs(Widget):
    """One line: ` echoer  F2 Editor  F3 Resources  F4 Graph  F6 Events`."""

    DEFAULT_CSS = """
    ScreenTabs {
        height: 1;
        dock: top;
        background: $panel;
    }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        self._spans: list[tuple[int, int, str]] = []
        """(start, end, mode) of each tab in the rendered line, for clicks."""

    def render(self) -> Text:
        text = Text(" echoer ", style="bold")
        self._spans = []
        for mode, key, title in TABS:
            text.append(" ")
            start = len(text)
            shown = mode == self.current
            text.append(f" {key} ", style="bold reverse" if shown else "bold")
            text.append(f"{title} ", style="reverse" if shown else "dim")
            self._spans.append((start, len(text), mode))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, mode in self._spans:
            if start <= event.x < end and mode != self.current:
                self.app.switch_mode(mode)
                return
