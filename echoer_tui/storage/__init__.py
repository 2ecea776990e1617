"""Persistence behind one small interface: the Repository, and the embedded store.

Callers depend on `Repository` only. `open_store(data_dir)` gives the durable embedded
backend (journal + TinyDB snapshots); `MemoryStore()` the same behaviour without disk.
"""

from __future__ import annotations

from echoer_tui.storage.memory import WATCH_BACKLOG, WATCH_QUEUE, MemoryStore, WatchLagError
from echoer_tui.storage.repository import Change, Delete, Put, Query, Repository, Resource, Write
from echoer_tui.storage.store import JournalStore, open_store

__all__ = [
    "WATCH_BACKLOG",
    "WATCH_QUEUE",
    "Change",
    "Delete",
    "JournalStore",
    "MemoryStore",
    "Put",
    "Query",
    "Repository",
    "Resource",
    "WatchLagError",
    "Write",
    "open_store",
]
