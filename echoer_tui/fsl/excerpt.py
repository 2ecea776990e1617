"""The source line of a diagnostic with a `^~~~` caret under it, for the shells."""

from __future__ import annotations

from echoer_tui.fsl.ast import Diagnostic

MAX_EXCERPT_WIDTH = 120
"""A 5 MB line is cut to a window around the caret."""


def caret_excerpt(text: str, diagnostic: Diagnostic) -> str:
    """Two lines: the source line of `diagnostic` and a caret under its span.

    Tabs are kept in the caret line so the caret lines up in a terminal.
    """
    start = min(max(diagnostic.span.start, 0), len(text))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    line = text[line_start:line_end].rstrip("\r")
    column = start - line_start
    end = min(max(diagnostic.span.end, start + 1), line_start + len(line) + 1)
    width = max(1, end - start)
    offset = 0
    if len(line) > MAX_EXCERPT_WIDTH:
        offset = max(0, min(column - MAX_EXCERPT_WIDTH // 2, len(line) - MAX_EXCERPT_WIDTH))
        line = line[offset : offset + MAX_EXCERPT_WIDTH]
        column -= offset
        width = min(width, MAX_EXCERPT_WIDTH - column)
    padding = "".join("\t" if char == "\t" else " " for char in line[:column])
    caret = "^" + "~" * (max(1, width) - 1)
    return f"{line}\n{padding}{caret}"
