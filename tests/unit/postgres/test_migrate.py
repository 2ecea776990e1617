"""`echoer migrate` from the embedded store to PostgreSQL, and store URLs."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest
from storage.conftest import sample

from echoer_tui.errors import ConflictError, EchoerError, StoreError
from echoer_tui.migrate import MIGRATED_KINDS, run_migrate
from echoer_tui.model.resources import KINDS
from echoer_tui.storage import JournalStore, MemoryStore, Put, Query, open_store
from echoer_tui.storage.postgres import PostgresStore
from echoer_tui.storage.urls import open_store_url
from tests.pg_server import free_port


async def fill(directory: Path) -> dict[str, list[dict[str, object]]]:
    """An embedded store with two resources of every kind (and a timer); its contents."""
    store = await open_store(directory)
    try:
        writes = [Put(sample(kind, f"{kind}-{i}", team="ops")) for kind in KINDS for i in (1, 2)]
        timer = {"metadata": {"name": "a1.retry", "kind": "timer"}, "spec": {"due": 1.5}}
        await store.commit([*writes, Put(timer)])
        return {kind: await store.list(Query(kind)) for kind in MIGRATED_KINDS}
    finally:
        await store.close()


def migrate_args(source: str, target: str, force: bool = False) -> argparse.Namespace:
    return argparse.Namespace(source=source, target=target, force=force)


async def migrate(source: str, target: str, force: bool = False) -> int:
    """The command's entry point, on a thread: it runs its own event loop."""
    return await asyncio.to_thread(run_migrate, migrate_args(source, target, force))


def without_times(resource: dict[str, object]) -> dict[str, object]:
    meta = dict(resource["metadata"])  # type: ignore[call-overload]
    for key in ("version", "updated_time"):
        meta.pop(key)
    return {**resource, "metadata": meta}


async def test_migrate_copies_every_kind_to_postgresql_and_back(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original = await fill(tmp_path / "source")
    assert await migrate(f"tinydb://{tmp_path / 'source'}", pg_url) == 0
    out = capsys.readouterr().out
    for kind in KINDS:
        assert f"  {kind:<8}       2" in out
    assert "timer          1" in out and "total         11" in out

    target = await PostgresStore.open(pg_url)
    try:
        for kind, resources in original.items():
            copied = await target.list(Query(kind))
            # uuid, labels, spec and created_time come along; versions start again.
            assert [without_times(r) for r in copied] == [without_times(r) for r in resources]
            assert {r["metadata"]["version"] for r in copied} == {1}
    finally:
        await target.close()

    # And back into a fresh embedded store (a plain path is a tinydb store too).
    assert await migrate(pg_url, str(tmp_path / "back")) == 0
    back = await open_store(tmp_path / "back")
    try:
        for kind, resources in original.items():
            copied = await back.list(Query(kind))
            assert [without_times(r) for r in copied] == [without_times(r) for r in resources]
    finally:
        await back.close()


async def test_migrate_refuses_taken_names_unless_forced(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(tmp_path / "source")
    target = await PostgresStore.open(pg_url)
    try:
        kept = await target.put(sample("flow", "flow-1"))
        await target.put(sample("action", "unrelated"))
        with pytest.raises(ConflictError, match=r"flow: flow-1\b.*nothing was copied.*--force"):
            await migrate(f"tinydb://{tmp_path / 'source'}", pg_url)
        assert await target.count("flowrun") == 0
        assert await target.get("flow", "flow-1") == kept

        assert await migrate(f"tinydb://{tmp_path / 'source'}", pg_url, True) == 0
        assert "flow           2 (1 replaced)" in capsys.readouterr().out
        replaced = await target.get("flow", "flow-1")
        assert replaced is not None and replaced["metadata"]["uuid"] != kept["metadata"]["uuid"]
        assert await target.count("action") == 3
    finally:
        await target.close()


async def test_migrate_refuses_one_store_as_both_ends(tmp_path: Path) -> None:
    with pytest.raises(EchoerError, match="same store"):
        await migrate(f"tinydb://{tmp_path}", f"tinydb://{tmp_path}")


async def test_store_urls_name_each_backend(tmp_path: Path, pg_url: str) -> None:
    memory = await open_store_url("memory://")
    assert isinstance(memory, MemoryStore) and not isinstance(memory, JournalStore)
    for url in (f"tinydb://{tmp_path / 'a'}", str(tmp_path / "b")):
        store = await open_store_url(url)
        assert isinstance(store, JournalStore)
        await store.close()
    shared = await open_store_url(pg_url)
    assert isinstance(shared, PostgresStore)
    await shared.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/echoer", "unknown store URL"),
        ("tinydb://", "needs a directory"),
        ("", "empty"),
    ],
)
async def test_a_bad_store_url_says_what_is_accepted(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        await open_store_url(url)


async def test_an_unreachable_database_is_named_without_its_password() -> None:
    port = free_port()
    with pytest.raises(StoreError) as caught:
        await open_store_url(f"postgresql://echoer:s3cret@127.0.0.1:{port}/prod")
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}/prod" in caught.value.message
    assert "s3cret" not in caught.value.message
