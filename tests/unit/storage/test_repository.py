"""The Repository contract, on the durable store and on the in-memory one alike."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from echoer_tui.errors import ConflictError, NotFoundError, StaleWriteError, StoreError
from echoer_tui.model.resources import KINDS, Resource
from echoer_tui.storage import Delete, MemoryStore, Put, Query, Repository, open_store

from .conftest import flowrun, sample


@pytest.fixture(params=["journal", "memory"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    store: Repository = (
        await open_store(tmp_path / "store") if request.param == "journal" else MemoryStore()
    )
    assert isinstance(store, Repository)
    yield store
    await store.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_round_trips_through_the_model(repo: Repository, kind: str) -> None:
    original = sample(kind, "one", team="ops")
    stored = await repo.put(original)
    fetched = await repo.get(kind, "one")
    assert fetched == stored
    assert Resource.from_dict(fetched).to_dict() == fetched
    assert fetched["spec"] == original["spec"]
    assert fetched["metadata"]["labels"] == {"team": "ops"}


async def test_create_sets_uuid_once_and_each_write_grows_the_version(repo: Repository) -> None:
    first = await repo.put(flowrun("r"))
    assert first["metadata"]["version"] == 1 and first["metadata"]["uuid"]
    first["metadata"]["uuid"] = "forged"
    second = await repo.put(first)
    assert second["metadata"]["version"] == 2
    assert second["metadata"]["uuid"] == (await repo.get("flowrun", "r"))["metadata"]["uuid"]
    assert second["metadata"]["uuid"] != "forged"
    assert second["metadata"]["created_time"] == first["metadata"]["created_time"]


async def test_a_stale_write_is_refused_and_changes_nothing(repo: Repository) -> None:
    v1 = await repo.put(flowrun("r", 1))
    v2 = await repo.put({**v1, "spec": {**v1["spec"], "current_state": "B"}})
    with pytest.raises(StaleWriteError, match=r"version 2.*based on 1"):
        await repo.put({**v1, "spec": {**v1["spec"], "current_state": "C"}})
    assert await repo.get("flowrun", "r") == v2


async def test_creating_a_name_that_exists_is_refused(repo: Repository) -> None:
    await repo.put(flowrun("r"))
    with pytest.raises(ConflictError, match="already exists"):
        await repo.put(flowrun("r"))


async def test_updating_a_missing_resource_is_refused(repo: Repository) -> None:
    doc = flowrun("ghost")
    doc["metadata"]["version"] = 3
    with pytest.raises(StaleWriteError, match="no longer exists"):
        await repo.put(doc)
    assert await repo.get("flowrun", "ghost") is None


async def test_delete_checks_the_version_when_given(repo: Repository) -> None:
    stored = await repo.put(flowrun("r"))
    with pytest.raises(StaleWriteError):
        await repo.delete("flowrun", "r", version=7)
    await repo.delete("flowrun", "r", version=stored["metadata"]["version"])
    assert await repo.get("flowrun", "r") is None
    with pytest.raises(NotFoundError):
        await repo.delete("flowrun", "r")


async def test_a_failing_write_leaves_the_whole_commit_undone(repo: Repository) -> None:
    kept = await repo.put(flowrun("kept"))
    seq = repo.seq
    with pytest.raises(ConflictError):
        await repo.commit(
            [
                Put(flowrun("new")),
                Put({**kept, "spec": {}}),
                Delete("flowrun", "kept"),
                Put(flowrun("new")),  # created earlier in this very batch
            ]
        )
    assert await repo.get("flowrun", "new") is None
    assert await repo.get("flowrun", "kept") == kept
    assert repo.seq == seq
    # The refused batch reserved nothing: the next commit sees the old state.
    await repo.put(flowrun("new"))


async def test_a_commit_sees_its_own_earlier_writes(repo: Repository) -> None:
    created, updated, _ = await repo.commit(
        [
            Put(sample("flowrun", "r")),
            Put(
                {
                    **sample("flowrun", "r"),
                    "metadata": {"name": "r", "kind": "flowrun", "version": 1},
                }
            ),
            Put({"metadata": {"name": "t", "kind": "timer"}, "spec": {"due": 1.0}}),
        ]
    )
    assert created is not None and updated is not None
    assert updated["metadata"]["version"] == 2
    assert updated["metadata"]["uuid"] == created["metadata"]["uuid"]
    assert await repo.count("timer") == 1


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"spec": {}}, "metadata.name and metadata.kind"),
        ({"metadata": {"name": "x", "kind": "Flow Run"}}, "not a kind name"),
        ({"metadata": {"name": "x", "kind": "flowrun"}, "spec": {"when": object()}}, "as JSON"),
        # Metadata is copied shallowly before stamping; the encoding still refuses it whole.
        ({"metadata": {"name": "x", "kind": "flowrun", "labels": {1: "a"}}}, "as JSON"),
        ({"metadata": {"name": "x", "kind": "flowrun", "labels": {"a": {1, 2}}}}, "as JSON"),
        ({"metadata": {"name": "x", "kind": "flowrun", "created_time": object()}}, "as JSON"),
        ({"metadata": {"name": "x", "kind": "flowrun", "owner": object()}}, "as JSON"),
        ({"metadata": {"name": "x", "kind": "flowrun", "version": "two"}}, "whole number"),
    ],
)
async def test_a_malformed_resource_is_refused_with_the_reason(
    repo: Repository, doc: dict[str, object], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        await repo.put(doc)
    assert repo.seq == 0


async def test_list_filters_by_prefix_and_labels_sorted_by_name(repo: Repository) -> None:
    for name, team in [("b-2", "ops"), ("a-1", "ops"), ("b-1", "dev"), ("c", "ops")]:
        await repo.put(sample("flowrun", name, team=team))
    names = [r["metadata"]["name"] for r in await repo.list(Query("flowrun"))]
    assert names == ["a-1", "b-1", "b-2", "c"]
    found = await repo.list(Query("flowrun", prefix="b-", labels={"team": "ops"}))
    assert [r["metadata"]["name"] for r in found] == ["b-2"]
    assert await repo.count("flowrun") == 4 and await repo.count("action") == 0


async def test_readers_get_copies_they_may_change(repo: Repository) -> None:
    await repo.put(flowrun("r"))
    got = await repo.get("flowrun", "r")
    assert got is not None
    got["spec"]["current_state"] = "mutated"
    (await repo.list(Query("flowrun")))[0]["spec"]["current_state"] = "mutated"
    assert (await repo.get("flowrun", "r"))["spec"]["current_state"] == "A"


async def test_no_dict_a_caller_holds_is_part_of_the_stored_state(repo: Repository) -> None:
    """The writer's document, what put/commit return and what watchers get are all the
    caller's to change: the store keeps only its own bytes and its own metadata copy."""
    since = repo.seq
    original = sample("flowrun", "r", team="ops")
    stored = await repo.put(original)
    before = await repo.get("flowrun", "r")
    stream = repo.watch(["flowrun"], since)
    seen = await anext(stream)
    await stream.aclose()
    for held in (original, stored, seen.resource):
        assert held is not None
        held["spec"]["current_state"] = "mutated"
        held["spec"]["history_states"].append("mutated")
        held["metadata"]["labels"]["team"] = "mutated"
        held["metadata"]["version"] = 99
        held["metadata"]["labels"]["extra"] = "x"
    assert await repo.get("flowrun", "r") == before
    assert [
        r["metadata"]["name"] for r in await repo.list(Query("flowrun", labels={"team": "ops"}))
    ] == ["r"]
    assert await repo.list(Query("flowrun", labels={"team": "mutated"})) == []
    (result,) = await repo.commit(
        [Put({**before, "spec": {**before["spec"], "current_state": "B"}})]
    )
    assert result is not None and result["metadata"]["version"] == 2


async def test_a_closed_store_refuses_writes(repo: Repository) -> None:
    await repo.close()
    with pytest.raises(StoreError, match="closed"):
        await repo.put(flowrun("r"))


async def test_a_stored_entry_is_one_object_for_the_cyclic_gc() -> None:
    """A full collection's cost grows with every tracked object the process holds: an
    entry's fields (bytes, version, uuid, time, labels as a tuple) are all untracked."""
    store = MemoryStore()
    for i in range(50):
        await store.put(sample("flowrun", f"r{i}", team="ops", tier="1"))
    # A collection untracks a tuple whose items are untracked; the labels are pairs
    # within a tuple, so the second collection sees the first one's work.
    gc.collect()
    gc.collect()
    entries = list(store._data["flowrun"].values())
    assert len(entries) == 50
    assert not any(gc.is_tracked(part) for entry in entries for part in entry)
    found = await store.list(Query("flowrun", labels={"tier": "1", "team": "ops"}))
    assert [r["metadata"]["name"] for r in found][:2] == ["r0", "r1"]
    assert await store.list(Query("flowrun", labels={"tier": "2"})) == []
