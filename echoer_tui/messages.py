"""Messages that cross the app: one screen asks for something another screen shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from echoer_tui.storage.repository import Change


@dataclass
class RunOpened(Message):
    """Show this flow run on the graph screen (from the browser, the palette or a reply)."""

    run: str


@dataclass
class StoreChanged(Message):
    """A batch of committed changes, in order (the app follows the store once for all)."""

    changes: Sequence[Change]
    reset: bool = False
    """Changes may have been missed (the watch broke): reload everything shown."""


@dataclass
class EventsFiltered(Message):
    """Show the event log of one run ("" for every run)."""

    run: str
