"""Fixtures for the store tests: a real store in tmp_path, and one resource of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from echoer_tui.model.resources import (
    ActionRun,
    ActionSpec,
    EventSpec,
    FlowRunSpec,
    FlowSpec,
    FlowStep,
    Metadata,
    Resource,
    StepSpec,
)
from echoer_tui.storage import JournalStore, open_store


def sample(kind: str, name: str = "sample", **labels: str) -> dict[str, Any]:
    """A resource of `kind` with every field filled, as the model serialises it."""
    specs: dict[str, Any] = {
        "action": ActionSpec(
            endpoints=["http://127.0.0.1:9/ci", "http://127.0.0.1:10/ci"],
            params={"project": 0, "retry_count": 1},
            return_states=["SUCCESS", "FAIL"],
        ),
        "flow": FlowSpec(
            steps=[
                FlowStep("A", "step", "ci", {"SUCCESS": "D", "FAIL": "A"}),
                FlowStep("D", "deci", "approval", {"AGREE": "done"}),
            ]
        ),
        "flowrun": FlowRunSpec(
            history_states=["ready", "A"],
            current_state="A",
            global_variable={"who": "ünïcode ✓", "n": 3},
            flow_name="my_flow",
            attempts=1,
        ),
        "step": StepSpec(
            flow_id="run1",
            flow_run_uuid="u1",
            action_run=ActionRun("ci", {"project": "p", "retry_count": 2}, {"SUCCESS": "done"}),
            step_name="A",
            attempt=1,
        ),
        "event": EventSpec("flowrun", "run1", "step A dispatched", time=1.5, step_name="A"),
    }
    return Resource(Metadata(name, kind, labels=dict(labels)), specs[kind]).to_dict()


def flowrun(name: str, counter: int = 0) -> dict[str, Any]:
    """A ~1 KB flow-run document whose spec says which update it is."""
    doc = sample("flowrun", name)
    doc["spec"]["global_variable"] = {"counter": counter, "pad": "x" * 600}
    return doc


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
async def store(data_dir: Path) -> AsyncIterator[JournalStore]:
    opened = await open_store(data_dir)
    yield opened
    await opened.close()
