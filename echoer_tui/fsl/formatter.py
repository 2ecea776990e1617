"""One canonical layout for FSL, as `echoer fmt` writes it.

The layout is the original README's and its example files': four-space indents, one
clause per line, a step's returns on its header line, `};` after each step, arguments
as `(name="value", count=10)`, and after each statement a `/` line (the shells' submit
marker, so a formatted file can be pasted into the `>` shell or the original's) and one
blank line. Names that are not plain identifiers, or that are hard keywords, are
quoted (`retry` and `timeout` are plain names to the lexer, so a TIMEOUT state stays
bare). A bare return state (`FAIL`) is written with its implied target (`FAIL->done`).

`#` comments survive formatting. A comment after code on its line stays at the end of
the line the formatter writes for that code (the last one, when several clauses shared
the source line); a comment with no such line, or on a line of its own, is moved onto
its own line before the next step, statement or `_end` line that follows it in the
source (inside an action, right after the `action NAME` line). A blank line between a
statement's leading comments and the statement is kept. Formatting is idempotent and
the result parses to the same tree, spans aside.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from echoer_tui.errors import FslSyntaxError
from echoer_tui.fsl.ast import ActionDecl, Document, FlowDecl, FlowRunDecl, Statement, StepDecl
from echoer_tui.fsl.document import parse
from echoer_tui.fsl.lexer import KEYWORDS
from echoer_tui.fsl.split import split_statements

INDENT: Final = "    "
SUBMIT: Final = "/"
"""The line written after every statement."""
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_COMMENT: Final = re.compile(r"""("[^"\n]*"|`[^`\n]*`)|(#[^\n]*)""")


def quote(value: str) -> str:
    """A string literal for `value`: "…" unless it holds a double quote."""
    return f"`{value}`" if '"' in value else f'"{value}"'


def name(value: str) -> str:
    """`value` as a name: bare when it is a plain identifier and not a keyword."""
    if _IDENTIFIER.match(value) and value.lower() not in KEYWORDS:
        return value
    return quote(value)


def _value(value: str | int) -> str:
    return str(value) if isinstance(value, int) else quote(value)


def _returns(step: StepDecl) -> str:
    return " | ".join(f"{name(edge.state)}->{name(edge.target)}" for edge in step.edges)


class _Line(NamedTuple):
    """A written line and the source line of the code it writes (0 for a comment)."""

    text: str
    source_line: int


class _Comment(NamedTuple):
    offset: int
    line: int
    text: str
    trailing: bool
    """Whether code precedes it on its source line."""


class _Comments:
    """The document's comments in source order, handed out as the layout passes them."""

    def __init__(self, text: str) -> None:
        self.items: list[_Comment] = []
        line = 1
        scanned = 0
        for match in _COMMENT.finditer(text):
            if not match.group(2):
                continue
            start = match.start()
            line += text.count("\n", scanned, start)
            scanned = start
            line_start = text.rfind("\n", 0, start) + 1
            trailing = bool(text[line_start:start].strip())
            self.items.append(_Comment(start, line, match.group(2).rstrip(), trailing))
        self.next = 0
        self.attached: set[int] = set()
        """Indexes of the trailing comments written at the end of a code line."""

    def before(self, offset: int, indent: str) -> list[_Line]:
        lines = []
        while self.next < len(self.items) and self.items[self.next].offset < offset:
            if self.next not in self.attached:
                lines.append(_Line(indent + self.items[self.next].text, 0))
            self.next += 1
        return lines

    def rest(self) -> list[_Line]:
        return self.before(1 << 62, "")


def _format_action(action: ActionDecl, comments: _Comments | None) -> list[_Line]:
    lines = [_Line(f"action {name(action.name)}", action.name_span.line)]
    if comments is not None:
        lines += comments.before(action.span.end, INDENT)
    if action.addrs:
        lines.append(
            _Line(f"{INDENT}addr = {quote(','.join(action.addrs))};", action.addr_span.end_line)
        )
    lines.append(_Line(f"{INDENT}method = {action.method};", action.method_span.line))
    if action.capem is not None:
        lines.append(
            _Line(f"{INDENT}secret = (capem = {quote(action.capem)});", action.capem_span.end_line)
        )
    if action.params:
        params = ", ".join(f"{param.type} {name(param.name)}" for param in action.params)
        lines.append(_Line(f"{INDENT}args = ({params});", action.params[-1].span.end_line))
    states = " | ".join(name(state.name) for state in action.returns)
    returns_line = action.returns[-1].span.end_line if action.returns else 0
    lines.append(_Line(f"{INDENT}return = ({states});", returns_line))
    if action.retry is not None:
        lines.append(_Line(f"{INDENT}retry = {action.retry};", action.retry_span.line))
    if action.timeout is not None:
        lines.append(_Line(f"{INDENT}timeout = {action.timeout};", action.timeout_span.line))
    lines.append(_Line("action_end", action.span.end_line))
    return lines


def _format_flow(flow: FlowDecl | FlowRunDecl, comments: _Comments | None) -> list[_Line]:
    lines = [_Line(f"{flow.kind} {name(flow.name)}", flow.name_span.line)]
    for step in flow.steps:
        if comments is not None:
            lines += comments.before(step.span.start, INDENT)
        header = f"{INDENT}{step.kind} {name(step.name)} => ({_returns(step)}) {{"
        lines.append(_Line(header, step.name_span.line))
        lines.append(_Line(f"{INDENT * 2}action = {quote(step.action)};", step.action_span.line))
        if step.args:
            args = ", ".join(f"{name(arg.name)}={_value(arg.value)}" for arg in step.args)
            lines.append(_Line(f"{INDENT * 2}args = ({args});", step.args[-1].span.end_line))
        lines.append(_Line(f"{INDENT}}};", step.span.end_line))
    if comments is not None:
        lines += comments.before(flow.span.end, INDENT)
    lines.append(_Line(f"{flow.kind}_end", flow.span.end_line))
    return lines


def _lines(statement: Statement, comments: _Comments | None) -> list[_Line]:
    if isinstance(statement, ActionDecl):
        return _format_action(statement, comments)
    return _format_flow(statement, comments)


def format_statement(statement: Statement) -> str:
    """One statement in the canonical layout, without its `/` line or a trailing newline."""
    return "\n".join(line.text for line in _lines(statement, None))


def format_document(document: Document) -> str:
    """Every statement of `document`, each followed by a `/` line, separated by blank
    lines, ending in a newline."""
    return "\n".join(
        f"{format_statement(statement)}\n{SUBMIT}\n" for statement in document.statements
    )


def _attach_trailing(
    statements: tuple[Statement, ...], comments: _Comments
) -> dict[tuple[int, int], str]:
    """The trailing comments that stay on a code line, by (statement index, source line):
    the last statement that writes code of the comment's source line keeps it. The rest
    are left to go on lines of their own."""
    owner: dict[int, int] = {}
    for index, statement in enumerate(statements):
        for line in _lines(statement, None):
            owner[line.source_line] = index
    owner.pop(0, None)
    attach: dict[tuple[int, int], str] = {}
    for position, comment in enumerate(comments.items):
        if comment.trailing and comment.line in owner:
            attach[(owner[comment.line], comment.line)] = comment.text
            comments.attached.add(position)
    return attach


def _with_trailing(lines: list[_Line], attach: dict[int, str]) -> list[str]:
    """The lines' text, each trailing comment after the last line written from its line."""
    last = {line.source_line: index for index, line in enumerate(lines) if line.source_line}
    at = {last[source]: text for source, text in attach.items() if source in last}
    return [f"{line.text}  {at[i]}" if i in at else line.text for i, line in enumerate(lines)]


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
    attach = _attach_trailing(document.statements, comments)
    blocks = []
    for index, statement in enumerate(document.statements):
        mine = {line: text for (owner, line), text in attach.items() if owner == index}
        leading = [line.text for line in comments.before(statement.span.start, "")]
        if leading and _blank_line_before(text, statement.span.start):
            leading.append("")
        lines = _with_trailing(_lines(statement, comments), mine)
        blocks.append("\n".join([*leading, *lines, SUBMIT]))
    trailing = [line.text for line in comments.rest()]
    if trailing:
        blocks.append("\n".join(trailing))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _blank_line_before(text: str, start: int) -> bool:
    """Whether a blank line separates the statement at `start` from the text before it."""
    line_start = text.rfind("\n", 0, start) + 1
    previous_end = line_start - 1
    previous_start = text.rfind("\n", 0, max(previous_end, 0)) + 1
    return previous_end > 0 and not text[previous_start:previous_end].strip()
