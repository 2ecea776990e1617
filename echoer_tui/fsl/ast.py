"""The FSL syntax tree: frozen dataclasses with source positions, never lark trees.

Everything outside `fsl/` sees only these types. Positions are 1-based line and
column (as editors show them) plus 0-based character offsets into the source text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParamType = Literal["str", "int"]
Method = Literal["http", "https", "grpc"]
StepKind = Literal["step", "deci"]
Severity = Literal["error", "warning"]

DONE = "done"
"""The terminal edge target: following it ends the run."""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a piece of text sits in the source: 1-based line/column, 0-based offsets."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    @classmethod
    def at(cls, text: str, start: int, end: int | None = None) -> Span:
        """The span of text[start:end] computed from offsets (end defaults to start + 1)."""
        end = start + 1 if end is None else end
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        end_line = text.count("\n", 0, end) + 1
        end_column = end - (text.rfind("\n", 0, end) + 1) + 1
        return cls(line, column, end_line, end_column, start, end)


NOWHERE = Span(1, 1, 1, 1, 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in FSL text, meant for a person: where, what, and what to do."""

    span: Span
    message: str
    hint: str = ""
    severity: Severity = "error"
    code: str = ""
    """What kind of problem, for programs that answer differently by kind (e.g. the API's
    409 for "name-taken"); empty where no one needs to tell."""

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def __str__(self) -> str:
        text = f"{self.span.line}:{self.span.column}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """An argument an action declares: `str project` or `int retry_count`."""

    name: str
    type: ParamType
    span: Span


@dataclass(frozen=True, slots=True)
class StateDecl:
    """A return state an action declares: `SUCCESS` in `return = (SUCCESS | FAIL)`."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class ActionDecl:
    """`action NAME … action_end`."""

    name: str
    addrs: tuple[str, ...]
    method: Method
    params: tuple[ParamDecl, ...]
    returns: tuple[StateDecl, ...]
    span: Span
    name_span: Span
    capem: str | None = None
    retry: int | None = None
    """Extension `retry = N;`: dispatch retries before the step ends in TIMEOUT."""
    timeout: int | None = None
    """Extension `timeout = SECONDS;`: how long a dispatched step may wait for its ack."""
    addr_span: Span = NOWHERE
    method_span: Span = NOWHERE
    capem_span: Span = NOWHERE
    retry_span: Span = NOWHERE
    """Where the `retry` number is (the name, without a retry clause)."""
    timeout_span: Span = NOWHERE
    """Where the `timeout` number is (the name, without a timeout clause)."""

    kind: Literal["action"] = field(default="action", init=False)


@dataclass(frozen=True, slots=True)
class Edge:
    """`SUCCESS->D` in a step's returns; `SUCCESS` alone (no target) means `done`."""

    state: str
    target: str
    span: Span
    target_span: Span


@dataclass(frozen=True, slots=True)
class ArgValue:
    """`project="https://…"` or `retry_count=10` in a step's args."""

    name: str
    value: str | int
    span: Span


@dataclass(frozen=True, slots=True)
class StepDecl:
    """`step A => (SUCCESS->D | FAIL->A) { action = "ci"; args = (…); };` (or `deci`)."""

    name: str
    kind: StepKind
    edges: tuple[Edge, ...]
    action: str
    args: tuple[ArgValue, ...]
    span: Span
    name_span: Span
    action_span: Span


@dataclass(frozen=True, slots=True)
class FlowDecl:
    """`flow NAME … flow_end`: a reusable step graph without args."""

    name: str
    steps: tuple[StepDecl, ...]
    span: Span
    name_span: Span

    kind: Literal["flow"] = field(default="flow", init=False)


@dataclass(frozen=True, slots=True)
class FlowRunDecl:
    """`flow_run NAME … flow_run_end`: a step graph bound to concrete args; creating it runs it."""

    name: str
    steps: tuple[StepDecl, ...]
    span: Span
    name_span: Span

    kind: Literal["flow_run"] = field(default="flow_run", init=False)


Statement = ActionDecl | FlowDecl | FlowRunDecl


@dataclass(frozen=True, slots=True)
class Document:
    """What a parse produced: the statements that parsed and every diagnostic found."""

    statements: tuple[Statement, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")
