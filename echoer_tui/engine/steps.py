"""How a transition moves a run through its steps: start, enter a step, end an attempt,
follow the edge its answer names, finish the run.

These fill a `Transition` (nothing is written here); the caller commits it. The pure
rules (which edge, what an attempt looks like) live in `transitions`; this adds what
needs the engine's state: the attempt's timers and the dispatch entry of a shared store.
"""

from __future__ import annotations

from echoer_tui.engine.delay_queue import DelayedOp
from echoer_tui.engine.ledger import RunLedger, Transition
from echoer_tui.engine.transitions import (
    StepDef,
    enter,
    find_step,
    finish_attempt,
    new_attempt,
    resolve_edge,
    step_defs,
    step_tries,
)
from echoer_tui.errors import NotFoundError
from echoer_tui.model.resources import DONE, READY, STOPPED, SUSPEND, TIMEOUT, Resource


class StepMachine:
    """The FSM moves of a flow run, written into a `Transition`."""

    def __init__(self, ledger: RunLedger, lease: float) -> None:
        self._ledger = ledger
        self._lease = lease

    def start(self, flowrun: Resource) -> Transition:
        change = self._ledger.begin(flowrun)
        if not flowrun.spec.history_states:
            flowrun.spec.history_states.append(READY)
        steps = step_defs(flowrun.spec)
        if not steps:
            finish_run(change, STOPPED, "start", err="the flow run declares no step")
            change.note("stopped: the flow run declares no step", event_type="error", state=STOPPED)
            return change
        change.note("started", state=READY)
        self.enter_step(change, steps[0], "start")
        return change

    def enter_step(self, change: Transition, step: StepDef, trigger: str) -> None:
        attempt = new_attempt(change.run, step, change.now)
        enter(change.run.spec, step.name, trigger)
        change.touch(attempt)
        held = step.name in change.run.spec.breakpoints
        if not held:
            change.dispatch.append(attempt.name)
        if self._ledger.claims is not None and not held:
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
        if held:
            # A breakpoint is a pause taken at step entry: the attempt waits unsent, and
            # `continue` (Engine.resume) sends it without entering the step again.
            enter(change.run.spec, SUSPEND, "breakpoint")
            change.note(
                f"held at breakpoint before step {step.name}", attempt=attempt, state=SUSPEND
            )

    async def end_attempt(
        self,
        change: Transition,
        attempt: Resource,
        state: str,
        *,
        data: str | None = None,
        err: str = "",
    ) -> None:
        finish_attempt(attempt.spec, state, change.now, data=data, err=err)
        self._ledger.sent_states.pop(attempt.metadata.uuid, None)
        change.timers_removed += await self._ledger.timers(attempt.name)
        change.touch(attempt)
        if state:
            change.note(
                f"step {attempt.spec.step_name} answered {state}" + (f" ({err})" if err else ""),
                attempt=attempt,
                state=state,
                event_type="warning" if state == TIMEOUT else "info",
            )

    def follow(self, change: Transition, attempt: Resource, state: str, detail: str = "") -> None:
        """The attempt ended in `state`: follow its edge (a new attempt, done, or stop)."""
        step = find_step(change.run.spec, attempt.spec.step_name)
        edge = resolve_edge(step, state, detail)
        if edge.target is None:
            finish_run(change, STOPPED, state, err=edge.reason)
            change.note(f"stopped: {edge.reason}", event_type="error", state=STOPPED)
        elif edge.target == DONE:
            finish_run(change, DONE, state)
            change.note("done", state=DONE)
        else:
            try:
                target = find_step(change.run.spec, edge.target)
            except NotFoundError:
                reason = f"step {step.name} leads {state} to {edge.target}, which is not a step"
                finish_run(change, STOPPED, state, err=reason)
                change.note(f"stopped: {reason}", event_type="error", state=STOPPED)
                return
            self.enter_step(change, target, state)

    async def end_or_hold(self, change: Transition, attempt: Resource, detail: str) -> None:
        """The attempt ends in TIMEOUT; its edge is followed unless the run is paused."""
        await self.end_attempt(change, attempt, TIMEOUT, err=detail)
        if change.run.spec.current_state != SUSPEND:
            self.follow(change, attempt, TIMEOUT, detail)


def finish_run(change: Transition, final: str, trigger: str, err: str = "") -> None:
    enter(change.run.spec, final, trigger)
    change.run.spec.current_attempt = ""
    if err:
        change.run.spec.last_err = err
