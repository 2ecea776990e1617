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

from echoer_tui.fsl.lexer import is_slash_line


@dataclass(frozen=True, slots=True)
class StatementSource:
    """The text of one statement and where it sits in the document (0-based offsets)."""

    text: str
    start: int
    end: int


# Each match first skips, inside the regex engine, everything that cannot bound a
# statement (names that are not statement keywords, numbers, strings, comments,
# punctuation), then stops at a brace, a statement keyword or a `/`. Words are taken
# whole, as the tokenizer takes them, so `xflow` is a name and `9flow` is `9` `flow`.
# The possessive `*+` never backtracks and `\Z` lets the last match end the text, so a
# 5 MB line is scanned once (a failing match would rescan from every position).
_KEYWORD = r"(?i:action(?:_end)?|flow(?:_run)?(?:_end)?)(?![A-Za-z0-9_])"
_SCAN: Final = re.compile(
    rf"""
    (?:
        [^"`\#{{}}/A-Za-z0-9_]+
      | "[^"\n]*" | `[^`\n]*` | \#[^\n]*
      | [0-9]+
      | (?!{_KEYWORD})[A-Za-z_][A-Za-z0-9_]*
    )*+
    (?:
        (?P<brace>[{{}}])
      | (?P<word>{_KEYWORD})
      | (?P<slash>/)
      | (?P<bad>["`][^\n]*)
      | \Z
    )
    """,
    re.VERBOSE,
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
        if kind is None:
            break  # the end of the text
        at = match.start(kind)
        if kind == "slash" and is_slash_line(text, at):
            if start >= 0:
                close(at)
            position = match.end()
            continue
        if start < 0:
            # the statement opens at the first significant text since the last boundary
            gap = _SIGNIFICANT.match(text, position, at)
            start = gap.end() if gap is not None else at
        if kind == "brace":
            braces += 1 if match.group(kind) == "{" else (-1 if braces else 0)
            continue
        if kind != "word":
            continue  # a stray `/` or an unterminated string: the parser reports it
        word = match.group(kind).lower()
        if word.endswith("_end"):
            close(match.end())
            position = match.end()
            continue
        opens = word != "action" or (not braces and not _ASSIGN.match(text, match.end()))
        if opens and start < at:
            close(at)
            start = at
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
