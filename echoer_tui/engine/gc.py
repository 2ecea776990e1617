"""Garbage collection: finished flow runs older than `gc_after` seconds are deleted with
their attempts, events and timers, on a periodic sweep."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from echoer_tui.engine.clock import Clock, TimerHandle
from echoer_tui.errors import ConflictError, NotFoundError, StaleWriteError
from echoer_tui.model.resources import FINISHED_STATES
from echoer_tui.storage.repository import Query, Repository

log = logging.getLogger("echoer_tui.engine.engine")

GC_INTERVAL_MAX = 60.0
"""Longest pause between two sweeps for finished runs (when `gc_after` is set)."""


class GarbageCollector:
    """Sweeps for finished runs every `gc_after / 2` seconds (at most GC_INTERVAL_MAX)."""

    def __init__(
        self,
        repo: Repository,
        clock: Clock,
        gc_after: float | None,
        *,
        delete_run: Callable[[str], Awaitable[None]],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._gc_after = gc_after
        self._delete_run = delete_run
        self._spawn = spawn
        self._handle: TimerHandle | None = None
        self._armed = False

    def start(self) -> None:
        self._armed = True
        self._arm()

    def stop(self) -> None:
        self._armed = False
        if self._handle is not None:
            self._handle.cancel()

    async def collect(self) -> list[str]:
        """Delete finished runs older than `gc_after` seconds; the names removed."""
        if self._gc_after is None:
            return []
        cutoff = self._clock.now() - self._gc_after
        removed = []
        for raw in await self._repo.list(Query("flowrun")):
            spec, meta = raw["spec"], raw["metadata"]
            if spec.get("current_state") in FINISHED_STATES and meta["updated_time"] < cutoff:
                try:
                    await self._delete_run(str(meta["name"]))
                except (NotFoundError, StaleWriteError, ConflictError):
                    continue  # another process deleted or changed it meanwhile
                removed.append(str(meta["name"]))
        return removed

    def _arm(self) -> None:
        if self._gc_after is None or not self._armed:
            return
        interval = max(0.001, min(self._gc_after / 2, GC_INTERVAL_MAX))
        self._handle = self._clock.call_at(
            self._clock.now() + interval, lambda: self._spawn(self._tick())
        )

    async def _tick(self) -> None:
        try:
            removed = await self.collect()
            if removed:
                log.info("removed %d finished flow runs", len(removed))
        finally:
            self._arm()
