"""Offsets to line/column spans for one source text, in O(log lines) per lookup.

`Span.at` counts newlines from the start of the text on every call, which is fine for a
single diagnostic but not for the ten spans every step carries; the parser builds one
newline index per text and asks it instead.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from collections.abc import Callable
from typing import Any, Final, TypeVar

from echoer_tui.fsl.ast import Span

T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen, slotted dataclass without defaults.

    A frozen dataclass's `__init__` assigns each field through `object.__setattr__`;
    setting the slots through their descriptors builds the identical object in about
    half the time, which matters for the ten spans every parsed step carries.
    """
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for name in names:
        namespace[f"set_{name}"] = getattr(cls, name).__set__
    lines = [f"def make({', '.join(names)}):", "    made = new(cls)"]
    lines += [f"    set_{name}(made, {name})" for name in names]
    lines.append("    return made")
    exec("\n".join(lines), namespace)
    made: Callable[..., T] = namespace["make"]
    return made


_span = fast_constructor(Span)

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
        if index == len(newlines) or end <= newlines[index]:
            # most spans end on the line they start on: no second search
            return _span(index + 1, column, index + 1, column + end - start, start, end)
        end_index = bisect_left(newlines, end, index)
        end_column = end - newlines[end_index - 1] if end_index else end + 1
        return _span(index + 1, column, end_index + 1, end_column, start, end)
