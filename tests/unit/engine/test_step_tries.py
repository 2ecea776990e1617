"""Per-step try numbers in "entered step" events, counted from the run's history."""

from __future__ import annotations

from echoer_tui.engine.transitions import step_tries
from echoer_tui.model.resources import FlowRunSpec


def tries(history: list[str], step: str) -> int:
    return step_tries(FlowRunSpec(history_states=history), step)


def test_each_entry_of_a_step_is_a_try() -> None:
    assert tries(["ready", "A"], "A") == 1
    assert tries(["ready", "A", "B", "A"], "A") == 2
    assert tries(["ready", "A", "A", "A"], "A") == 3  # a step that maps an answer to itself
    assert tries(["ready", "A", "B"], "C") == 0


def test_continue_after_a_pause_is_not_a_new_try() -> None:
    assert tries(["ready", "A", "suspend", "A"], "A") == 1
    assert tries(["ready", "A", "suspend", "A", "B", "A"], "A") == 2
    # answered while paused: continue follows the edge straight to B
    assert tries(["ready", "A", "suspend", "B"], "B") == 1
