"""The engine's delay queue: dispatch retries and ack deadlines that must survive a restart.

Each entry is persisted as a `timer` resource (see storage/repository.py) in the same
commit as the transition that schedules it, so the queue and the runs never disagree.
This module holds the in-memory side: a heap where only the due time compares, one
clock callback armed for the earliest entry, and lookup by attempt.
"""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from echoer_tui.engine.clock import Clock, TimerHandle
from echoer_tui.storage.repository import Delete, Put

TIMER_KIND = "timer"

TimerOp = Literal["retry", "deadline", "dispatch"]
"""retry: send again after a failed dispatch; deadline: no ack in time; dispatch: the
attempt was entered but not yet sent (on a shared store, whoever holds it sends it
unless its creator records the dispatch first)."""

_OPS: tuple[TimerOp, ...] = ("retry", "deadline", "dispatch")


@runtime_checkable
class TimerClaims(Protocol):
    """A store whose timers several engine processes share by leasing them (PostgresStore)."""

    async def claim_due_timers(
        self, now: float, owner: str, lease_seconds: float, limit: int = 100
    ) -> builtins.list[dict[str, Any]]: ...

    async def release_timers(self, owner: str, names: Sequence[str] | None = None) -> int: ...

    async def next_timer_due(self) -> float | None: ...


@dataclass(frozen=True, order=True, slots=True)
class DelayedOp:
    """Something to do to one step attempt at `due` (epoch seconds)."""

    due: float
    name: str = field(compare=False)
    op: TimerOp = field(compare=False)
    run: str = field(compare=False)
    attempt: str = field(compare=False)
    version: int | None = field(default=None, compare=False)
    """The stored version when read from the store: its Delete is then version-checked."""

    @classmethod
    def for_attempt(
        cls, due: float, op: TimerOp, run: str, attempt: str, tag: str = ""
    ) -> DelayedOp:
        name = f"{attempt}.{op}" + (f".{tag}" if tag else "")
        return cls(due, name, op, run, attempt)

    def put(self) -> Put:
        return Put(
            {
                "metadata": {
                    "name": self.name,
                    "kind": TIMER_KIND,
                    "version": 0,
                    "labels": {"flowrun": self.run},
                },
                "spec": {"due": self.due, "op": self.op, "run": self.run, "attempt": self.attempt},
            }
        )

    def delete(self) -> Delete:
        return Delete(TIMER_KIND, self.name, self.version)

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> DelayedOp:
        spec = resource["spec"]
        op: TimerOp = next((o for o in _OPS if o == spec.get("op")), "retry")
        meta = resource["metadata"]
        version = meta.get("version")
        return cls(
            float(spec["due"]),
            str(meta["name"]),
            op,
            str(spec["run"]),
            str(spec["attempt"]),
            int(version) if isinstance(version, int) else None,
        )


class DelayQueue:
    """Persisted entries by name; fires each due entry once through `on_due`."""

    def __init__(self, clock: Clock, on_due: Callable[[DelayedOp], None]) -> None:
        self._clock = clock
        self._on_due = on_due
        self._entries: dict[str, DelayedOp] = {}
        self._by_attempt: dict[str, set[str]] = {}
        self._heap: list[DelayedOp] = []
        self._armed: tuple[float, TimerHandle] | None = None
        self._running = False

    # --- bookkeeping after a commit -------------------------------------------------------
    def added(self, entry: DelayedOp) -> None:
        """An entry was committed to the store: remember it and fire it when due."""
        self._entries[entry.name] = entry
        self._by_attempt.setdefault(entry.attempt, set()).add(entry.name)
        heapq.heappush(self._heap, entry)
        self._arm()

    def removed(self, name: str) -> None:
        """An entry was deleted from the store."""
        entry = self._entries.pop(name, None)
        if entry is None:
            return
        names = self._by_attempt.get(entry.attempt)
        if names is not None:
            names.discard(name)
            if not names:
                del self._by_attempt[entry.attempt]

    def of_attempt(self, attempt: str, op: TimerOp | None = None) -> list[DelayedOp]:
        """The persisted entries of one attempt (fired or not)."""
        found = [self._entries[n] for n in self._by_attempt.get(attempt, ())]
        return [e for e in found if op is None or e.op == op]

    def __len__(self) -> int:
        return len(self._entries)

    # --- firing ---------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._arm()

    def stop(self) -> None:
        self._running = False
        if self._armed is not None:
            self._armed[1].cancel()
            self._armed = None

    def _arm(self) -> None:
        if not self._running:
            return
        while self._heap and self._entries.get(self._heap[0].name) is not self._heap[0]:
            heapq.heappop(self._heap)  # deleted or replaced since it was pushed
        if not self._heap:
            return
        due = self._heap[0].due
        if self._armed is not None:
            if self._armed[0] <= due:
                return
            self._armed[1].cancel()
        self._armed = (due, self._clock.call_at(due, self._fire))

    def _fire(self) -> None:
        self._armed = None
        now = self._clock.now()
        due: list[DelayedOp] = []
        while self._heap and self._heap[0].due <= now:
            entry = heapq.heappop(self._heap)
            if self._entries.get(entry.name) is entry:
                due.append(entry)
        self._arm()
        for entry in due:
            # The entry stays persisted until the handler's commit deletes it, so a crash
            # in between fires it again at the next start.
            self._on_due(entry)
