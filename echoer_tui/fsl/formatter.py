"""One canonical layout for FSL, as `echoer fmt` writes it.

The layout is the original README's: four-space indents, one clause per line, a
step's returns on its header line, `};` after each step, arguments as
`(name="value", count=10)`, one blank line between statements and no `/` lines (those
are the shells' submit marker, not part of a file). Names that are not plain
identifiers, or that are keywords, are quoted. A bare return state (`FAIL`) is written
with its implied target (`FAIL->done`).

`#` comments survive formatting: each is moved onto its own line before the next
step, statement or `_end` line that follows it in the source (inside an action, right
after the `action NAME` line). Formatting is idempotent and the result parses to the
same tree, spans aside.
"""

from __future__ import annotations

import re
from typing import Final

from echoer_tui.errors import FslSyntaxError
from echoer_tui.fsl.ast import ActionDecl, Document, FlowDecl, FlowRunDecl, Statement, StepDecl
from echoer_tui.fsl.document import parse
from echoer_tui.fsl.lexer import KEYWORDS, SOFT_KEYWORDS
from echoer_tui.fsl.split import split_statements

INDENT: Final = "    "
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_COMMENT: Final = re.compile(r"""("[^"\n]*"|`[^`\n]*`)|(#[^\n]*)""")


def quote(value: str) -> str:
    """A string literal for `value`: "…" unless it holds a double quote."""
    return f"`{value}`" if '"' in value else f'"{value}"'


def name(value: str) -> str:
    """`value` as a name: bare when it is a plain, non-keyword identifier."""
    lowered = value.lower()
    if _IDENTIFIER.match(value) and lowered not in KEYWORDS and lowered not in SOFT_KEYWORDS:
        return value
    return quote(value)


def _value(value: str | int) -> str:
    return str(value) if isinstance(value, int) else quote(value)


def _returns(step: StepDecl) -> str:
    return " | ".join(f"{name(edge.state)}->{name(edge.target)}" for edge in step.edges)


class _Comments:
    """The document's comments in source order, handed out as the layout passes them."""

    def __init__(self, text: str) -> None:
        self.items = [
            (match.start(), match.group(2).rstrip())
            for match in _COMMENT.finditer(text)
            if match.group(2)
        ]
        self.next = 0

    def before(self, offset: int, indent: str) -> list[str]:
        lines = []
        while self.next < len(self.items) and self.items[self.next][0] < offset:
            lines.append(indent + self.items[self.next][1])
            self.next += 1
        return lines

    def rest(self) -> list[str]:
        return self.before(1 << 62, "")


def _format_action(action: ActionDecl, comments: _Comments | None) -> list[str]:
    lines = [f"action {name(action.name)}"]
    if comments is not None:
        lines += comments.before(action.span.end, INDENT)
    if action.addrs:
        lines.append(f"{INDENT}addr = {quote(','.join(action.addrs))};")
    lines.append(f"{INDENT}method = {action.method};")
    if action.capem is not None:
        lines.append(f"{INDENT}secret = (capem = {quote(action.capem)});")
    if action.params:
        params = ", ".join(f"{param.type} {name(param.name)}" for param in action.params)
        lines.append(f"{INDENT}args = ({params});")
    states = " | ".join(name(state.name) for state in action.returns)
    lines.append(f"{INDENT}return = ({states});")
    if action.retry is not None:
        lines.append(f"{INDENT}retry = {action.retry};")
    if action.timeout is not None:
        lines.append(f"{INDENT}timeout = {action.timeout};")
    lines.append("action_end")
    return lines


def _format_flow(flow: FlowDecl | FlowRunDecl, comments: _Comments | None) -> list[str]:
    lines = [f"{flow.kind} {name(flow.name)}"]
    for step in flow.steps:
        if comments is not None:
            lines += comments.before(step.span.start, INDENT)
        lines.append(f"{INDENT}{step.kind} {name(step.name)} => ({_returns(step)}) {{")
        lines.append(f"{INDENT * 2}action = {quote(step.action)};")
        if step.args:
            args = ", ".join(f"{name(arg.name)}={_value(arg.value)}" for arg in step.args)
            lines.append(f"{INDENT * 2}args = ({args});")
        lines.append(f"{INDENT}}};")
    if comments is not None:
        lines += comments.before(flow.span.end, INDENT)
    lines.append(f"{flow.kind}_end")
    return lines


def format_statement(statement: Statement, comments: _Comments | None = None) -> str:
    """One statement in the canonical layout, without a trailing newline."""
    if isinstance(statement, ActionDecl):
        lines = _format_action(statement, comments)
    else:
        lines = _format_flow(statement, comments)
    return "\n".join(lines)


def format_document(document: Document) -> str:
    """Every statement of `document`, separated by blank lines, ending in a newline."""
    if not document.statements:
        return ""
    return "\n\n".join(format_statement(statement) for statement in document.statements) + "\n"


def format_text(text: str) -> str:
    """`text` in the canonical layout, comments kept.

    Raises FslSyntaxError (with the diagnostics) when a statement does not parse:
    formatting must never drop a statement.
    """
    document = parse(text)
    if len(split_statements(text)) != len(document.statements):
        errors: list[object] = list(document.errors)
        first = document.errors[0] if document.errors else None
        where = f"{first.line}:{first.column}: {first.message}" if first else "a statement"
        raise FslSyntaxError(f"cannot format text that does not parse ({where})", errors)
    comments = _Comments(text)
    blocks = []
    for statement in document.statements:
        leading = comments.before(statement.span.start, "")
        blocks.append("\n".join([*leading, format_statement(statement, comments)]))
    trailing = comments.rest()
    if trailing:
        blocks.append("\n".join(trailing))
    return "\n\n".join(blocks) + "\n" if blocks else ""
