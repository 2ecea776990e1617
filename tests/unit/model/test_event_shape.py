"""An event carries the original's top-level keys beside our `spec`, through a real store."""

from __future__ import annotations

from echoer_tui.engine.transitions import event
from echoer_tui.model.resources import FlowRunSpec, Metadata, Resource
from echoer_tui.storage.memory import MemoryStore


async def test_event_has_the_original_top_level_keys_after_a_store_round_trip() -> None:
    run = Resource(Metadata("r1", "flowrun", uuid="u1"), FlowRunSpec())
    made = event(run, 7, 0, 1000.0, "step A dispatched", event_type="dispatch", state="A")
    store = MemoryStore()
    await store.put(made)
    stored = await store.get("event", made["metadata"]["name"])
    assert stored is not None
    assert set(stored) >= {"metadata", "event_type", "message", "object", "spec"}
    assert stored["message"] == "step A dispatched" == stored["spec"]["message"]
    assert stored["event_type"] == "dispatch" == stored["spec"]["event_type"]
    assert stored["object"] == {"kind": "flowrun", "name": "r1", "step_name": "", "state": "A"}
    # Reading it back as our Resource ignores the original's keys and keeps the spec.
    again = Resource.from_dict(stored)
    assert again.spec.message == "step A dispatched"
    assert again.to_dict() == stored


def test_other_kinds_gain_no_top_level_keys() -> None:
    run = Resource(Metadata("r1", "flowrun"), FlowRunSpec()).to_dict()
    assert set(run) == {"metadata", "spec"}
