"""Cut a document into statements before lexing or parsing any of them.

Statements are independent (each is submitted, stored and translated on its own), so
the document parser, the incremental parser and the shells all work statement by
statement. A statement ends at its `_end` keyword or at a line that is just `/` (the
shells' submit marker); a new one also starts at `flow`, `flow_run` or `action NAME`
(outside a step's braces) even when the previous one is missing its `_end`, so one
forgotten `flow_end` costs one diagnostic instead of hiding every later statement.

The cut is made by one regular expression that sees only what matters for it
(strings and comments, to skip them; braces; the statement keywords; `/` lines), not
by the full tokenizer: the incremental parser must find the statements of a
1,000-line document after every keystroke, and lexing only the changed statement is
what keeps that under a frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class StatementSource:
    """The text of one statement and where it sits in the document (0-based offsets)."""

    text: str
    start: int
    end: int


_SCAN: Final = re.compile(
    r"""
      "[^"\n]*" | `[^`\n]*` | ["`][^\n]* | \#[^\n]*      # skipped: strings, comments
    | (?P<brace>[{}])
    | (?<![A-Za-z0-9_])
      (?P<word>(?i:flow_run_end|flow_run|flow_end|flow|action_end|action))
      (?![A-Za-z0-9_])
    | (?P<slash>^[ \t]*/[ \t]*$)
    """,
    re.VERBOSE | re.MULTILINE,
)
_SIGNIFICANT: Final = re.compile(r"(?:[ \t\r\n,]+|\#[^\n]*)*")
"""Whitespace, commas and comments: what the tokenizer drops."""
_ASSIGN: Final = re.compile(r"(?:[ \t\r\n,]+|\#[^\n]*)*=(?!>)")


def statement_ranges(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of each statement in `text`, in order."""
    ranges: list[tuple[int, int]] = []
    start = -1  # start of the open statement, -1 when none is open
    braces = 0
    position = 0  # where significant text may begin after the last boundary

    def close(at: int) -> None:
        nonlocal start, braces
        end = len(text[start:at].rstrip(" \t\r\n,")) + start
        ranges.append((start, end))
        start = -1
        braces = 0

    for match in _SCAN.finditer(text):
        kind = match.lastgroup
        if kind == "slash":
            if start >= 0:
                close(match.start())
            position = match.end()
            continue
        if start < 0:
            # the statement opens at the first significant text since the last boundary
            gap = _SIGNIFICANT.match(text, position, match.start())
            first = gap.end() if gap is not None else match.start()
            if first < match.start() or not match.group().startswith("#"):
                start = first
        if kind is None:
            continue
        if kind == "brace":
            braces += 1 if match.group() == "{" else (-1 if braces else 0)
            continue
        word = match.group().lower()
        if word.endswith("_end"):
            close(match.end())
            position = match.end()
            continue
        opens = word != "action" or (not braces and not _ASSIGN.match(text, match.end()))
        if opens and start < match.start():
            close(match.start())
            start = match.start()
    if start < 0:
        gap = _SIGNIFICANT.match(text, position)
        if gap is not None and gap.end() < len(text):
            start = gap.end()
    if start >= 0:
        close(len(text))
    return [(lo, hi) for lo, hi in ranges if hi > lo]


def split_statements(text: str) -> list[StatementSource]:
    """The statements of `text`, each with its source text and offsets, in order."""
    return [StatementSource(text[lo:hi], lo, hi) for lo, hi in statement_ranges(text)]
