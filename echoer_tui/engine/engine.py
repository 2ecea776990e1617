"""The engine: drives every flow run as a finite-state machine against its action services.

Each transition (start, ack, dispatch outcome, timer, operation) runs under the run's
own lock, reads the run and its attempt, computes the next state with
`transitions`, and writes the run, the attempt, the events and the timer changes in
one `repo.commit()`, so a crash never leaves them disagreeing. Network calls happen
outside the lock: an action that acks before its dispatch POST returns finds the run
free, and its ack wins; the late dispatch completion then only counts as "sent".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from echoer_tui.engine.clock import Clock, SystemClock, TimerHandle
from echoer_tui.engine.delay_queue import TIMER_KIND, DelayedOp, DelayQueue, TimerClaims, TimerOp
from echoer_tui.engine.dispatch import Dispatcher, DispatchOutcome
from echoer_tui.engine.transitions import (
    MAX_BACKOFF,
    RUN_LABEL,
    UUID_LABEL,
    StepDef,
    declared_states,
    enter,
    event,
    find_step,
    finish_attempt,
    is_finished,
    merge_globals,
    new_attempt,
    resolve_edge,
    retry_delay,
    step_defs,
    step_tries,
)
from echoer_tui.engine.wire import Ack, dispatch_body
from echoer_tui.errors import (
    AckError,
    ConflictError,
    InvalidOperationError,
    NotFoundError,
    StaleWriteError,
    StoreError,
)
from echoer_tui.model.resources import (
    DEFAULT_RETRIES,
    DONE,
    FINISHED_STATES,
    READY,
    STOPPED,
    SUSPEND,
    TIMEOUT,
    ActionSpec,
    Resource,
    new_uuid,
)
from echoer_tui.storage.repository import Delete, Put, Query, Repository, Write

log = logging.getLogger(__name__)

GC_INTERVAL_MAX = 60.0
"""Longest pause between two sweeps for finished runs (when `gc_after` is set)."""

LEASE_SECONDS = 30.0
"""On a shared store: how long a claimed timer is this process's alone, and how long an
entered step may wait for its creator's dispatch before any process sends it."""

CLAIM_BATCH = 100
"""Timers claimed per query on a shared store."""

CONTENTION_RETRIES = 20
"""Times a transition is recomputed after another process changed its run first."""

START_UP_WAIT = 30.0
"""Seconds an ack arriving during `start()` waits for recovery to finish; after that it
is handled anyway (the attempt lookup falls back to the store)."""

T = TypeVar("T")


def _lease_from_env() -> float:
    """`ECHOER_CLAIM_LEASE` (seconds) when set to a positive number, else LEASE_SECONDS.

    How soon a dead process's work is taken over is an operator's trade-off against
    sending a slow dispatch twice, so it can be tuned without code.
    """
    text = os.environ.get("ECHOER_CLAIM_LEASE", "")
    try:
        value = float(text)
    except ValueError:
        if text:
            log.warning("ECHOER_CLAIM_LEASE=%r is not a number; using %g s", text, LEASE_SECONDS)
        return LEASE_SECONDS
    return value if value > 0 else LEASE_SECONDS


class _Contended(Exception):
    """The store refused a commit because another process wrote first: read again, redo."""


@dataclass
class _Transition:
    """What one transition writes; committed at once by `Engine._commit`."""

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


class Engine:
    """Flow runs as state machines: start, acks, retries, deadlines, pause/continue/stop/rerun."""

    def __init__(
        self,
        repo: Repository,
        *,
        ack_url: str,
        clock: Clock | None = None,
        retry_base: float = 1.0,
        gc_after: float | None = None,
        request_timeout: float = 10.0,
        lease_seconds: float | None = None,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self._repo = repo
        self._claims = repo if isinstance(repo, TimerClaims) else None
        """Set on a store shared by several engines: timers are claimed, not kept in memory."""
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{new_uuid()[:8]}"
        self._lease = lease_seconds if lease_seconds is not None else _lease_from_env()
        self._claim_wake = asyncio.Event()
        self.ack_url = ack_url
        self._clock: Clock = clock or SystemClock()
        self._retry_base = retry_base
        self._max_backoff = max_backoff
        self._gc_after = gc_after
        self._dispatcher = Dispatcher(ack_url=ack_url, request_timeout=request_timeout)
        self._queue = DelayQueue(self._clock, self._on_due)
        self._locks: dict[str, asyncio.Lock] = {}
        self._by_uuid: dict[str, tuple[str, str]] = {}
        """attempt uuid -> (run name, attempt name): an ack finds its attempt in O(1)."""
        self._dispatching: set[str] = set()
        self._ordinals: dict[str, int] = {}
        self._sent_states: dict[str, list[str]] = {}
        """attempt uuid -> the ackStates its dispatch offered: what its ack may answer."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._gc_handle: TimerHandle | None = None
        self._started = False
        self._loops: list[asyncio.Task[None]] = []
        self._starting = False
        self._started_up = asyncio.Event()
        """Set when `start()` has finished recovering: acks that came during it wait for it."""

    # --- life ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Reload the delay queue and the uuid index, resume every run mid-flight, start timers.

        On a shared store the timers stay in the store (the claim loop takes them) and
        the index fills on demand: other processes keep adding to both.
        """
        self._starting = True
        self._started_up.clear()
        try:
            await self._start_up()
        finally:
            self._starting = False
            self._started_up.set()

    async def _start_up(self) -> None:
        if self._claims is None:
            for timer in await self._repo.list(Query(TIMER_KIND)):
                self._queue.added(DelayedOp.from_resource(timer))
            for attempt in await self._repo.list(Query("step")):
                meta = attempt["metadata"]
                owner = str((attempt.get("spec") or {}).get("flow_id", ""))
                self._by_uuid[str(meta["uuid"])] = (owner, str(meta["name"]))
        self._started = True
        for flowrun in await self._repo.list(Query("flowrun")):
            name = str(flowrun["metadata"]["name"])
            try:
                await self._recover(name)
            except Exception:  # one broken run must not keep the others from resuming
                log.exception("could not resume flow run %s", name)
        if self._claims is None:
            self._queue.start()
        else:
            loop = asyncio.get_running_loop()
            self._loops = [
                loop.create_task(self._claim_loop(self._claims), name="echoer-claim-timers"),
                loop.create_task(self._watch_timers(), name="echoer-watch-timers"),
            ]
        self._arm_gc()

    async def close(self) -> None:
        """Stop timers and in-flight work; whatever was mid-flight resumes at the next start."""
        self._started = False
        self._queue.stop()
        if self._gc_handle is not None:
            self._gc_handle.cancel()
        tasks = [*self._loops, *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._claims is not None:
            # What this process held is free for the others at once, not when leases end.
            with contextlib.suppress(StoreError):
                await self._claims.release_timers(self._owner)
        await self._dispatcher.close()

    # --- operations ----------------------------------------------------------------------
    async def launch(self, run: str) -> dict[str, Any]:
        """A flow run was just stored in state `ready`: enter its first declared step."""

        async def work() -> Any:
            flowrun = await self._load_run(run)
            state = flowrun.spec.current_state
            if state != READY or flowrun.spec.attempts:
                raise InvalidOperationError(f"flow run {run} has already started (it is {state})")
            return await self._commit(self._start(flowrun))

        return await self._transact(run, work)

    async def ack(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """An action service (or a person) answers a step attempt (the `POST /step` body)."""
        msg = Ack.parse(body)
        await self._after_start_up()
        found = await self._locate(msg.uuid, msg.flow_id)
        if found is None:
            raise NotFoundError(f"no step attempt has uuid {msg.uuid!r}", field="uuid")
        run_name, attempt_name = found

        async def work() -> Any:
            attempt = await self._get("step", attempt_name)
            flowrun = await self._get("flowrun", run_name)
            if attempt is None or flowrun is None:
                raise NotFoundError(f"no step attempt has uuid {msg.uuid!r}", field="uuid")
            step = find_step(flowrun.spec, attempt.spec.step_name)
            sent = self._sent_states.get(msg.uuid)
            if sent is None:  # not dispatched by this process (a restart): ask the action
                action = await self._action(step.action_name)
                sent = declared_states(action.return_states if action else None, step)
            self._check_ack(msg, flowrun, step, sent)
            reply = {"run": run_name, "step": step.name, "uuid": msg.uuid}
            if is_finished(attempt.spec):
                answered = attempt.spec.response.get("state") or "no answer"
                return {
                    **reply,
                    "changed": False,
                    "state": flowrun.spec.current_state,
                    "message": f"step {step.name} attempt {attempt.spec.attempt} has already "
                    f"finished ({answered}); this ack changes nothing",
                }
            if (
                flowrun.spec.current_state in FINISHED_STATES
                or flowrun.spec.current_attempt != msg.uuid
            ):
                return {
                    **reply,
                    "changed": False,
                    "state": flowrun.spec.current_state,
                    "message": f"flow run {run_name} no longer waits on this attempt "
                    f"(it is {flowrun.spec.current_state}); ack ignored",
                }
            change = self._begin(flowrun)
            merge_globals(flowrun.spec.global_variable, msg.global_variables)
            merge_globals(attempt.spec.global_variables, msg.global_variables)
            if not msg.done:
                if msg.data:
                    attempt.spec.data = msg.data
                change.touch(attempt)
                change.note(
                    f"step {step.name} reports progress" + (f" ({msg.state})" if msg.state else ""),
                    attempt=attempt,
                    state=msg.state,
                )
                await self._commit(change)
                return {
                    **reply,
                    "changed": True,
                    "state": flowrun.spec.current_state,
                    "message": "progress recorded; the step keeps waiting",
                }
            await self._end_attempt(change, attempt, msg.state, data=msg.data)
            if flowrun.spec.current_state == SUSPEND:
                change.note(
                    f"step {step.name} answered {msg.state} while the run is paused; "
                    "the edge is followed on continue",
                    attempt=attempt,
                    state=msg.state,
                )
            else:
                self._follow(change, attempt, msg.state)
            stored = await self._commit(change)
            return {
                **reply,
                "changed": True,
                "state": stored["spec"]["current_state"],
                "message": f"step {step.name} answered {msg.state}",
            }

        return await self._transact(run_name, work)

    async def manual_ack(self, run: str, step: str, state: str, data: str = "") -> dict[str, Any]:
        """Answer the attempt `run` currently waits on for `step`, as its action would."""
        await self._after_start_up()
        flowrun = await self._load_run(run)
        spec = flowrun.spec
        if spec.current_state in FINISHED_STATES:
            raise InvalidOperationError(
                f"flow run {run} has finished ({spec.current_state}); no step waits for an ack"
            )
        found = await self._locate(spec.current_attempt, run) if spec.current_attempt else None
        if found is None:
            raise InvalidOperationError(
                f"flow run {run} waits on no step (it is {spec.current_state})"
            )
        attempt = await self._get("step", found[1])
        if attempt is None or attempt.spec.step_name != step:
            waiting = attempt.spec.step_name if attempt is not None else "none"
            raise InvalidOperationError(f"flow run {run} waits on step {waiting}, not {step}")
        if is_finished(attempt.spec):
            raise InvalidOperationError(
                f"step {step} of flow run {run} has already answered "
                f"{attempt.spec.response.get('state') or 'nothing'}"
            )
        return await self.ack(
            {
                "flowId": run,
                "stepName": step,
                "ackState": state,
                "uuid": spec.current_attempt,
                "done": True,
                "data": data,
            }
        )

    async def pause(self, run: str) -> dict[str, Any]:
        """Hold the run: acks are recorded, no edge is followed, nothing is dispatched."""

        async def work() -> Any:
            flowrun = await self._load_run(run)
            state = flowrun.spec.current_state
            if state == SUSPEND:
                raise InvalidOperationError(f"flow run {run} is already paused")
            if state in FINISHED_STATES:
                raise InvalidOperationError(
                    f"flow run {run} has finished ({state}); nothing to pause"
                )
            if state == READY:
                raise InvalidOperationError(f"flow run {run} has not started yet")
            change = self._begin(flowrun)
            enter(flowrun.spec, SUSPEND, "pause")
            change.note(f"paused at step {state}", state=SUSPEND)
            return await self._commit(change)

        return await self._transact(run, work)

    async def resume(self, run: str) -> dict[str, Any]:
        """Continue a paused run: follow an ack recorded meanwhile, or dispatch what was held."""

        async def work() -> Any:
            flowrun = await self._load_run(run)
            state = flowrun.spec.current_state
            if state != SUSPEND:
                raise InvalidOperationError(f"flow run {run} is not paused (it is {state})")
            change = self._begin(flowrun)
            attempt = await self._current_attempt(flowrun)
            if attempt is None:
                enter(flowrun.spec, STOPPED, "continue")
                flowrun.spec.last_err = "the step attempt the run waited on is missing"
                change.note(f"stopped: {flowrun.spec.last_err}", event_type="error", state=STOPPED)
                return await self._commit(change)
            answered = str(attempt.spec.response.get("state") or "")
            if is_finished(attempt.spec) and answered:
                change.note(
                    f"continued; following the {answered} recorded while paused",
                    attempt=attempt,
                    state=answered,
                )
                self._follow(change, attempt, answered, detail=attempt.spec.last_err)
            else:
                enter(flowrun.spec, attempt.spec.step_name, "continue")
                change.note(
                    f"continued at step {attempt.spec.step_name}",
                    attempt=attempt,
                    state=attempt.spec.step_name,
                )
                if await self._needs_dispatch(attempt, retry_due_only=True):
                    change.dispatch.append(attempt.name)
            return await self._commit(change)

        return await self._transact(run, work)

    async def stop(self, run: str) -> dict[str, Any]:
        """End the run for good (it can still be re-run from a step)."""

        async def work() -> Any:
            flowrun = await self._load_run(run)
            state = flowrun.spec.current_state
            if state in FINISHED_STATES:
                raise InvalidOperationError(f"flow run {run} has already finished ({state})")
            change = self._begin(flowrun)
            attempt = await self._current_attempt(flowrun)
            if attempt is not None and not is_finished(attempt.spec):
                await self._end_attempt(change, attempt, "", err="the run was stopped")
            self._finish_run(change, STOPPED, "stop")
            change.note("stopped on request", state=STOPPED)
            return await self._commit(change)

        return await self._transact(run, work)

    async def rerun(self, run: str, step: str) -> dict[str, Any]:
        """Start a stopped or done run again from `step`, as a new attempt."""

        async def work() -> Any:
            flowrun = await self._load_run(run)
            state = flowrun.spec.current_state
            if state not in FINISHED_STATES:
                raise InvalidOperationError(
                    f"flow run {run} is {state}; only a stopped or done run can be re-run "
                    "(stop it first)"
                )
            target = find_step(flowrun.spec, step)
            change = self._begin(flowrun)
            flowrun.spec.last_err = ""
            change.note(f"re-run from step {step}", state=step)
            self._enter_step(change, target, "rerun")
            return await self._commit(change)

        return await self._transact(run, work)

    async def delete_run(self, run: str) -> None:
        """Remove a run with its attempts, events and timers."""

        async def work() -> Any:
            raw = await self._repo.get("flowrun", run)
            if raw is None:
                raise NotFoundError(f"flow run {run} does not exist", field="name")
            owned = Query("step", labels={RUN_LABEL: run})
            attempts = await self._repo.list(owned)
            events = await self._repo.list(Query("event", labels={RUN_LABEL: run}))
            timers = await self._repo.list(Query(TIMER_KIND, labels={RUN_LABEL: run}))
            writes: list[Write] = [Delete("flowrun", run)]
            writes += [Delete("step", a["metadata"]["name"]) for a in attempts]
            writes += [Delete("event", e["metadata"]["name"]) for e in events]
            writes += [Delete(TIMER_KIND, t["metadata"]["name"]) for t in timers]
            await self._repo.commit(writes)
            for timer in timers:
                self._queue.removed(str(timer["metadata"]["name"]))
            for attempt in attempts:
                self._by_uuid.pop(str(attempt["metadata"]["uuid"]), None)
                self._sent_states.pop(str(attempt["metadata"]["uuid"]), None)

        async with self._lock(run):
            await work()
        self._locks.pop(run, None)
        self._ordinals.pop(run, None)

    async def collect_garbage(self) -> list[str]:
        """Delete finished runs older than `gc_after` seconds; the names removed."""
        if self._gc_after is None:
            return []
        cutoff = self._clock.now() - self._gc_after
        removed = []
        for raw in await self._repo.list(Query("flowrun")):
            spec, meta = raw["spec"], raw["metadata"]
            if spec.get("current_state") in FINISHED_STATES and meta["updated_time"] < cutoff:
                try:
                    await self.delete_run(str(meta["name"]))
                except (NotFoundError, StaleWriteError, ConflictError):
                    continue  # another process deleted or changed it meanwhile
                removed.append(str(meta["name"]))
        return removed

    # --- transitions ---------------------------------------------------------------------
    def _start(self, flowrun: Resource) -> _Transition:
        change = self._begin(flowrun)
        if not flowrun.spec.history_states:
            flowrun.spec.history_states.append(READY)
        steps = step_defs(flowrun.spec)
        if not steps:
            self._finish_run(change, STOPPED, "start", err="the flow run declares no step")
            change.note("stopped: the flow run declares no step", event_type="error", state=STOPPED)
            return change
        change.note("started", state=READY)
        self._enter_step(change, steps[0], "start")
        return change

    def _enter_step(self, change: _Transition, step: StepDef, trigger: str) -> None:
        attempt = new_attempt(change.run, step, change.now)
        enter(change.run.spec, step.name, trigger)
        change.touch(attempt)
        change.dispatch.append(attempt.name)
        if self._claims is not None:
            # In-flight work is a timer: if this process dies before the dispatch is
            # recorded, another one claims the entry once the lease time has passed.
            change.timers_added.append(
                DelayedOp.for_attempt(
                    change.now + self._lease, "dispatch", change.run.name, attempt.name
                )
            )
        tries = step_tries(change.run.spec, step.name)
        change.note(
            f"entered step {step.name} (try {tries}, run attempt #{attempt.spec.attempt})",
            attempt=attempt,
            state=step.name,
        )

    async def _end_attempt(
        self,
        change: _Transition,
        attempt: Resource,
        state: str,
        *,
        data: str | None = None,
        err: str = "",
    ) -> None:
        finish_attempt(attempt.spec, state, change.now, data=data, err=err)
        self._sent_states.pop(attempt.metadata.uuid, None)
        change.timers_removed += await self._timers(attempt.name)
        change.touch(attempt)
        if state:
            change.note(
                f"step {attempt.spec.step_name} answered {state}" + (f" ({err})" if err else ""),
                attempt=attempt,
                state=state,
                event_type="warning" if state == TIMEOUT else "info",
            )

    def _follow(self, change: _Transition, attempt: Resource, state: str, detail: str = "") -> None:
        """The attempt ended in `state`: follow its edge (a new attempt, done, or stop)."""
        step = find_step(change.run.spec, attempt.spec.step_name)
        edge = resolve_edge(step, state, detail)
        if edge.target is None:
            self._finish_run(change, STOPPED, state, err=edge.reason)
            change.note(f"stopped: {edge.reason}", event_type="error", state=STOPPED)
        elif edge.target == DONE:
            self._finish_run(change, DONE, state)
            change.note("done", state=DONE)
        else:
            try:
                target = find_step(change.run.spec, edge.target)
            except NotFoundError:
                reason = f"step {step.name} leads {state} to {edge.target}, which is not a step"
                self._finish_run(change, STOPPED, state, err=reason)
                change.note(f"stopped: {reason}", event_type="error", state=STOPPED)
                return
            self._enter_step(change, target, state)

    @staticmethod
    def _finish_run(change: _Transition, final: str, trigger: str, err: str = "") -> None:
        enter(change.run.spec, final, trigger)
        change.run.spec.current_attempt = ""
        if err:
            change.run.spec.last_err = err

    # --- dispatch ------------------------------------------------------------------------
    async def _needs_dispatch(self, attempt: Resource, *, retry_due_only: bool) -> bool:
        """Not yet sent, not being sent, and no retry waiting for a later moment."""
        if is_finished(attempt.spec) or attempt.spec.dispatched_time:
            return False
        if attempt.name in self._dispatching:
            return False
        retries = await self._timers(attempt.name, "retry")
        if not retries:
            return True
        return retry_due_only and all(t.due <= self._clock.now() for t in retries)

    async def _dispatch(
        self, attempt_name: str, fresh: tuple[Resource, Resource] | None = None
    ) -> None:
        """POST the attempt to its action; `fresh` is (attempt, run) as just committed."""
        if attempt_name in self._dispatching:
            return  # never two POSTs for one attempt at the same moment
        self._dispatching.add(attempt_name)
        try:
            attempt: Resource | None
            flowrun: Resource | None
            if fresh is not None:
                attempt, flowrun = fresh  # just committed: no need to read them back
            else:
                attempt = await self._get("step", attempt_name)
                if attempt is None:
                    return
                flowrun = await self._get("flowrun", attempt.spec.flow_id)
            if (
                flowrun is None
                or is_finished(attempt.spec)
                or flowrun.spec.current_attempt != attempt.metadata.uuid
                or flowrun.spec.current_state in (SUSPEND, *FINISHED_STATES)
            ):
                return
            action = await self._action(attempt.spec.action_run.action_name)
            if action is None:
                outcome = DispatchOutcome(
                    False, error=f"action {attempt.spec.action_run.action_name} does not exist"
                )
            else:
                body = dispatch_body(
                    attempt.spec.action_run.action_params,
                    run=flowrun.name,
                    step=attempt.spec.step_name,
                    ack_states=action.return_states,
                    uuid=attempt.metadata.uuid,
                    global_variables=flowrun.spec.global_variable,
                )
                self._sent_states[attempt.metadata.uuid] = list(action.return_states)
                outcome = await self._dispatcher.send(action, body)
            await self._after_dispatch(flowrun, attempt_name, outcome, action)
        finally:
            self._dispatching.discard(attempt_name)

    async def _after_dispatch(
        self,
        sent_for: Resource,
        attempt_name: str,
        outcome: DispatchOutcome,
        action: ActionSpec | None,
    ) -> None:
        """Record a dispatch outcome; `sent_for` is the run as it was when the POST went out."""
        run = sent_for.name

        async def work() -> Any:
            attempt = await self._get("step", attempt_name)
            if attempt is None:
                return
            if outcome.ok:
                # A sent attempt changes only itself, so the run need not be read again:
                # a stop or a rerun since would have finished this attempt.
                if is_finished(attempt.spec):
                    # The ack won the race (or the run was stopped): the POST just counts as sent.
                    await self._record_sent(sent_for, attempt)
                    return
                flowrun: Resource | None = sent_for
            else:
                flowrun = await self._get("flowrun", run)
                if (
                    flowrun is None
                    or is_finished(attempt.spec)
                    or flowrun.spec.current_attempt != attempt.metadata.uuid
                ):
                    return
            assert flowrun is not None
            change = self._begin(flowrun)
            # The sending is done (or rescheduled): its retry or dispatch entry goes.
            change.timers_removed += [
                t for t in await self._timers(attempt_name) if t.op != "deadline"
            ]
            change.touch(attempt)
            step = attempt.spec.step_name
            if outcome.ok:
                change.write_run = False
                attempt.spec.dispatched_time = change.now
                attempt.spec.last_err = ""
                if outcome.error:  # a fallback address took it: worth telling
                    change.note(
                        f"step {step} dispatched to {outcome.endpoint} ({outcome.error})",
                        attempt=attempt,
                        event_type="warning",
                    )
                if action is not None and action.timeout > 0:
                    change.timers_removed += await self._timers(attempt_name, "deadline")
                    change.timers_added.append(
                        DelayedOp.for_attempt(
                            change.now + action.timeout, "deadline", run, attempt_name
                        )
                    )
            else:
                limit = action.retry if action is not None else DEFAULT_RETRIES
                attempt.spec.last_err = outcome.error
                if attempt.spec.retry_count < limit:
                    attempt.spec.retry_count += 1
                    n = attempt.spec.retry_count
                    delay = retry_delay(self._retry_base, n, self._max_backoff)
                    change.timers_added.append(
                        DelayedOp.for_attempt(
                            change.now + delay, "retry", run, attempt_name, tag=str(n)
                        )
                    )
                    change.note(
                        f"dispatch of step {step} failed ({outcome.error}); "
                        f"retry {n} of {limit} in {delay:g} s",
                        attempt=attempt,
                        event_type="warning",
                    )
                else:
                    detail = f"dispatch failed after {limit} retries: {outcome.error}"
                    await self._end_or_hold(change, attempt, detail)
            await self._commit(change)

        return await self._transact(run, work)

    async def _record_sent(self, flowrun: Resource, attempt: Resource) -> None:
        if attempt.spec.dispatched_time:
            return
        change = self._begin(flowrun)
        change.write_run = False
        attempt.spec.dispatched_time = attempt.spec.acked_time or change.now
        change.touch(attempt)
        await self._commit(change)

    async def _end_or_hold(self, change: _Transition, attempt: Resource, detail: str) -> None:
        """The attempt ends in TIMEOUT; its edge is followed unless the run is paused."""
        await self._end_attempt(change, attempt, TIMEOUT, err=detail)
        if change.run.spec.current_state != SUSPEND:
            self._follow(change, attempt, TIMEOUT, detail)

    # --- timers --------------------------------------------------------------------------
    def _on_due(self, entry: DelayedOp) -> None:
        self._spawn(self._fire(entry), entry.run, f"handling its {entry.op} timer")

    async def _fire(self, entry: DelayedOp) -> None:
        async def work() -> bool:
            """Handle the entry under the run's lock; whether the attempt is to be sent."""
            attempt = await self._get("step", entry.attempt)
            flowrun = await self._get("flowrun", entry.run)
            live = (
                attempt is not None
                and flowrun is not None
                and not is_finished(attempt.spec)
                and flowrun.spec.current_attempt == attempt.metadata.uuid
                # a sent attempt needs no retry or first dispatch any more
                and (entry.op == "deadline" or not attempt.spec.dispatched_time)
            )
            if not live or attempt is None or flowrun is None:
                await self._drop_timer(entry)
                return False
            if entry.op == "deadline":
                action = await self._action(attempt.spec.action_run.action_name)
                seconds = action.timeout if action is not None else 0
                change = self._begin(flowrun)
                await self._end_or_hold(change, attempt, f"no ack within {seconds:g} s")
                await self._commit(change)
                return False
            # held while paused; `continue` dispatches it (the entry stays until then)
            return bool(flowrun.spec.current_state != SUSPEND)

        if await self._transact(entry.run, work):
            await self._dispatch(entry.attempt)

    async def _drop_timer(self, entry: DelayedOp) -> None:
        """Delete an entry that has nothing left to do (its attempt ended or moved on)."""
        if self._claims is None:
            if any(e.name == entry.name for e in self._queue.of_attempt(entry.attempt)):
                await self._repo.commit([entry.delete()])
                self._queue.removed(entry.name)
            return
        with contextlib.suppress(NotFoundError, StaleWriteError):
            await self._repo.commit([entry.delete()])  # unless another process did

    async def _claim_loop(self, claims: TimerClaims) -> None:
        """On a shared store: lease due timers, fire them, sleep until the next may be due."""
        while self._started:
            self._claim_wake.clear()
            now = self._clock.now()
            try:
                claimed = await claims.claim_due_timers(now, self._owner, self._lease, CLAIM_BATCH)
                for raw in claimed:
                    entry = DelayedOp.from_resource(raw)
                    self._spawn(self._fire(entry), entry.run, f"handling its {entry.op} timer")
                if len(claimed) >= CLAIM_BATCH:
                    continue
                due = await claims.next_timer_due()
            except StoreError as exc:
                log.warning("cannot claim timers: %s", exc.message)
                due = now + 1.0
            except Exception:  # the loop must outlive any one failure, or no timer fires again
                log.exception("claiming timers failed")
                due = now + 1.0
            if due is not None and due <= now:
                # Due but not claimable yet (another process is taking it): look again soon.
                await asyncio.sleep(0.01)
                continue
            if due is not None and due <= self._clock.now():
                continue  # time moved on while we asked
            # Another process's timers are announced by the watch; this cap covers a
            # missed announcement.
            wake_at = min(due if due is not None else now + self._lease, now + self._lease)
            handle = self._clock.call_at(wake_at, self._claim_wake.set)
            try:
                await self._claim_wake.wait()
            finally:
                handle.cancel()

    async def _watch_timers(self) -> None:
        """Wake the claim loop whenever any process stores a timer."""
        while self._started:
            try:
                async for change in self._repo.watch([TIMER_KIND], self._repo.seq):
                    if change.op == "put":
                        self._claim_wake.set()
            except StoreError as exc:  # fell behind: nothing to replay, just watch on
                log.warning("timer watch restarts: %s", exc.message)
            except Exception:  # the claim loop's lease cap still wakes it meanwhile
                log.exception("timer watch failed; watching again in 1 s")
                await asyncio.sleep(1.0)

    # --- recovery and gc -----------------------------------------------------------------
    async def _recover(self, run: str) -> None:
        async def work() -> Any:
            flowrun = await self._get("flowrun", run)
            if flowrun is None:
                return
            state = flowrun.spec.current_state
            if state == READY and not flowrun.spec.attempts:
                await self._commit(self._start(flowrun))
                return
            if state in FINISHED_STATES or state in (READY, SUSPEND):
                return
            attempt = await self._current_attempt(flowrun)
            change = self._begin(flowrun)
            if attempt is None:
                self._finish_run(
                    change, STOPPED, "recover", err="the step attempt the run waited on is missing"
                )
                change.note(f"stopped: {flowrun.spec.last_err}", event_type="error", state=STOPPED)
                await self._commit(change)
            elif is_finished(attempt.spec) and attempt.spec.response.get("state"):
                self._follow(change, attempt, str(attempt.spec.response["state"]))
                await self._commit(change)
            elif await self._needs_dispatch(attempt, retry_due_only=False):
                if self._claims is None:
                    self._spawn(self._dispatch(attempt.name), run, f"dispatching {attempt.name}")
                elif not await self._timers(attempt.name):
                    # A step entered without a dispatch entry (data from a single-process
                    # store): give it one due now, so exactly one process claims and sends it.
                    change.timers_added.append(
                        DelayedOp.for_attempt(change.now, "dispatch", run, attempt.name)
                    )
                    change.write_run = False
                    await self._commit(change)

        return await self._transact(run, work)

    def _arm_gc(self) -> None:
        if self._gc_after is None or not self._started:
            return
        interval = max(0.001, min(self._gc_after / 2, GC_INTERVAL_MAX))
        self._gc_handle = self._clock.call_at(
            self._clock.now() + interval, lambda: self._spawn(self._gc_tick())
        )

    async def _gc_tick(self) -> None:
        try:
            removed = await self.collect_garbage()
            if removed:
                log.info("removed %d finished flow runs", len(removed))
        finally:
            self._arm_gc()

    # --- plumbing ------------------------------------------------------------------------
    def _begin(self, flowrun: Resource) -> _Transition:
        """A transition of `flowrun` (called under its lock): its events sort after earlier ones."""
        ordinal = max(self._repo.seq, self._ordinals.get(flowrun.name, -1) + 1)
        self._ordinals[flowrun.name] = ordinal
        return _Transition(flowrun, self._clock.now(), ordinal)

    async def _transact(self, run: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` under the run's lock; redo it when another process wrote first.

        The lock orders this process's transitions of a run; across processes the
        store's version check does, and the loser reads the run again and recomputes
        (finding, as often as not, that there is nothing left to do).
        """
        for _ in range(CONTENTION_RETRIES):
            async with self._lock(run):
                try:
                    return await work()
                except _Contended:
                    continue
        raise StoreError(
            f"flow run {run} kept changing under this engine ({CONTENTION_RETRIES} tries); "
            "try again"
        )

    async def _timers(self, attempt: str, op: TimerOp | None = None) -> list[DelayedOp]:
        """The persisted entries of one attempt: kept in memory, or read from a shared store."""
        if self._claims is None:
            return self._queue.of_attempt(attempt, op)
        found = [
            DelayedOp.from_resource(raw)
            for raw in await self._repo.list(Query(TIMER_KIND, prefix=f"{attempt}."))
        ]
        return [t for t in found if t.attempt == attempt and (op is None or t.op == op)]

    def _lock(self, run: str) -> asyncio.Lock:
        lock = self._locks.get(run)
        if lock is None:
            lock = self._locks[run] = asyncio.Lock()
        return lock

    def _spawn(self, work: Coroutine[Any, Any, None], run: str = "", doing: str = "") -> None:
        """Run `work` in the background; if it fails, the run it serves is stopped, not stuck."""
        if run:
            work = self._guarded(work, run, doing)
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._reap)

    async def _guarded(self, work: Coroutine[Any, Any, None], run: str, doing: str) -> None:
        try:
            await work
        except Exception as exc:
            # Nothing else would ever move the run on: no timer is left, no ack will come.
            log.exception("flow run %s: the engine failed while %s", run, doing)
            await self._stop_failed(run, doing, exc)

    async def _stop_failed(self, run: str, doing: str, exc: Exception) -> None:
        """Stop `run` after an unexpected failure, saying what failed in its last_err."""
        reason = f"the engine failed while {doing}: {type(exc).__name__}: {exc}"

        async def work() -> None:
            flowrun = await self._get("flowrun", run)
            if flowrun is None or flowrun.spec.current_state in FINISHED_STATES:
                return
            change = self._begin(flowrun)
            attempt = await self._current_attempt(flowrun)
            if attempt is not None and not is_finished(attempt.spec):
                await self._end_attempt(change, attempt, "", err=reason)
            self._finish_run(change, STOPPED, "error", err=reason)
            change.note(f"stopped: {reason}", event_type="error", state=STOPPED)
            await self._commit(change)

        try:
            await self._transact(run, work)
        except Exception:  # the store itself is failing: the log is all that is left
            log.exception("flow run %s could not be stopped after the failure", run)

    def _reap(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task failed", exc_info=task.exception())

    async def _get(self, kind: str, name: str) -> Resource | None:
        raw = await self._repo.get(kind, name)
        return Resource.from_dict(raw) if raw is not None else None

    async def _load_run(self, run: str) -> Resource:
        flowrun = await self._get("flowrun", run)
        if flowrun is None:
            raise NotFoundError(f"flow run {run} does not exist", field="name")
        return flowrun

    async def _current_attempt(self, flowrun: Resource) -> Resource | None:
        uuid = flowrun.spec.current_attempt
        found = await self._locate(uuid, flowrun.name) if uuid else None
        return await self._get("step", found[1]) if found is not None else None

    async def _after_start_up(self) -> None:
        """Wait (bounded) while `start()` is still recovering, so that an ack arriving then
        finds its attempt indexed and its run resumed instead of being refused."""
        if self._starting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._started_up.wait(), START_UP_WAIT)

    async def _locate(self, uuid: str, run: str = "") -> tuple[str, str] | None:
        """(run name, attempt name) of the attempt with `uuid`, from the index or the store.

        The index is only a cache: a reader may see a run's new attempt in the store
        before this process has indexed it, and another process may have created it.
        """
        found = self._by_uuid.get(uuid)
        if found is not None:
            return found
        labels = {RUN_LABEL: run} if run else {UUID_LABEL: uuid}
        for raw in await self._repo.list(Query("step", labels=labels)):
            meta = raw["metadata"]
            if meta.get("uuid") == uuid:
                owner = str((raw.get("spec") or {}).get("flow_id", ""))
                found = self._by_uuid[uuid] = (owner, str(meta["name"]))
                return found
        return None

    async def _action(self, name: str) -> ActionSpec | None:
        action = await self._get("action", name)
        return action.spec if action is not None else None

    @staticmethod
    def _check_ack(msg: Ack, flowrun: Resource, step: StepDef, declared: Sequence[str]) -> None:
        if msg.flow_id and msg.flow_id != flowrun.name:
            raise AckError(
                f"flowId {msg.flow_id!r} does not match the attempt's flow run {flowrun.name!r}",
                field="flowId",
            )
        if msg.step_name and msg.step_name != step.name:
            raise AckError(
                f"stepName {msg.step_name!r} does not match the attempt's step {step.name!r}",
                field="stepName",
            )
        if msg.state and msg.state not in declared:
            raise AckError(
                f"ackState {msg.state!r} is not a state of action {step.action_name} "
                f"(it declares {', '.join(declared) or 'none'})",
                field="ackState",
            )

    async def _commit(self, change: _Transition) -> dict[str, Any]:
        """Write the transition at once, then update the queue and index and dispatch."""
        writes: list[Write] = [Put(change.run.to_dict())] if change.write_run else []
        writes += [Put(a.to_dict()) for a in change.attempts.values()]
        writes += [Put(e) for e in change.events]
        removed = {t.name: t for t in change.timers_removed}
        writes += [t.delete() for t in removed.values()]
        writes += [t.put() for t in change.timers_added]
        if self._claims is None:
            # Armed before the commit returns: a reader who sees the commit may move the
            # clock at once, and a due entry waits for this run's lock, held till then.
            for timer in change.timers_added:
                self._queue.added(timer)
        try:
            # cast: Repository.list shadows the builtin in the protocol's annotations
            stored = cast("Sequence[dict[str, Any] | None]", await self._repo.commit(writes))
        except Exception as exc:
            for timer in change.timers_added:
                self._queue.removed(timer.name)
            if self._claims is None or not isinstance(
                exc, StaleWriteError | ConflictError | NotFoundError
            ):
                raise  # on a store one process owns, a refusal is a bug, not a race
            raise _Contended(str(exc)) from None
        if self._claims is None:
            for name in removed:
                if name not in {t.name for t in change.timers_added}:
                    self._queue.removed(name)
        elif change.timers_added:
            self._claim_wake.set()
        for attempt in change.attempts.values():
            self._by_uuid[attempt.metadata.uuid] = (change.run.name, attempt.name)
        for name in change.dispatch:
            fresh = (change.attempts[name], change.run) if name in change.attempts else None
            self._spawn(self._dispatch(name, fresh), change.run.name, f"dispatching {name}")
        run = stored[0] if change.write_run else change.run.to_dict()
        assert run is not None
        return run
