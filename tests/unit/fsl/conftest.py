"""Shared FSL test helpers: the corpus folder and span-free tree comparison."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "corpus"


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


@pytest.fixture
def corpus() -> Path:
    return CORPUS
