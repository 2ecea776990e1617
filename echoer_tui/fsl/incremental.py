"""Re-validate a document after a keystroke by re-parsing only what changed.

An editor re-validates on every keystroke; a whole-document parse of 1,000 lines costs
more than a 60 Hz frame. Statements are independent, so this parser keeps each
statement's result keyed by its text (and its column, which sits in the spans) and
re-parses only statements whose text is new. A cached statement that merely moved (a
line was inserted above it) gets its spans moved, which is much cheaper than parsing.
The result always equals `parse(text)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from echoer_tui.fsl.ast import (
    ActionDecl,
    ArgValue,
    Diagnostic,
    Document,
    Edge,
    FlowDecl,
    FlowRunDecl,
    ParamDecl,
    Span,
    StateDecl,
    Statement,
    StepDecl,
)
from echoer_tui.fsl.document import assemble, parse_statement
from echoer_tui.fsl.parser import StatementResult
from echoer_tui.fsl.positions import Positions, fast_constructor
from echoer_tui.fsl.split import statement_ranges
from echoer_tui.heap import gc_paused

_span = fast_constructor(Span)
_edge = fast_constructor(Edge)
_arg = fast_constructor(ArgValue)
_step = fast_constructor(StepDecl)


@dataclass(frozen=True, slots=True)
class _Entry:
    result: StatementResult
    start: int
    line: int


class _Move:
    """Moves spans by whole lines and characters (the column is unchanged)."""

    __slots__ = ("chars", "lines")

    def __init__(self, lines: int, chars: int) -> None:
        self.lines = lines
        self.chars = chars

    def span(self, span: Span) -> Span:
        return _span(
            span.line + self.lines,
            span.column,
            span.end_line + self.lines,
            span.end_column,
            span.start + self.chars,
            span.end + self.chars,
        )

    def step(self, step: StepDecl) -> StepDecl:
        move = self.span
        return _step(
            step.name,
            step.kind,
            tuple(
                _edge(edge.state, edge.target, move(edge.span), move(edge.target_span))
                for edge in step.edges
            ),
            step.action,
            tuple(_arg(arg.name, arg.value, move(arg.span)) for arg in step.args),
            move(step.span),
            move(step.name_span),
            move(step.action_span),
        )

    def statement(self, statement: Statement) -> Statement:
        move = self.span
        if isinstance(statement, ActionDecl):
            return ActionDecl(
                statement.name,
                statement.addrs,
                statement.method,
                tuple(ParamDecl(p.name, p.type, move(p.span)) for p in statement.params),
                tuple(StateDecl(s.name, move(s.span)) for s in statement.returns),
                move(statement.span),
                move(statement.name_span),
                capem=statement.capem,
                retry=statement.retry,
                timeout=statement.timeout,
                addr_span=move(statement.addr_span),
                method_span=move(statement.method_span),
                capem_span=move(statement.capem_span),
                retry_span=move(statement.retry_span),
                timeout_span=move(statement.timeout_span),
            )
        steps = tuple(self.step(step) for step in statement.steps)
        if isinstance(statement, FlowDecl):
            return FlowDecl(statement.name, steps, move(statement.span), move(statement.name_span))
        return FlowRunDecl(statement.name, steps, move(statement.span), move(statement.name_span))

    def result(self, result: StatementResult) -> StatementResult:
        statement = None if result.statement is None else self.statement(result.statement)
        diagnostics = tuple(
            Diagnostic(self.span(d.span), d.message, d.hint, d.severity) for d in result.diagnostics
        )
        return StatementResult(statement, diagnostics)


class IncrementalParser:
    """Parses successive versions of one document, re-using unchanged statements."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], _Entry] = {}
        self.reparsed = 0
        """How many statements the last `update` had to parse (for tests and benchmarks)."""

    def update(self, text: str) -> Document:
        """The document for `text`; equal to `parse(text)`."""
        with gc_paused():
            positions = Positions(text)
            cache: dict[tuple[str, int], _Entry] = {}
            results: list[StatementResult] = []
            self.reparsed = 0
            for start, end in statement_ranges(text):
                line, column = positions.line_column(start)
                key = (text[start:end], column)
                entry = self._cache.get(key) or cache.get(key)
                if entry is None:
                    result = parse_statement(text, start, end, positions)
                    self.reparsed += 1
                elif entry.start != start or entry.line != line:
                    result = _Move(line - entry.line, start - entry.start).result(entry.result)
                else:
                    result = entry.result
                cache[key] = _Entry(result, start, line)
                results.append(result)
            self._cache = cache
            return assemble(results, positions)
