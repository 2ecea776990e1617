"""The flow-run state machine as pure functions: which edge a state follows, what a run
and an attempt look like after a transition, and the event that records it.

No I/O: the engine reads resources, calls these, and commits the result in one write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from echoer_tui.errors import NotFoundError
from echoer_tui.model.resources import (
    DONE,
    FINISHED_STATES,
    READY,
    SUSPEND,
    TIMEOUT,
    ActionRun,
    EventSpec,
    FlowRunSpec,
    Metadata,
    Resource,
    StepSpec,
    new_uuid,
)

RUN_LABEL = "flowrun"
"""Label on attempts, events and timers naming the run they belong to."""

UUID_LABEL = "uuid"
"""Label on attempts carrying their uuid, so an ack without flowId finds its attempt."""


@dataclass(frozen=True, slots=True)
class StepDef:
    """One declared step of a flow run: its action, args and edges."""

    name: str
    type: str
    action_name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    returns: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_resource(cls, data: Mapping[str, Any]) -> StepDef:
        meta = data.get("metadata") or {}
        spec = data.get("spec") or {}
        run = spec.get("action_run") or {}
        return cls(
            name=str(meta.get("name") or spec.get("step_name") or ""),
            type=str(spec.get("type") or "step"),
            action_name=str(run.get("action_name") or ""),
            params=dict(run.get("action_params") or {}),
            returns=dict(run.get("return_state_map") or {}),
        )


def step_defs(run: FlowRunSpec) -> list[StepDef]:
    return [StepDef.from_resource(s) for s in run.steps]


def find_step(run: FlowRunSpec, name: str) -> StepDef:
    for data in run.steps:
        # Parse only the match: this runs on every ack.
        meta, spec = data.get("metadata") or {}, data.get("spec") or {}
        if (meta.get("name") or spec.get("step_name")) == name:
            return StepDef.from_resource(data)
    names = ", ".join(s.name for s in step_defs(run)) or "none"
    raise NotFoundError(f"the run has no step {name!r} (its steps: {names})", field="step")


@dataclass(frozen=True, slots=True)
class Edge:
    """Where a step's final state leads: a step name, `done`, or nowhere (`target` None)."""

    target: str | None
    reason: str = ""


def resolve_edge(step: StepDef, state: str, detail: str = "") -> Edge:
    """The edge `state` follows out of `step`; an unmapped state stops the run with a reason."""
    if state in step.returns:
        return Edge(step.returns[state])
    if not step.returns and state != TIMEOUT:
        return Edge(DONE)  # `()`: done whatever the action returns
    mapped = " | ".join(f"{k}->{v}" for k, v in step.returns.items()) or "nothing"
    if state == TIMEOUT:
        why = f": {detail}" if detail else ""
        return Edge(
            None,
            f"step {step.name} ended in TIMEOUT{why}; the step maps no TIMEOUT edge "
            f"(it maps {mapped})",
        )
    return Edge(
        None, f"step {step.name} answered {state}, which the step does not map (it maps {mapped})"
    )


def enter(run: FlowRunSpec, state: str, trigger: str) -> None:
    """The run enters `state` because of `trigger` (an ack state or an operation)."""
    run.last_state = run.current_state
    run.current_state = state
    run.history_states.append(state)
    run.last_event = trigger


def is_active(run: FlowRunSpec) -> bool:
    """The run is at a step (not ready, suspended or finished)."""
    return run.current_state not in FINISHED_STATES and run.current_state not in (READY, SUSPEND)


def attempt_name(run: str, step: str, n: int) -> str:
    return f"{run}.{step}.{n}"


def new_attempt(run: Resource, step: StepDef, now: float) -> Resource:
    """The next attempt of `step` (counted on the run), carrying the run's globals."""
    spec: FlowRunSpec = run.spec
    spec.attempts += 1
    uuid = new_uuid()
    attempt = StepSpec(
        flow_id=run.name,
        flow_run_uuid=run.metadata.uuid,
        action_run=ActionRun(step.action_name, dict(step.params), dict(step.returns), False),
        type=step.type,
        global_variables=dict(spec.global_variable),
        step_name=step.name,
        attempt=spec.attempts,
    )
    meta = Metadata(
        name=attempt_name(run.name, step.name, spec.attempts),
        kind="step",
        uuid=uuid,
        labels={RUN_LABEL: run.name, "step": step.name, UUID_LABEL: uuid},
        created_time=now,
    )
    spec.current_attempt = uuid
    return Resource(meta, attempt)


def finish_attempt(
    attempt: StepSpec, state: str, now: float, *, data: str | None = None, err: str = ""
) -> None:
    """The attempt is over: with an answer (`state`) or without one (`state` "")."""
    if state:
        attempt.response = {"state": state}
        attempt.acked_time = now
        attempt.action_run.done = True
    if data is not None:
        attempt.data = data
    attempt.finished_time = now
    attempt.next_try_time = 0.0  # its timers go with it
    if err:
        attempt.last_err = err


def is_finished(attempt: StepSpec) -> bool:
    return attempt.finished_time > 0 or attempt.action_run.done


def event(
    run: Resource,
    ordinal: int,
    serial: int,
    now: float,
    message: str,
    *,
    event_type: str = "info",
    attempt: Resource | None = None,
    state: str = "",
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event resource about `run`, named `<run>.<ordinal>.<serial>`.

    `ordinal` grows with every commit of the run (the engine takes the store's seq) and
    `serial` counts the events of one commit, so a run's events sort by name in order.
    """
    name = f"{run.name}.{ordinal:012d}.{serial}"
    spec = EventSpec(
        resource_kind="flowrun",
        resource_name=run.name,
        message=message,
        event_type=event_type,
        time=now,
        step_name=attempt.spec.step_name if attempt is not None else "",
        attempt_uuid=attempt.metadata.uuid if attempt is not None else "",
        state=state,
        data=dict(data or {}),
    )
    if attempt is not None:
        spec.data.setdefault("attempt", attempt.name)
    meta = Metadata(name=name, kind="event", labels={RUN_LABEL: run.name}, created_time=now)
    return Resource(meta, spec).to_dict()


def merge_globals(target: dict[str, Any], update: Mapping[str, Any]) -> bool:
    """Merge an ack's globalVariables into `target`; whether anything changed."""
    changed = False
    for key, value in update.items():
        if target.get(key, object()) != value:
            target[str(key)] = value
            changed = True
    return changed


def declared_states(return_states: Sequence[str] | None, step: StepDef) -> list[str]:
    """The states an ack may carry: the action's, or the step's own map when the action is gone."""
    if return_states:
        return list(return_states)
    return [s for s in step.returns if s != TIMEOUT]


MAX_BACKOFF = 300.0
"""Longest wait (seconds) before a dispatch retry, however many retries came before."""

_DOUBLINGS = 64
"""Doublings past which every positive base already exceeds any sane cap: the exponent
stops there, so a retry count in the thousands never overflows a float."""


def retry_delay(base: float, retry: int, cap: float = MAX_BACKOFF) -> float:
    """Seconds before retry number `retry` (1, 2, …): `base` doubled each time, at most `cap`."""
    exponent = min(max(retry - 1, 0), _DOUBLINGS)
    return max(0.0, min(base * 2.0**exponent, cap))


def step_tries(run: FlowRunSpec, step: str) -> int:
    """How many times the run has entered `step`, counting from its history.

    A `continue` re-enters the paused step without a new attempt (history `S, suspend, S`),
    so that entry is not counted. The one case this cannot tell apart is a step that maps
    an answer back to itself, answered while paused: that try is counted once short.
    """
    history = run.history_states
    tries = history.count(step)  # in C: this runs on every entered step
    if SUSPEND not in history:
        return tries
    for index, state in enumerate(history):
        if (
            state == SUSPEND
            and 0 < index < len(history) - 1
            and history[index - 1] == step == history[index + 1]
        ):
            tries -= 1
    return tries
