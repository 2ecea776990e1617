"""`parse(text)`: a whole document in, every statement and every diagnostic out.

The document is cut into statements first (split.py) and each is parsed and checked on
its own, so an error in one never hides the others. `parse` never raises: whatever the
input (random bytes, a 5 MB line, an unterminated string) the result is a `Document`.
"""

from __future__ import annotations

from collections.abc import Sequence

from echoer_tui.fsl.ast import Diagnostic, Document, Statement
from echoer_tui.fsl.checks import check_statement
from echoer_tui.fsl.parser import StatementResult, parse_source
from echoer_tui.fsl.positions import Positions
from echoer_tui.fsl.split import statement_ranges
from echoer_tui.heap import gc_paused


def parse_statement(text: str, start: int, end: int, positions: Positions) -> StatementResult:
    """Parse and check the statement at text[start:end]."""
    result = parse_source(text, start, end, positions)
    if result.statement is None:
        return result
    extra = check_statement(result.statement)
    if not extra:
        return result
    diagnostics = tuple(sorted((*result.diagnostics, *extra), key=lambda d: d.span.start))
    return StatementResult(result.statement, diagnostics)


def document_diagnostics(statements: Sequence[Statement], positions: Positions) -> list[Diagnostic]:
    """Checks across statements: a name defined twice for the same kind of resource."""
    found: list[Diagnostic] = []
    seen: dict[tuple[str, str], Statement] = {}
    for statement in statements:
        key = (statement.kind, statement.name)
        first = seen.get(key)
        if first is None:
            seen[key] = statement
            continue
        line = positions.line_column(first.name_span.start)[0]
        found.append(
            Diagnostic(
                statement.name_span,
                f"{statement.kind} {statement.name} is defined again (first on line {line})",
                "submitting it will be refused because the name is already taken",
                "warning",
            )
        )
    return found


def assemble(
    results: Sequence[StatementResult], positions: Positions, prefix: Sequence[Diagnostic] = ()
) -> Document:
    """The document made of per-statement results, plus the cross-statement checks."""
    statements = tuple(result.statement for result in results if result.statement is not None)
    diagnostics: list[Diagnostic] = list(prefix)
    for result in results:
        diagnostics.extend(result.diagnostics)
    diagnostics.extend(document_diagnostics(statements, positions))
    diagnostics.sort(key=lambda d: (d.span.start, d.span.end))
    return Document(statements, tuple(diagnostics))


def parse(text: str) -> Document:
    """Parse a document; never raises (bad input becomes diagnostics)."""
    if not isinstance(text, str):
        text = str(text)
    with gc_paused():
        positions = Positions(text)
        results = [
            parse_statement(text, start, end, positions) for start, end in statement_ranges(text)
        ]
        return assemble(results, positions)
