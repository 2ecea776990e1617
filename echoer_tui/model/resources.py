"""The resources echoer stores and serves, in the original echoer JSON shape.

Every resource is `{"metadata": {...}, "spec": {...}}`. Keys are the original's;
keys we add are additive (the original's clients ignore them). No I/O here.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, ClassVar, Literal

Kind = Literal["action", "flow", "flowrun", "step", "event"]
KINDS: tuple[Kind, ...] = ("action", "flow", "flowrun", "step", "event")

SERVE_TYPES = {"http": 0, "grpc": 1, "https": 2}
PARAM_TYPES = {"str": 0, "int": 1}
PARAM_TYPE_NAMES = {0: "str", 1: "int"}

# Run states besides "a step name while that step runs".
READY = "ready"
SUSPEND = "suspend"
STOPPED = "stopped"
DONE = "done"
FINISHED_STATES = frozenset({STOPPED, DONE})

# Step attempt outcomes the engine itself produces.
TIMEOUT = "TIMEOUT"

DEFAULT_RETRIES = 3


def new_uuid() -> str:
    return uuidlib.uuid4().hex


@dataclass(slots=True)
class Metadata:
    """name, kind, uuid (set once), version (grows on every write), labels."""

    name: str
    kind: str
    uuid: str = ""
    version: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    created_time: float = 0.0
    updated_time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "uuid": self.uuid,
            "version": self.version,
            "labels": dict(self.labels),
            "created_time": self.created_time,
            "updated_time": self.updated_time,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metadata:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            uuid=str(data.get("uuid", "")),
            version=int(data.get("version", 0)),
            labels=dict(data.get("labels") or {}),
            created_time=float(data.get("created_time", 0.0)),
            updated_time=float(data.get("updated_time", 0.0)),
        )


@dataclass(slots=True)
class ActionSpec:
    system: str = "compass"
    serve_type: int = 0
    endpoints: list[str] = field(default_factory=list)
    ca_pem: str = ""
    params: dict[str, int] = field(default_factory=dict)
    return_states: list[str] = field(default_factory=list)
    reference_count: int = 0
    retry: int = DEFAULT_RETRIES
    timeout: int = 0
    """Seconds a dispatched step may wait for its ack; 0 waits for ever (the original)."""


@dataclass(slots=True)
class FlowStep:
    """One step of a flow template (the original kept action_name and returns only)."""

    name: str
    type: str
    action_name: str
    returns: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "action_name": self.action_name,
            "returns": dict(self.returns),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowStep:
        return cls(
            name=str(data.get("name", "")),
            type=str(data.get("type", "step")),
            action_name=str(data["action_name"]),
            returns=dict(data.get("returns") or {}),
        )


@dataclass(slots=True)
class FlowSpec:
    steps: list[FlowStep] = field(default_factory=list)


@dataclass(slots=True)
class ActionRun:
    action_name: str
    action_params: dict[str, Any] = field(default_factory=dict)
    return_state_map: dict[str, str] = field(default_factory=dict)
    done: bool = False


@dataclass(slots=True)
class StepSpec:
    """A step of a flow run (in `flowrun.spec.steps`) or one attempt of it (kind `step`)."""

    flow_id: str
    flow_run_uuid: str
    action_run: ActionRun
    type: str = "step"
    response: dict[str, Any] = field(default_factory=lambda: {"state": ""})
    data: str = ""
    retry_count: int = 0
    global_variables: dict[str, Any] = field(default_factory=dict)
    # Additive: one attempt's life.
    step_name: str = ""
    attempt: int = 0
    dispatched_time: float = 0.0
    acked_time: float = 0.0
    finished_time: float = 0.0
    last_err: str = ""
    next_try_time: float = 0.0
    """When the next dispatch try of this attempt is due (a retry waits in the delay
    queue); 0 when none is waiting."""


@dataclass(slots=True)
class FlowRunSpec:
    steps: list[dict[str, Any]] = field(default_factory=list)
    """The run's step definitions, each a `step` resource dict (metadata + spec)."""
    history_states: list[str] = field(default_factory=list)
    last_state: str = ""
    current_state: str = READY
    last_event: str = ""
    last_err: str = ""
    global_variable: dict[str, Any] = field(default_factory=dict)
    # Additive.
    flow_name: str = ""
    """The flow this run was instantiated from, if any."""
    current_attempt: str = ""
    """uuid of the attempt the run waits on, "" when none."""
    attempts: int = 0
    """How many step attempts this run has made; attempt resources are `<run>.<step>.<n>`."""
    breakpoints: list[str] = field(default_factory=list)
    """Steps the run holds before (suspended, the attempt made but not sent) until continued."""


@dataclass(slots=True)
class EventSpec:
    """What happened, when, to which resource."""

    resource_kind: str
    resource_name: str
    message: str
    event_type: str = "info"
    time: float = 0.0
    step_name: str = ""
    attempt_uuid: str = ""
    state: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _original_event_keys(spec: EventSpec) -> dict[str, Any]:
    """The original's event is `{metadata, event_type, message, object}` at top level;
    the same facts beside our `spec`, so a client written for the original reads them."""
    return {
        "event_type": spec.event_type,
        "message": spec.message,
        "object": {
            "kind": spec.resource_kind,
            "name": spec.resource_name,
            "step_name": spec.step_name,
            "state": spec.state,
        },
    }


SPEC_TYPES: dict[str, type] = {
    "action": ActionSpec,
    "flow": FlowSpec,
    "flowrun": FlowRunSpec,
    "step": StepSpec,
    "event": EventSpec,
}


@cache
def _list_fields(spec_type: type) -> tuple[str, ...]:
    """The fields of a spec type that hold lists (copied whole by `_spec_to_dict`)."""
    return tuple(f.name for f in fields(spec_type) if str(f.type).startswith("list"))


@cache
def _field_names(spec_type: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(spec_type))


def _spec_to_dict(spec: Any) -> dict[str, Any]:
    """A spec as JSON-ready dicts: lists copied (a run's history grows with every step,
    so it is copied whole, not looked at item by item), steps and action runs as dicts.
    The engine calls this several times per step, hence the per-type field plans."""
    spec_type: type = type(spec)
    out: dict[str, Any] = {name: getattr(spec, name) for name in spec.__slots__}
    for name in _list_fields(spec_type):
        value = out[name]
        out[name] = (
            [v.to_dict() for v in value]
            if value and isinstance(value[0], FlowStep)
            else list(value)
        )
    run = out.get("action_run")
    if isinstance(run, ActionRun):
        out["action_run"] = {
            "action_name": run.action_name,
            "action_params": dict(run.action_params),
            "return_state_map": dict(run.return_state_map),
            "done": run.done,
        }
    return out


@dataclass(slots=True)
class Resource:
    """A stored resource: metadata plus the spec of its kind."""

    metadata: Metadata
    spec: Any

    kinds: ClassVar[tuple[Kind, ...]] = KINDS

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def kind(self) -> str:
        return self.metadata.kind

    def to_dict(self) -> dict[str, Any]:
        out = {"metadata": self.metadata.to_dict(), "spec": _spec_to_dict(self.spec)}
        if isinstance(self.spec, EventSpec):
            out.update(_original_event_keys(self.spec))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resource:
        metadata = Metadata.from_dict(data["metadata"])
        raw = data.get("spec") or {}
        spec_type = SPEC_TYPES[metadata.kind]
        known = _field_names(spec_type)
        values = {k: v for k, v in raw.items() if k in known}
        if spec_type is FlowSpec:
            values["steps"] = [FlowStep.from_dict(s) for s in values.get("steps", [])]
        if spec_type is StepSpec and isinstance(values.get("action_run"), dict):
            values["action_run"] = ActionRun(**values["action_run"])
        return cls(metadata, spec_type(**values))
