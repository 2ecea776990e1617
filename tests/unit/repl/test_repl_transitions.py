"""One line per real flow-run move; replays and writes that move nothing stay silent."""

from __future__ import annotations

from typing import Any

from echoer_tui.repl.transitions import TransitionTracker, describe
from echoer_tui.storage.repository import Change


def run(
    name: str, version: int, state: str, last: str = "", event: str = "", err: str = ""
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "kind": "flowrun", "version": version},
        "spec": {"current_state": state, "last_state": last, "last_event": event, "last_err": err},
    }


def put(seq: int, resource: dict[str, Any]) -> Change:
    return Change(seq, "put", "flowrun", resource["metadata"]["name"], resource)


def test_a_move_is_one_line_with_its_cause() -> None:
    tracker = TransitionTracker()
    assert tracker.line_for(put(1, run("r", 1, "A", "ready", "start"))) == "· r: ready → A (start)"
    assert tracker.line_for(put(2, run("r", 2, "D", "A", "SUCCESS"))) == "· r: A → D (SUCCESS)"


def test_writes_that_do_not_move_the_run_print_nothing() -> None:
    tracker = TransitionTracker()
    tracker.line_for(put(1, run("r", 1, "A", "ready", "start")))
    assert tracker.line_for(put(2, run("r", 2, "A", "ready", "start"))) is None


def test_what_was_known_before_watching_is_not_replayed() -> None:
    tracker = TransitionTracker()
    tracker.remember(run("r", 5, "D", "A", "SUCCESS"))
    for version, state in ((3, "ready"), (4, "A"), (5, "D")):
        assert tracker.line_for(put(version, run("r", version, state))) is None
    assert tracker.line_for(put(6, run("r", 6, "B", "D", "AGREE"))) == "· r: D → B (AGREE)"


def test_a_stopped_run_says_why() -> None:
    line = describe("r", "A", run("r", 3, "stopped", "A", "BOOM", err="step A answered BOOM"))
    assert line == "· r: A → stopped (step A answered BOOM)"


def test_other_kinds_and_deletes_are_ignored() -> None:
    tracker = TransitionTracker()
    assert tracker.line_for(Change(1, "delete", "flowrun", "r", None)) is None
    assert tracker.line_for(Change(2, "put", "flow", "f", {"metadata": {}, "spec": {}})) is None
