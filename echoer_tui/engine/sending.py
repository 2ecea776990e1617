"""Sending a step attempt to its action service, and recording how that went.

The POST happens outside the run's lock: an action that acks before its dispatch POST
returns finds the run free, and its ack wins; the late dispatch completion then only
counts as "sent". A refused dispatch is retried with a capped backoff, then ends the
attempt in TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from echoer_tui.engine.delay_queue import DelayedOp
from echoer_tui.engine.dispatch import Dispatcher, DispatchOutcome
from echoer_tui.engine.ledger import RunLedger
from echoer_tui.engine.steps import StepMachine
from echoer_tui.engine.transitions import is_finished, retry_delay
from echoer_tui.engine.wire import dispatch_body
from echoer_tui.model.resources import (
    DEFAULT_RETRIES,
    FINISHED_STATES,
    SUSPEND,
    ActionSpec,
    Resource,
)


class Sender:
    """Dispatches attempts, never two POSTs for one attempt at the same moment."""

    def __init__(
        self,
        ledger: RunLedger,
        steps: StepMachine,
        dispatcher: Dispatcher,
        *,
        retry_base: float,
        max_backoff: float,
    ) -> None:
        self._ledger = ledger
        self._steps = steps
        self._dispatcher = dispatcher
        self._retry_base = retry_base
        self._max_backoff = max_backoff
        self._dispatching: set[str] = set()

    async def needs_dispatch(self, attempt: Resource, *, retry_due_only: bool) -> bool:
        """Not yet sent, not being sent, and no retry waiting for a later moment."""
        if is_finished(attempt.spec) or attempt.spec.dispatched_time:
            return False
        if attempt.name in self._dispatching:
            return False
        retries = await self._ledger.timers(attempt.name, "retry")
        if not retries:
            return True
        return retry_due_only and all(t.due <= self._ledger.clock.now() for t in retries)

    async def dispatch(
        self, attempt_name: str, fresh: tuple[Resource, Resource] | None = None
    ) -> None:
        """POST the attempt to its action; `fresh` is (attempt, run) as just committed."""
        if attempt_name in self._dispatching:
            return
        self._dispatching.add(attempt_name)
        try:
            attempt: Resource | None
            flowrun: Resource | None
            if fresh is not None:
                attempt, flowrun = fresh  # just committed: no need to read them back
            else:
                attempt = await self._ledger.get("step", attempt_name)
                if attempt is None:
                    return
                flowrun = await self._ledger.get("flowrun", attempt.spec.flow_id)
            if (
                flowrun is None
                or is_finished(attempt.spec)
                or flowrun.spec.current_attempt != attempt.metadata.uuid
                or flowrun.spec.current_state in (SUSPEND, *FINISHED_STATES)
            ):
                return
            action = await self._ledger.action(attempt.spec.action_run.action_name)
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
                self._ledger.sent_states[attempt.metadata.uuid] = list(action.return_states)
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
            attempt = await self._ledger.get("step", attempt_name)
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
                flowrun = await self._ledger.get("flowrun", run)
                if (
                    flowrun is None
                    or is_finished(attempt.spec)
                    or flowrun.spec.current_attempt != attempt.metadata.uuid
                ):
                    return
            assert flowrun is not None
            change = self._ledger.begin(flowrun)
            # The sending is done (or rescheduled): its retry or dispatch entry goes.
            # One read of the attempt's entries serves both the sending and the deadline.
            entries = await self._ledger.timers(attempt_name)
            change.timers_removed += [t for t in entries if t.op != "deadline"]
            change.touch(attempt)
            step = attempt.spec.step_name
            if outcome.ok:
                change.write_run = False
                attempt.spec.dispatched_time = change.now
                attempt.spec.last_err = ""
                attempt.spec.next_try_time = 0.0
                if outcome.error:  # a fallback address took it: worth telling
                    change.note(
                        f"step {step} dispatched to {outcome.endpoint} ({outcome.error})",
                        attempt=attempt,
                        event_type="warning",
                    )
                if action is not None and action.timeout > 0:
                    change.timers_removed += [t for t in entries if t.op == "deadline"]
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
                    attempt.spec.next_try_time = change.now + delay
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
                    await self._steps.end_or_hold(change, attempt, detail)
            await self._ledger.commit(change)

        return await self._ledger.transact(run, work)

    async def _record_sent(self, flowrun: Resource, attempt: Resource) -> None:
        if attempt.spec.dispatched_time:
            return
        change = self._ledger.begin(flowrun)
        change.write_run = False
        attempt.spec.dispatched_time = attempt.spec.acked_time or change.now
        change.touch(attempt)
        await self._ledger.commit(change)
