"""Start-up recovery: every run that was mid-flight when the last process stopped picks up
where it was — a stored answer is followed, an unsent attempt is sent, a run whose
attempt is gone is stopped with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from echoer_tui.engine.delay_queue import TIMER_KIND, DelayedOp
from echoer_tui.engine.ledger import RunLedger
from echoer_tui.engine.sending import Sender
from echoer_tui.engine.steps import StepMachine, finish_run
from echoer_tui.engine.transitions import is_finished
from echoer_tui.model.resources import FINISHED_STATES, READY, STOPPED, SUSPEND
from echoer_tui.storage.repository import Query


async def load_local_state(ledger: RunLedger) -> None:
    """On a store this process owns: the delay queue and the uuid index, from the store."""
    for timer in await ledger.repo.list(Query(TIMER_KIND)):
        ledger.queue.added(DelayedOp.from_resource(timer))
    for attempt in await ledger.repo.list(Query("step")):
        meta = attempt["metadata"]
        owner = str((attempt.get("spec") or {}).get("flow_id", ""))
        ledger.by_uuid[str(meta["uuid"])] = (owner, str(meta["name"]))


async def recover(
    ledger: RunLedger,
    steps: StepMachine,
    sender: Sender,
    run: str,
    send: Callable[[str, str], None],
) -> None:
    """Resume `run`; `send(run, attempt)` starts a dispatch in the background."""

    async def work() -> Any:
        flowrun = await ledger.get("flowrun", run)
        if flowrun is None:
            return
        state = flowrun.spec.current_state
        if state == READY and not flowrun.spec.attempts:
            await ledger.commit(steps.start(flowrun))
            return
        if state in FINISHED_STATES or state in (READY, SUSPEND):
            return
        attempt = await ledger.current_attempt(flowrun)
        change = ledger.begin(flowrun)
        if attempt is None:
            finish_run(
                change, STOPPED, "recover", err="the step attempt the run waited on is missing"
            )
            change.note(f"stopped: {flowrun.spec.last_err}", event_type="error", state=STOPPED)
            await ledger.commit(change)
        elif is_finished(attempt.spec) and attempt.spec.response.get("state"):
            steps.follow(change, attempt, str(attempt.spec.response["state"]))
            await ledger.commit(change)
        elif await sender.needs_dispatch(attempt, retry_due_only=False):
            if ledger.claims is None:
                send(run, attempt.name)
            elif not await ledger.timers(attempt.name):
                # A step entered without a dispatch entry (data from a single-process
                # store): give it one due now, so exactly one process claims and sends it.
                change.timers_added.append(
                    DelayedOp.for_attempt(change.now, "dispatch", run, attempt.name)
                )
                change.write_run = False
                await ledger.commit(change)

    return await ledger.transact(run, work)
