"""`Repository.summaries`: each resource's metadata and its list fields, as `list` selects.

Run on the memory and journal stores here, and on PostgreSQL by tests/unit/postgres.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from echoer_tui.model.resources import KINDS
from echoer_tui.model.secrets import SECRET_KEYS
from echoer_tui.storage import MemoryStore, Put, Query, Repository, open_store
from echoer_tui.storage.repository import SUMMARY_SPEC, summary_of

from .conftest import flowrun, sample


@pytest.fixture(params=["journal", "memory"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    store: Repository = (
        await open_store(tmp_path / "store") if request.param == "journal" else MemoryStore()
    )
    yield store
    await store.close()


async def test_each_kind_summary_holds_its_list_fields_and_matches_the_resource(
    repo: Repository,
) -> None:
    await repo.commit([Put(sample(kind, f"{kind}-1", team="ops")) for kind in KINDS])
    for kind in KINDS:
        (full,) = await repo.list(Query(kind))
        (summary,) = await repo.summaries(Query(kind))
        assert summary["metadata"] == full["metadata"]
        assert set(summary) == {"metadata", "spec"}
        assert set(summary["spec"]) == set(SUMMARY_SPEC[kind]) & set(full["spec"])
        assert summary["spec"] == {k: full["spec"][k] for k in summary["spec"]}
        assert summary == summary_of(full)
    (run,) = await repo.summaries(Query("flowrun"))
    assert set(run["spec"]) == {"current_state", "last_state", "last_err"}
    assert run["spec"]["current_state"] == "A"
    assert {"uuid", "version", "updated_time", "name", "kind"} <= set(run["metadata"])


async def test_summaries_select_as_list_does_and_follow_updates(repo: Repository) -> None:
    await repo.commit(
        [Put(sample("flowrun", name, team=team)) for name, team in [("b", "x"), ("a", "y")]]
        + [Put(sample("flowrun", "ab", team="x"))]
    )
    for query in (
        Query("flowrun"),
        Query("flowrun", prefix="a"),
        Query("flowrun", labels={"team": "x"}),
    ):
        listed = await repo.list(query)
        assert await repo.summaries(query) == [summary_of(r) for r in listed]
    assert await repo.summaries(Query("nothing")) == []
    stored = await repo.get("flowrun", "a")
    assert stored is not None
    stored["spec"]["current_state"] = "done"
    await repo.put(stored)
    (summary,) = await repo.summaries(Query("flowrun", prefix="a", labels={"team": "y"}))
    assert summary["spec"]["current_state"] == "done"
    assert summary["metadata"]["version"] == 2


async def test_readers_get_summaries_they_may_change(repo: Repository) -> None:
    await repo.put(sample("flowrun", "r"))
    (first,) = await repo.summaries(Query("flowrun"))
    first["metadata"]["name"] = "changed"
    first["spec"]["current_state"] = "changed"
    (again,) = await repo.summaries(Query("flowrun"))
    assert again["metadata"]["name"] == "r"
    assert again["spec"]["current_state"] == "A"


async def test_summaries_survive_a_reopen_from_snapshots_and_from_the_journal(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "store"
    store = await open_store(data_dir)
    await store.commit([Put(flowrun(f"r{i}", i)) for i in range(5)])
    await store.close()  # compacts: the next open reads the snapshots
    store = await open_store(data_dir)
    await store.put(flowrun("later"))  # only in the journal until the next compaction
    expected = [summary_of(r) for r in await store.list(Query("flowrun"))]
    crashed = shutil.copytree(
        data_dir, tmp_path / "crashed", ignore=shutil.ignore_patterns("echoer.lock")
    )
    await store.close()
    for directory in (data_dir, crashed):
        reopened = await open_store(directory)
        assert await reopened.summaries(Query("flowrun")) == expected
        assert len(expected) == 6
        await reopened.close()


def test_no_summary_field_is_a_secret() -> None:
    # LocalWorkbench.summaries skips `redact` because of this.
    for kind, fields in SUMMARY_SPEC.items():
        assert not SECRET_KEYS & set(fields), kind
