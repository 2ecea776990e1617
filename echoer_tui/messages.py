"""Messages that cross the app: one screen asks for something another screen shows."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RunOpened(Message):
    """Show this flow run on the graph screen (from the browser, the palette or a reply)."""

    run: str


@dataclass
class EventsFiltered(Message):
    """Show the event log of one run ("" for every run)."""

    run: str
