"""The workbench's screens as a strip of tabs along the top, the one shown marked.

Like the tab bar of Harlequin or htop's function-key row: every screen and its key stay
visible, and so do help and quit on the right, so the footer is left to the keys of
the screen you are on (at 80 columns it cannot hold more). A click on a tab shows that
screen; a click on help or quit does that.
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
ALWAYS: tuple[tuple[str, str, str], ...] = (("help", "F1", "Help"), ("quit", "^Q", "Quit"))
"""(app action, key, title) on the right of the strip."""

Span = tuple[int, int, str]
"""(start, end, app action) of a clickable part of the line."""


def _parts(entries: list[tuple[str, str, str, bool]]) -> tuple[Text, list[Span]]:
    """` KEY Title ` parts, the shown one reversed; their text and clickable spans."""
    text, spans = Text(), []
    for action, key, title, shown in entries:
        text.append(" ")
        start = len(text)
        text.append(f" {key} ", style="bold reverse" if shown else "bold")
        text.append(f"{title} ", style="reverse" if shown else "dim")
        spans.append((start, len(text), action))
    return text, spans


class ScreenTabs(Widget):
    """One line: ` echoer  F2 Editor  F3 Resources  F4 Graph  F6 Events …  F1 Help  ^Q Quit`."""

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
        self._spans: list[Span] = []

    def render(self) -> Text:
        name = Text(" echoer ", style="bold")
        tabs, tab_spans = _parts(
            [(f"switch_mode('{m}')", key, title, m == self.current) for m, key, title in TABS]
        )
        always, always_spans = _parts([(a, key, title, False) for a, key, title in ALWAYS])
        left = len(name) + len(tabs)
        gap = max(1, self.size.width - left - len(always) - 1)
        self._spans = [(s + len(name), e + len(name), a) for s, e, a in tab_spans]
        self._spans += [(s + left + gap, e + left + gap, a) for s, e, a in always_spans]
        return Text.assemble(name, tabs, " " * gap, always)

    def on_click(self, event: events.Click) -> None:
        for start, end, action in self._spans:
            if start <= event.x < end and action != f"switch_mode('{self.current}')":
                self.run_worker(self.app.run_action(action))
                return
