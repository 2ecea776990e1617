"""What every part of the engine shares: the store, the clock, the run locks, the attempt
index, and the one way a transition is written (`RunLedger.commit`).

Each transition runs under its run's lock (`transact`), reads what it needs, and writes
the run, its attempts, events and timer changes in one `repo.commit()`, so a crash never
leaves them disagreeing. Keeping that here lets the FSM, dispatch, timer, recovery and
GC modules each be about their own idea while writing the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from echoer_tui.engine.clock import Clock
from echoer_tui.engine.delay_queue import TIMER_KIND, DelayedOp, DelayQueue, TimerClaims, TimerOp
from echoer_tui.engine.transitions import RUN_LABEL, UUID_LABEL, event
from echoer_tui.errors import ConflictError, NotFoundError, StaleWriteError, StoreError
from echoer_tui.model.resources import ActionSpec, Resource
from echoer_tui.storage.repository import Put, Query, Repository, Write

log = logging.getLogger("echoer_tui.engine.engine")

CONTENTION_RETRIES = 20
"""Times a transition is recomputed after another process changed its run first."""

T = TypeVar("T")


class Contended(Exception):
    """The store refused a commit because another process wrote first: read again, redo."""


@dataclass
class Transition:
    """What one transition writes; committed at once by `RunLedger.commit`."""

    run: Resource
    now: float
    ordinal: int
    attempts: dict[str, Resource] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    timers_added: list[DelayedOp] = field(default_factory=list)
    timers_removed: list[DelayedOp] = field(default_factory=list)
    dispatch: list[str] = field(default_factory=list)
    write_run: bool = True
    """False when only the attempt changed (a dispatch went out): the run stays as it is."""

    def touch(self, attempt: Resource) -> None:
        self.attempts[attempt.name] = attempt

    def note(self, message: str, **kwargs: Any) -> None:
        self.events.append(
            event(self.run, self.ordinal, len(self.events), self.now, message, **kwargs)
        )


DispatchHook = Callable[[str, str, "tuple[Resource, Resource] | None"], None]
"""(run, attempt name, (attempt, run) as just committed) -> start sending it."""


class RunLedger:
    """Reads and one-commit writes of flow runs, under per-run locks."""

    def __init__(self, repo: Repository, clock: Clock, on_due: Callable[[DelayedOp], None]) -> None:
        self.repo = repo
        self.clock = clock
        self.claims = repo if isinstance(repo, TimerClaims) else None
        """Set on a store shared by several engines: timers are claimed, not kept in memory."""
        self.queue = DelayQueue(clock, on_due)
        """The timers, on a store this process owns alone."""
        self.claim_wake = asyncio.Event()
        """Set when a timer is stored: the claim loop (shared store) looks again."""
        self.on_dispatch: DispatchHook = _no_dispatch
        self.locks: dict[str, asyncio.Lock] = {}
        self.by_uuid: dict[str, tuple[str, str]] = {}
        """attempt uuid -> (run name, attempt name): an ack finds its attempt in O(1)."""
        self.ordinals: dict[str, int] = {}
        self.sent_states: dict[str, list[str]] = {}
        """attempt uuid -> the ackStates its dispatch offered: what its ack may answer."""
        self.tasks: set[asyncio.Task[None]] = set()

    # --- transactions --------------------------------------------------------------------
    def begin(self, flowrun: Resource) -> Transition:
        """A transition of `flowrun` (called under its lock): its events sort after earlier ones."""
        ordinal = max(self.repo.seq, self.ordinals.get(flowrun.name, -1) + 1)
        self.ordinals[flowrun.name] = ordinal
        return Transition(flowrun, self.clock.now(), ordinal)

    async def transact(self, run: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` under the run's lock; redo it when another process wrote first.

        The lock orders this process's transitions of a run; across processes the
        store's version check does, and the loser reads the run again and recomputes
        (finding, as often as not, that there is nothing left to do).
        """
        for _ in range(CONTENTION_RETRIES):
            async with self.lock(run):
                try:
                    return await work()
                except Contended:
                    continue
        raise StoreError(
            f"flow run {run} kept changing under this engine ({CONTENTION_RETRIES} tries); "
            "try again"
        )

    def lock(self, run: str) -> asyncio.Lock:
        lock = self.locks.get(run)
        if lock is None:
            lock = self.locks[run] = asyncio.Lock()
        return lock

    def forget(self, run: str) -> None:
        """The run is gone: drop its lock and ordinal."""
        self.locks.pop(run, None)
        self.ordinals.pop(run, None)

    async def commit(self, change: Transition) -> dict[str, Any]:
        """Write the transition at once, then update the queue and index and dispatch."""
        writes: list[Write] = [Put(change.run.to_dict())] if change.write_run else []
        writes += [Put(a.to_dict()) for a in change.attempts.values()]
        writes += [Put(e) for e in change.events]
        removed = {t.name: t for t in change.timers_removed}
        writes += [t.delete() for t in removed.values()]
        writes += [t.put() for t in change.timers_added]
        if self.claims is None:
            # Armed before the commit returns: a reader who sees the commit may move the
            # clock at once, and a due entry waits for this run's lock, held till then.
            for timer in change.timers_added:
                self.queue.added(timer)
        try:
            # cast: Repository.list shadows the builtin in the protocol's annotations
            stored = cast("Sequence[dict[str, Any] | None]", await self.repo.commit(writes))
        except Exception as exc:
            for timer in change.timers_added:
                self.queue.removed(timer.name)
            if self.claims is None or not isinstance(
                exc, StaleWriteError | ConflictError | NotFoundError
            ):
                raise  # on a store one process owns, a refusal is a bug, not a race
            raise Contended(str(exc)) from None
        if self.claims is None:
            for name in removed:
                if name not in {t.name for t in change.timers_added}:
                    self.queue.removed(name)
        elif change.timers_added:
            self.claim_wake.set()
        for attempt in change.attempts.values():
            self.by_uuid[attempt.metadata.uuid] = (change.run.name, attempt.name)
        for name in change.dispatch:
            fresh = (change.attempts[name], change.run) if name in change.attempts else None
            self.on_dispatch(change.run.name, name, fresh)
        run = stored[0] if change.write_run else change.run.to_dict()
        assert run is not None
        return run

    # --- reads ---------------------------------------------------------------------------
    async def get(self, kind: str, name: str) -> Resource | None:
        raw = await self.repo.get(kind, name)
        return Resource.from_dict(raw) if raw is not None else None

    async def load_run(self, run: str) -> Resource:
        flowrun = await self.get("flowrun", run)
        if flowrun is None:
            raise NotFoundError(f"flow run {run} does not exist", field="name")
        return flowrun

    async def current_attempt(self, flowrun: Resource) -> Resource | None:
        uuid = flowrun.spec.current_attempt
        found = await self.locate(uuid, flowrun.name) if uuid else None
        return await self.get("step", found[1]) if found is not None else None

    async def locate(self, uuid: str, run: str = "") -> tuple[str, str] | None:
        """(run name, attempt name) of the attempt with `uuid`, from the index or the store.

        The index is only a cache: a reader may see a run's new attempt in the store
        before this process has indexed it, and another process may have created it.
        """
        found = self.by_uuid.get(uuid)
        if found is not None:
            return found
        labels = {RUN_LABEL: run} if run else {UUID_LABEL: uuid}
        for raw in await self.repo.list(Query("step", labels=labels)):
            meta = raw["metadata"]
            if meta.get("uuid") == uuid:
                owner = str((raw.get("spec") or {}).get("flow_id", ""))
                found = self.by_uuid[uuid] = (owner, str(meta["name"]))
                return found
        return None

    async def action(self, name: str) -> ActionSpec | None:
        action = await self.get("action", name)
        return action.spec if action is not None else None

    async def timers(self, attempt: str, op: TimerOp | None = None) -> list[DelayedOp]:
        """The persisted entries of one attempt: kept in memory, or read from a shared store."""
        if self.claims is None:
            return self.queue.of_attempt(attempt, op)
        found = [
            DelayedOp.from_resource(raw)
            for raw in await self.repo.list(Query(TIMER_KIND, prefix=f"{attempt}."))
        ]
        return [t for t in found if t.attempt == attempt and (op is None or t.op == op)]

    # --- background work -----------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task failed", exc_info=task.exception())


def _no_dispatch(run: str, attempt: str, fresh: tuple[Resource, Resource] | None) -> None:
    raise RuntimeError("the ledger is not wired to a dispatcher")
