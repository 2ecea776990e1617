"""Where the engine gets the time, so that retries and deadlines are testable without sleeping.

Everything the engine schedules goes through `Clock.call_at` with an epoch time:
`SystemClock` maps it onto the event loop, `ManualClock` keeps it in a heap that a
test moves forward with `advance()`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class TimerHandle(Protocol):
    """Something scheduled that can still be called off."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Epoch seconds now, and a callback at an epoch time."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle: ...


class SystemClock:
    """Wall-clock time; callbacks run on the running event loop."""

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, when - time.time()), callback)


@dataclass(order=True, slots=True)
class _Scheduled:
    when: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time that moves only when a test calls `advance()`; due callbacks run in due order."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        entry = _Scheduled(when, next(self._seq), callback)
        heapq.heappush(self._heap, entry)
        return entry

    def advance(self, seconds: float) -> int:
        """Move time forward and run every callback now due (each at its own time); how many ran."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        target = self._now + seconds
        fired = 0
        while self._heap and self._heap[0].when <= target:
            entry = heapq.heappop(self._heap)
            if entry.cancelled:
                continue
            self._now = max(self._now, entry.when)
            entry.callback()
            fired += 1
        self._now = target
        return fired

    @property
    def pending(self) -> int:
        """Callbacks still scheduled (not cancelled)."""
        return sum(1 for entry in self._heap if not entry.cancelled)
