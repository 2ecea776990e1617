"""Offsets to line/column spans for one source text, in O(log lines) per lookup.

`Span.at` counts newlines from the start of the text on every call, which is fine for a
single diagnostic but not for the ten spans every step carries; the parser builds one
newline index per text and asks it instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Final

from echoer_tui.fsl.ast import Span

_NEWLINE: Final = re.compile("\n")


class Positions:
    """Where each line of one text starts, so offsets turn into `Span`s quickly."""

    __slots__ = ("length", "newlines")

    def __init__(self, text: str) -> None:
        self.newlines = [match.start() for match in _NEWLINE.finditer(text)]
        self.length = len(text)

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of `offset`."""
        index = bisect_left(self.newlines, offset)
        if index:
            return index + 1, offset - self.newlines[index - 1]
        return 1, offset + 1

    def span(self, start: int, end: int) -> Span:
        """The span of text[start:end]."""
        newlines = self.newlines
        index = bisect_left(newlines, start)
        column = start - newlines[index - 1] if index else start + 1
        end_index = bisect_left(newlines, end, index)
        end_column = end - newlines[end_index - 1] if end_index else end + 1
        return Span(index + 1, column, end_index + 1, end_column, start, end)
