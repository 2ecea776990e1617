"""Helpers shared by the FSL tests: span-free tree comparison."""

from __future__ import annotations

import dataclasses
from typing import Any


def shape(value: Any) -> Any:
    """A statement tree with every span dropped, for comparing parses of different text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple(
            (field.name, shape(getattr(value, field.name)))
            for field in dataclasses.fields(value)
            if not field.name.endswith("span")
        )
        return (type(value).__name__, *fields)
    if isinstance(value, tuple):
        return tuple(shape(item) for item in value)
    return value
