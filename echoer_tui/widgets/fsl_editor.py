"""The FSL editor: a TextArea highlighted by the project's Pygments lexer, with diagnostics.

TextArea highlights through tree-sitter and there is no FSL grammar for it, so the
highlight map is filled from `FslLexer` instead — lazily, one line at a time, when a
line is drawn. FSL tokens never span lines (strings and comments end at the line
end), so a line lexed alone is lexed right, and a keystroke in a 5,000-line file
costs the lines on screen only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from echoer_tui.fsl.ast import Diagnostic
from echoer_tui.service.commands import ends_statement

Highlight = tuple[int, int | None, str]

THEME = TextAreaTheme(
    name="echoer",
    syntax_styles={
        "keyword": Style(color="magenta", bold=True),
        "type": Style(color="cyan"),
        "string": Style(color="green"),
        "number": Style(color="yellow"),
        "state": Style(color="yellow"),
        "marker": Style(color="green", bold=True),
        "comment": Style(color="bright_black", italic=True),
        "operator": Style(color="bright_blue"),
        "name": Style(color="bright_white", bold=True),
        "bad": Style(color="red", reverse=True),
        "diag.error": Style(underline=True, color="red"),
        "diag.warning": Style(underline=True, color="yellow"),
    },
    gutter_style=Style(color="bright_black"),
    cursor_line_gutter_style=Style(color="white", bold=True),
    cursor_line_style=Style(bgcolor="black"),
)


def _highlight_name(token_type: object) -> str | None:
    text = str(token_type)
    for prefix, name in (
        ("Token.Keyword.Type", "type"),
        ("Token.Name.Constant", "state"),
        ("Token.Punctuation.Marker", "marker"),
        ("Token.Keyword", "keyword"),
        ("Token.Literal.String", "string"),
        ("Token.Literal.Number", "number"),
        ("Token.Comment", "comment"),
        ("Token.Operator", "operator"),
        ("Token.Punctuation", "operator"),
        ("Token.Name.Function", "name"),
        ("Token.Name.Class", "name"),
        ("Token.Name.Label", "name"),
        ("Token.Error", "bad"),
    ):
        if text.startswith(prefix):
            return name
    return None


@lru_cache(maxsize=8192)
def lex_line(line: str) -> tuple[Highlight, ...]:
    """Highlights of one line in the byte offsets TextArea expects."""
    from echoer_tui.fsl.highlight import FslLexer

    out: list[Highlight] = []
    lexer = _lexer(FslLexer)
    for index, token_type, value in lexer.get_tokens_unprocessed(line):
        name = _highlight_name(token_type)
        if name and value.strip():
            start = len(line[:index].encode())
            out.append((start, start + len(value.encode()), name))
    return tuple(out)


@lru_cache(maxsize=1)
def _lexer(cls: type) -> Any:
    return cls()


def statements_of(text: str, first_row: int = 0) -> list[str]:
    """Submitted text as the shell runs it: split at `/` lines, comments above each
    blanked. Each statement keeps its place (empty lines stand for the `first_row` rows
    above `text` and the lines before it), so a reply's `line:col` is the document's."""
    out: list[str] = []
    block: list[str] = []
    start = 0
    for row, line in enumerate([*text.split("\n"), "/"]):
        if not ends_statement(line):
            block.append(line)
            continue
        block.append(line.rstrip()[:-1])
        statement = _without_leading_comments("\n".join(block))
        if statement.strip():
            out.append("\n" * (first_row + start) + statement)
        block, start = [], row + 1
    return out


def _without_leading_comments(statement: str) -> str:
    """Comment lines above a statement are notes to the reader, not part of a command:
    they become empty lines, so the statement's lines keep their numbers."""
    lines = statement.split("\n")
    for index, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines[index] = ""
    return "\n".join(lines)


class _LazyHighlights(dict[int, list[Highlight]]):
    """Line -> highlights, computed when TextArea asks for a line it is drawing."""

    def __init__(self, editor: FlowEditor) -> None:
        super().__init__()
        self.editor = editor

    def __bool__(self) -> bool:
        return True  # TextArea skips highlighting for an empty (falsy) map

    def __missing__(self, row: int) -> list[Highlight]:
        line = self.editor.document.get_line(row) if row < self.editor.document.line_count else ""
        highlights = list(lex_line(line))
        highlights.extend(self.editor.diagnostic_marks.get(row, ()))
        self[row] = highlights
        return highlights


class FlowEditor(TextArea):
    """FSL with highlighting, line numbers, diagnostics and shell-style submission."""

    BINDINGS = [
        Binding("ctrl+enter,f5,ctrl+r", "submit", "Submit", priority=True),
        # As in every other editor (TextArea binds neither).
        Binding("ctrl+home", "document_edge(0)", "Start of document", show=False),
        Binding("ctrl+end", "document_edge(1)", "End of document", show=False),
    ]

    class Submitted(Message):
        """A statement (or the selection) was submitted from the editor."""

        def __init__(self, editor: FlowEditor, statement: str) -> None:
            super().__init__()
            self.editor = editor
            self.statement = statement

        @property
        def control(self) -> FlowEditor:
            return self.editor

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, show_line_numbers=True, tab_behavior="indent")
        self.diagnostics: tuple[Diagnostic, ...] = ()
        self.diagnostic_marks: dict[int, list[Highlight]] = {}
        self._highlights = _LazyHighlights(self)
        self.register_theme(THEME)
        self.theme = "echoer"

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        self._highlights = _LazyHighlights(self)

    def set_diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        """Underline each diagnostic and mark its line in the gutter."""
        self.diagnostics = tuple(diagnostics)
        marks: dict[int, list[Highlight]] = {}
        for diag in self.diagnostics:
            row = diag.span.line - 1
            if row >= self.document.line_count:
                continue
            line = self.document.get_line(row)
            col = max(0, diag.span.column - 1)
            end_col = (
                diag.span.end_column - 1 if diag.span.end_line == diag.span.line else len(line)
            )
            end_col = max(end_col, col + 1)
            start = len(line[:col].encode())
            end = len(line[:end_col].encode()) if end_col <= len(line) else None
            marks.setdefault(row, []).append((start, end, f"diag.{diag.severity}"))
        self.diagnostic_marks = marks
        self._build_highlight_map()
        self.refresh()

    def diagnostic_at_cursor(self) -> Diagnostic | None:
        """The diagnostic on the cursor's line (the one nearest the cursor first)."""
        row, col = self.cursor_location
        on_line = [d for d in self.diagnostics if d.span.line - 1 == row]
        if not on_line:
            return None
        return min(on_line, key=lambda d: abs(d.span.column - 1 - col))

    def _render_line(self, y: int) -> Strip:
        strip = super()._render_line(y)
        if not self.diagnostic_marks or not self.show_line_numbers:
            return strip
        try:
            row, section = self.wrapped_document._offset_to_line_info[y + self.scroll_offset[1]]
        except IndexError:
            return strip
        if section or row not in self.diagnostic_marks:
            return strip
        severity = (
            "error"
            if any(name == "diag.error" for *_, name in self.diagnostic_marks[row])
            else "warning"
        )
        # The line number itself turns red (or yellow), so it stays readable.
        mark = Style(color="red" if severity == "error" else "yellow", bold=True, reverse=True)
        gutter = max(1, self.gutter_width - 1)
        number = Strip(Segment.apply_style(strip.crop(0, gutter), post_style=mark))
        return Strip.join([number, strip.crop(gutter)])

    def action_document_edge(self, end: int) -> None:
        """Ctrl+Home / Ctrl+End: the cursor to the start or the end of the document."""
        self.move_cursor(self.document.end if end else (0, 0), center=False)

    # Submission, as in the shell: a block ends at a line ending in `/`.
    def statement_at(self, row: int) -> str:
        """The statement whose block holds `row` (between `/` lines)."""
        lines = self.text.split("\n")
        start = row
        while start > 0 and not ends_statement(lines[start - 1]):
            start -= 1
        end = row
        while end < len(lines) - 1 and not ends_statement(lines[end]):
            end += 1
        statements = statements_of("\n".join(lines[start : end + 1]), first_row=start)
        return statements[0] if statements else ""

    def action_submit(self) -> None:
        """Submit the selection, else the statement under the cursor."""
        statement = self._selected_statements() or self.statement_at(self.cursor_location[0])
        if statement:
            self.post_message(self.Submitted(self, statement))

    def _selected_statements(self) -> str:
        """The selection in its place: as many empty lines and spaces before it as the
        document has, so replies point at the document's lines and columns."""
        if not self.selected_text.strip():
            return ""
        row, col = min(self.selection.start, self.selection.end)
        return "\n" * row + " " * col + self.selected_text

    async def _on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key == "enter" and not self.read_only:
            row, col = self.cursor_location
            line = self.document.get_line(row)
            if col == len(line) and ends_statement(line):
                statement = self.statement_at(row)
                await super()._on_key(event)
                if statement:
                    self.post_message(self.Submitted(self, statement))
                return
        await super()._on_key(event)
