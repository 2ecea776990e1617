"""The engine: drives every flow run as a finite-state machine against its action services.

`Engine` is the coordinator and the public face: it wires the parts and holds the
operations (launch, ack, pause/continue/stop/rerun, delete). Each part is its own
module: `ledger` (locks, reads, the one-commit write of a transition), `steps` (the FSM
moves), `sending` (dispatch, retries), `timers` (what a due timer does), `claims`
(timers leased from a shared store), `recovery` (resuming runs at start) and `gc`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from echoer_tui.engine.claims import LEASE_SECONDS, TimerClaimer, lease_from_env
from echoer_tui.engine.clock import Clock, SystemClock
from echoer_tui.engine.delay_queue import TIMER_KIND, DelayedOp
from echoer_tui.engine.dispatch import Dispatcher
from echoer_tui.engine.gc import GC_INTERVAL_MAX, GarbageCollector
from echoer_tui.engine.ledger import CONTENTION_RETRIES, RunLedger
from echoer_tui.engine.recovery import load_local_state, recover
from echoer_tui.engine.sending import Sender
from echoer_tui.engine.steps import StepMachine, finish_run
from echoer_tui.engine.timers import TimerFiring
from echoer_tui.engine.transitions import (
    MAX_BACKOFF,
    RUN_LABEL,
    StepDef,
    declared_states,
    enter,
    find_step,
    is_finished,
    merge_globals,
)
from echoer_tui.engine.wire import Ack
from echoer_tui.errors import AckError, InvalidOperationError, NotFoundError
from echoer_tui.model.resources import (
    FINISHED_STATES,
    READY,
    STOPPED,
    SUSPEND,
    Resource,
    new_uuid,
)
from echoer_tui.storage.repository import Delete, Query, Repository, Write

__all__ = ["CONTENTION_RETRIES", "GC_INTERVAL_MAX", "LEASE_SECONDS", "START_UP_WAIT", "Engine"]

log = logging.getLogger(__name__)

START_UP_WAIT = 30.0
"""Seconds an ack arriving during `start()` waits for recovery to finish; after that it
is handled anyway (the attempt lookup falls back to the store)."""


CLOSE_GRACE = 5.0
"""Seconds `close()` waits for cancelled in-flight work to end before leaving it behind."""


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
        self.ack_url = ack_url
        self._repo = repo
        self._clock: Clock = clock or SystemClock()
        lease = lease_seconds if lease_seconds is not None else lease_from_env()
        self._ledger = ledger = RunLedger(repo, self._clock, self._on_due)
        ledger.on_dispatch = self._send
        self._dispatcher = Dispatcher(ack_url=ack_url, request_timeout=request_timeout)
        self._steps = StepMachine(ledger, lease)
        self._sender = Sender(
            ledger, self._steps, self._dispatcher, retry_base=retry_base, max_backoff=max_backoff
        )
        self._timers = TimerFiring(ledger, self._steps, self._sender)
        owner = f"{socket.gethostname()}:{os.getpid()}:{new_uuid()[:8]}"
        self._claimer = (
            TimerClaimer(ledger, ledger.claims, owner=owner, lease=lease, fire=self._on_due)
            if ledger.claims is not None
            else None
        )
        self._gc = GarbageCollector(
            repo, self._clock, gc_after, delete_run=self.delete_run, spawn=ledger.spawn
        )
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
        if self._claimer is None:
            await load_local_state(self._ledger)
        for flowrun in await self._repo.list(Query("flowrun")):
            name = str(flowrun["metadata"]["name"])
            try:
                await recover(self._ledger, self._steps, self._sender, name, self._send_later)
            except Exception:  # one broken run must not keep the others from resuming
                log.exception("could not resume flow run %s", name)
        if self._claimer is None:
            self._ledger.queue.start()
        else:
            self._claimer.start()
        self._gc.start()

    async def close(self) -> None:
        """Stop timers and in-flight work; whatever was mid-flight resumes at the next start."""
        self._ledger.queue.stop()
        self._gc.stop()
        if self._claimer is not None:
            await self._claimer.stop()  # before the work is cancelled: it claims no more
        tasks = list(self._ledger.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a task that swallowed its cancellation must not hang the close.
            _, stuck = await asyncio.wait(tasks, timeout=CLOSE_GRACE)
            if stuck:
                log.warning(
                    "%d engine task(s) did not end within %g s of close", len(stuck), CLOSE_GRACE
                )
        if self._claimer is not None:
            await self._claimer.release()
        await self._dispatcher.close()

    # --- operations ----------------------------------------------------------------------
    async def launch(self, run: str) -> dict[str, Any]:
        """A flow run was just stored in state `ready`: enter its first declared step."""

        async def work() -> Any:
            flowrun = await self._ledger.load_run(run)
            state = flowrun.spec.current_state
            if state != READY or flowrun.spec.attempts:
                raise InvalidOperationError(f"flow run {run} has already started (it is {state})")
            return await self._ledger.commit(self._steps.start(flowrun))

        return await self._ledger.transact(run, work)

    async def ack(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """An action service (or a person) answers a step attempt (the `POST /step` body)."""
        msg = Ack.parse(body)
        await self._after_start_up()
        found = await self._ledger.locate(msg.uuid, msg.flow_id)
        if found is None:
            raise NotFoundError(f"no step attempt has uuid {msg.uuid!r}", field="uuid")
        run_name, attempt_name = found

        async def work() -> Any:
            attempt = await self._ledger.get("step", attempt_name)
            flowrun = await self._ledger.get("flowrun", run_name)
            if attempt is None or flowrun is None:
                raise NotFoundError(f"no step attempt has uuid {msg.uuid!r}", field="uuid")
            step = find_step(flowrun.spec, attempt.spec.step_name)
            sent = self._ledger.sent_states.get(msg.uuid)
            if sent is None:  # not dispatched by this process (a restart): ask the action
                action = await self._ledger.action(step.action_name)
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
            change = self._ledger.begin(flowrun)
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
                await self._ledger.commit(change)
                return {
                    **reply,
                    "changed": True,
                    "state": flowrun.spec.current_state,
                    "message": "progress recorded; the step keeps waiting",
                }
            await self._steps.end_attempt(change, attempt, msg.state, data=msg.data)
            if flowrun.spec.current_state == SUSPEND:
                change.note(
                    f"step {step.name} answered {msg.state} while the run is paused; "
                    "the edge is followed on continue",
                    attempt=attempt,
                    state=msg.state,
                )
            else:
                self._steps.follow(change, attempt, msg.state)
            stored = await self._ledger.commit(change)
            return {
                **reply,
                "changed": True,
                "state": stored["spec"]["current_state"],
                "message": f"step {step.name} answered {msg.state}",
            }

        return await self._ledger.transact(run_name, work)

    async def manual_ack(self, run: str, step: str, state: str, data: str = "") -> dict[str, Any]:
        """Answer the attempt `run` currently waits on for `step`, as its action would."""
        await self._after_start_up()
        flowrun = await self._ledger.load_run(run)
        spec = flowrun.spec
        if spec.current_state in FINISHED_STATES:
            raise InvalidOperationError(
                f"flow run {run} has finished ({spec.current_state}); no step waits for an ack"
            )
        found = (
            await self._ledger.locate(spec.current_attempt, run) if spec.current_attempt else None
        )
        if found is None:
            raise InvalidOperationError(
                f"flow run {run} waits on no step (it is {spec.current_state})"
            )
        attempt = await self._ledger.get("step", found[1])
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
            flowrun = await self._ledger.load_run(run)
            state = flowrun.spec.current_state
            if state == SUSPEND:
                raise InvalidOperationError(f"flow run {run} is already paused")
            if state in FINISHED_STATES:
                raise InvalidOperationError(
                    f"flow run {run} has finished ({state}); nothing to pause"
                )
            if state == READY:
                raise InvalidOperationError(f"flow run {run} has not started yet")
            change = self._ledger.begin(flowrun)
            enter(flowrun.spec, SUSPEND, "pause")
            change.note(f"paused at step {state}", state=SUSPEND)
            return await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def resume(self, run: str) -> dict[str, Any]:
        """Continue a paused run: follow an ack recorded meanwhile, or dispatch what was held."""

        async def work() -> Any:
            flowrun = await self._ledger.load_run(run)
            state = flowrun.spec.current_state
            if state != SUSPEND:
                raise InvalidOperationError(f"flow run {run} is not paused (it is {state})")
            change = self._ledger.begin(flowrun)
            attempt = await self._ledger.current_attempt(flowrun)
            if attempt is None:
                enter(flowrun.spec, STOPPED, "continue")
                flowrun.spec.last_err = "the step attempt the run waited on is missing"
                change.note(f"stopped: {flowrun.spec.last_err}", event_type="error", state=STOPPED)
                return await self._ledger.commit(change)
            answered = str(attempt.spec.response.get("state") or "")
            if is_finished(attempt.spec) and answered:
                change.note(
                    f"continued; following the {answered} recorded while paused",
                    attempt=attempt,
                    state=answered,
                )
                self._steps.follow(change, attempt, answered, detail=attempt.spec.last_err)
            else:
                enter(flowrun.spec, attempt.spec.step_name, "continue")
                change.note(
                    f"continued at step {attempt.spec.step_name}",
                    attempt=attempt,
                    state=attempt.spec.step_name,
                )
                if await self._sender.needs_dispatch(attempt, retry_due_only=True):
                    change.dispatch.append(attempt.name)
            return await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def set_breakpoint(self, run: str, step: str, on: bool = True) -> dict[str, Any]:
        """Mark (or, with `on` False, unmark) `step`: the run holds before each entry of it.

        The mark lives in the run's spec, so it outlives a restart; a run already held
        there stays held until continued.
        """

        async def work() -> Any:
            flowrun = await self._ledger.load_run(run)
            spec = flowrun.spec
            if spec.current_state in FINISHED_STATES:
                raise InvalidOperationError(
                    f"flow run {run} has finished ({spec.current_state}); "
                    "a breakpoint would never be reached"
                )
            try:
                find_step(spec, step)
            except NotFoundError as error:
                raise NotFoundError(f"flow run {run}: {error.message}", field="step") from None
            marked = step in spec.breakpoints
            if marked == on:
                raise InvalidOperationError(
                    f"step {step} of flow run {run} "
                    + ("already has a breakpoint" if on else "has no breakpoint")
                )
            change = self._ledger.begin(flowrun)
            if on:
                spec.breakpoints.append(step)
            else:
                spec.breakpoints.remove(step)
            change.note(f"breakpoint {'set' if on else 'cleared'} before step {step}")
            return await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def stop(self, run: str) -> dict[str, Any]:
        """End the run for good (it can still be re-run from a step)."""

        async def work() -> Any:
            flowrun = await self._ledger.load_run(run)
            state = flowrun.spec.current_state
            if state in FINISHED_STATES:
                raise InvalidOperationError(f"flow run {run} has already finished ({state})")
            change = self._ledger.begin(flowrun)
            attempt = await self._ledger.current_attempt(flowrun)
            if attempt is not None and not is_finished(attempt.spec):
                await self._steps.end_attempt(change, attempt, "", err="the run was stopped")
            finish_run(change, STOPPED, "stop")
            change.note("stopped on request", state=STOPPED)
            return await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def rerun(self, run: str, step: str) -> dict[str, Any]:
        """Start a stopped or done run again from `step`, as a new attempt."""

        async def work() -> Any:
            flowrun = await self._ledger.load_run(run)
            state = flowrun.spec.current_state
            if state not in FINISHED_STATES:
                raise InvalidOperationError(
                    f"flow run {run} is {state}; only a stopped or done run can be re-run "
                    "(stop it first)"
                )
            target = find_step(flowrun.spec, step)
            change = self._ledger.begin(flowrun)
            flowrun.spec.last_err = ""
            change.note(f"re-run from step {step}", state=step)
            self._steps.enter_step(change, target, "rerun")
            return await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def delete_run(self, run: str) -> None:
        """Remove a run with its attempts, events and timers."""
        ledger = self._ledger
        async with ledger.lock(run):
            raw = await self._repo.get("flowrun", run)
            if raw is None:
                raise NotFoundError(f"flow run {run} does not exist", field="name")
            attempts = await self._repo.list(Query("step", labels={RUN_LABEL: run}))
            events = await self._repo.list(Query("event", labels={RUN_LABEL: run}))
            timers = await self._repo.list(Query(TIMER_KIND, labels={RUN_LABEL: run}))
            writes: list[Write] = [Delete("flowrun", run)]
            writes += [Delete("step", a["metadata"]["name"]) for a in attempts]
            writes += [Delete("event", e["metadata"]["name"]) for e in events]
            writes += [Delete(TIMER_KIND, t["metadata"]["name"]) for t in timers]
            await self._repo.commit(writes)
            for timer in timers:
                ledger.queue.removed(str(timer["metadata"]["name"]))
            for attempt in attempts:
                ledger.by_uuid.pop(str(attempt["metadata"]["uuid"]), None)
                ledger.sent_states.pop(str(attempt["metadata"]["uuid"]), None)
        ledger.forget(run)

    async def collect_garbage(self) -> list[str]:
        """Delete finished runs older than `gc_after` seconds; the names removed."""
        return await self._gc.collect()

    # --- background work -----------------------------------------------------------------
    def _on_due(self, entry: DelayedOp) -> None:
        self._spawn_for(entry.run, f"handling its {entry.op} timer", self._timers.fire(entry))

    def _send(self, run: str, attempt: str, fresh: tuple[Resource, Resource] | None) -> None:
        self._spawn_for(run, f"dispatching {attempt}", self._sender.dispatch(attempt, fresh))

    def _send_later(self, run: str, attempt: str) -> None:
        self._send(run, attempt, None)

    def _spawn_for(self, run: str, doing: str, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background; if it fails, the run it serves is stopped, not stuck."""
        self._ledger.spawn(self._guarded(work, run, doing))

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
        ledger = self._ledger

        async def work() -> None:
            flowrun = await ledger.get("flowrun", run)
            if flowrun is None or flowrun.spec.current_state in FINISHED_STATES:
                return
            change = ledger.begin(flowrun)
            attempt = await ledger.current_attempt(flowrun)
            if attempt is not None and not is_finished(attempt.spec):
                await self._steps.end_attempt(change, attempt, "", err=reason)
            finish_run(change, STOPPED, "error", err=reason)
            change.note(f"stopped: {reason}", event_type="error", state=STOPPED)
            await ledger.commit(change)

        try:
            await ledger.transact(run, work)
        except Exception:  # the store itself is failing: the log is all that is left
            log.exception("flow run %s could not be stopped after the failure", run)

    # --- ack checks ---------------------------------------------------------------------
    async def _after_start_up(self) -> None:
        """Wait (bounded) while `start()` is still recovering, so that an ack arriving then
        finds its attempt indexed and its run resumed instead of being refused."""
        if self._starting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._started_up.wait(), START_UP_WAIT)

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
