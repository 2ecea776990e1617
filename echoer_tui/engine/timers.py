"""What a due timer does: send a first dispatch or a retry, or end an attempt whose ack
deadline has passed. The same on a local delay queue and on timers claimed from a
shared store.
"""

from __future__ import annotations

import contextlib

from echoer_tui.engine.delay_queue import DelayedOp
from echoer_tui.engine.ledger import RunLedger
from echoer_tui.engine.sending import Sender
from echoer_tui.engine.steps import StepMachine
from echoer_tui.engine.transitions import is_finished
from echoer_tui.errors import NotFoundError, StaleWriteError
from echoer_tui.model.resources import SUSPEND


class TimerFiring:
    """Handles one due timer entry."""

    def __init__(self, ledger: RunLedger, steps: StepMachine, sender: Sender) -> None:
        self._ledger = ledger
        self._steps = steps
        self._sender = sender

    async def fire(self, entry: DelayedOp) -> None:
        ledger = self._ledger

        async def work() -> bool:
            """Handle the entry under the run's lock; whether the attempt is to be sent."""
            attempt = await ledger.get("step", entry.attempt)
            flowrun = await ledger.get("flowrun", entry.run)
            live = (
                attempt is not None
                and flowrun is not None
                and not is_finished(attempt.spec)
                and flowrun.spec.current_attempt == attempt.metadata.uuid
                # a sent attempt needs no retry or first dispatch any more
                and (entry.op == "deadline" or not attempt.spec.dispatched_time)
            )
            if not live or attempt is None or flowrun is None:
                await self._drop(entry)
                return False
            if entry.op == "deadline":
                action = await ledger.action(attempt.spec.action_run.action_name)
                seconds = action.timeout if action is not None else 0
                change = ledger.begin(flowrun)
                await self._steps.end_or_hold(change, attempt, f"no ack within {seconds:g} s")
                await ledger.commit(change)
                return False
            # held while paused; `continue` dispatches it (the entry stays until then)
            return bool(flowrun.spec.current_state != SUSPEND)

        if await ledger.transact(entry.run, work):
            await self._sender.dispatch(entry.attempt)

    async def _drop(self, entry: DelayedOp) -> None:
        """Delete an entry that has nothing left to do (its attempt ended or moved on)."""
        ledger = self._ledger
        if ledger.claims is None:
            if any(e.name == entry.name for e in ledger.queue.of_attempt(entry.attempt)):
                await ledger.repo.commit([entry.delete()])
                ledger.queue.removed(entry.name)
            return
        with contextlib.suppress(NotFoundError, StaleWriteError):
            await ledger.repo.commit([entry.delete()])  # unless another process did
