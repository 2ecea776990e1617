"""Cut a document into statements before parsing any of them.

Statements are independent (each is submitted, stored and translated on its own), so
the document parser, the incremental parser and the shells all work statement by
statement. A statement ends at its `_end` keyword or at a line that is just `/` (the
shells' submit marker); a new one also starts at `flow`, `flow_run` or `action NAME`
even when the previous one is missing its `_end`, so one forgotten `flow_end` costs one
diagnostic instead of hiding every later statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from echoer_tui.fsl.lexer import STATEMENT_ENDS, Token, tokenize

_STARTS: Final = frozenset({"FLOW", "FLOW_RUN"})


@dataclass(frozen=True, slots=True)
class StatementSource:
    """The text of one statement and where it sits in the document (0-based offsets)."""

    text: str
    start: int
    end: int


def token_ranges(tokens: list[Token]) -> list[tuple[int, int]]:
    """[lo, hi) token index ranges, one per statement; `/` lines belong to none."""
    ranges: list[tuple[int, int]] = []
    lo = -1
    braces = 0  # inside a step body `action` starts a clause, not a statement
    count = len(tokens)
    for index in range(count):
        kind = tokens[index][0]
        if kind == "SLASH":
            if lo >= 0:
                ranges.append((lo, index))
                lo = -1
            continue
        if kind == "LBRACE":
            braces += 1
        elif kind == "RBRACE" and braces:
            braces -= 1
        if lo >= 0 and (
            kind in _STARTS
            or (
                kind == "ACTION"
                and not braces
                and index + 1 < count
                and tokens[index + 1][0] != "EQ"
            )
        ):
            ranges.append((lo, index))
            lo = -1
            braces = 0
        if lo < 0:
            lo = index
        if kind in STATEMENT_ENDS:
            ranges.append((lo, index + 1))
            lo = -1
            braces = 0
    if lo >= 0:
        ranges.append((lo, count))
    return ranges


def split_statements(text: str) -> list[StatementSource]:
    """The statements of `text`, each with its source text and offsets, in order."""
    tokens = tokenize(text)
    sources = []
    for lo, hi in token_ranges(tokens):
        start, end = tokens[lo][2], tokens[hi - 1][3]
        sources.append(StatementSource(text[start:end], start, end))
    return sources
