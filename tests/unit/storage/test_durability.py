"""What is on disk: reopen, snapshots TinyDB can read, torn and corrupt files, lock, modes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tinydb

from echoer_tui.errors import CorruptStoreError, StoreLockedError
from echoer_tui.storage import Delete, JournalStore, Put, Query, open_store
from echoer_tui.storage.journal import encode_record, list_segments, segment_path
from echoer_tui.storage.repository import Change

from .conftest import flowrun, sample


async def contents(store: JournalStore, kinds: tuple[str, ...] = ("flowrun", "event")) -> dict:
    return {kind: await store.list(Query(kind)) for kind in kinds}


def copy_as_if_crashed(src: Path, dst: Path) -> Path:
    """The directory as a kill -9 would leave it right now (the lock dies with the process)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("echoer.lock"))
    return dst


async def test_reopen_holds_every_acknowledged_write(data_dir: Path) -> None:
    store = await open_store(data_dir)
    for i in range(30):
        await store.commit([Put(flowrun(f"r{i}", i)), Put(sample("event", f"e{i}"))])
    latest = await store.get("flowrun", "r3")
    assert latest is not None
    await store.put(latest)
    await store.commit([Delete("flowrun", "r4"), Delete("event", "e4")])
    before, seq = await contents(store), store.seq
    await store.close()

    reopened = await open_store(data_dir)
    assert await contents(reopened) == before
    assert reopened.seq == seq
    assert (await reopened.get("flowrun", "r3"))["metadata"]["version"] == 2
    assert (await reopened.put(flowrun("later")))["metadata"]["version"] == 1
    assert reopened.seq == seq + 1
    await reopened.close()


async def test_a_crash_between_compactions_loses_nothing(data_dir: Path, tmp_path: Path) -> None:
    store = await open_store(data_dir, compact_bytes=8_000)
    for i in range(60):  # several journal rotations and background snapshots
        current = await store.get("flowrun", f"r{i % 7}")
        await store.put(current if current else flowrun(f"r{i % 7}", i))
        await store.put(sample("event", f"e{i}"))
    await store.compact()
    for i in range(5):  # and some writes only the journal holds
        await store.put(sample("event", f"late{i}"))
    await store.delete("flowrun", "r0")
    expected, seq = await contents(store), store.seq
    crashed = copy_as_if_crashed(data_dir, tmp_path / "crashed")
    await store.close()

    recovered = await open_store(crashed)
    assert await contents(recovered) == expected
    assert recovered.seq == seq
    await recovered.close()


async def test_closed_store_is_plain_tinydb_files(data_dir: Path) -> None:
    store = await open_store(data_dir)
    stored = [await store.put(sample("action", f"a{i}", team="ops")) for i in range(3)]
    await store.put(sample("flow", "f"))
    await store.close()

    assert list_segments(data_dir) == []
    db = tinydb.TinyDB(data_dir / "action.json")
    assert sorted(db.all(), key=lambda d: d["metadata"]["name"]) == stored
    assert db.search(tinydb.Query().metadata.name == "a1") == [stored[1]]
    db.close()


async def test_owner_only_directory_and_files(data_dir: Path) -> None:
    store = await open_store(data_dir)
    await store.put(flowrun("r"))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    await store.compact()
    await store.put(flowrun("s"))
    files = list(data_dir.iterdir())
    assert {p.name for p in files} >= {"echoer.lock", "flowrun.json"}
    assert any(p.name.startswith("journal-") for p in files)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
    await store.close()


async def test_a_second_opener_is_told_which_process_holds_the_directory(
    store: JournalStore, data_dir: Path
) -> None:
    with pytest.raises(StoreLockedError) as refused:
        await open_store(data_dir)
    assert f"pid {os.getpid()}" in refused.value.message
    assert str(data_dir) in refused.value.message

    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from echoer_tui.errors import StoreLockedError\n"
        "from echoer_tui.storage import open_store\n"
        "try:\n"
        "    asyncio.run(open_store(Path(sys.argv[1])))\n"
        "except StoreLockedError as exc:\n"
        "    print(exc.message)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, timeout=60
    )
    assert f"pid {os.getpid()}" in other.stdout, other.stderr


async def test_the_lock_is_released_on_close(data_dir: Path) -> None:
    first = await open_store(data_dir)
    await first.close()
    second = await open_store(data_dir)
    await second.close()


def write_journal(data_dir: Path, first_seq: int, lines: list[bytes]) -> Path:
    path = segment_path(data_dir, first_seq)
    path.write_bytes(b"".join(lines))
    return path


def record(seq: int, name: str, counter: int) -> bytes:
    doc = flowrun(name, counter)
    doc["metadata"].update(version=1, uuid=f"u-{name}")
    return encode_record([Change(seq, "put", "flowrun", name, doc)])


async def closed_store_with(data_dir: Path, *names: str) -> int:
    store = await open_store(data_dir)
    for name in names:
        await store.put(flowrun(name))
    seq = store.seq
    await store.close()
    return seq


async def test_a_half_written_last_line_is_dropped(data_dir: Path) -> None:
    seq = await closed_store_with(data_dir, "before")
    whole = record(seq + 1, "acked", 1)
    torn = record(seq + 2, "torn", 2)[:-40]
    path = write_journal(data_dir, seq + 1, [whole, torn])

    store = await open_store(data_dir)
    assert await store.get("flowrun", "acked") is not None
    assert await store.get("flowrun", "torn") is None
    assert store.seq == seq + 1
    assert path.stat().st_size == len(whole)
    assert (await store.put(flowrun("next")))["metadata"]["version"] == 1
    await store.close()


async def test_a_corrupt_journal_line_is_reported_and_nothing_is_touched(
    data_dir: Path,
) -> None:
    seq = await closed_store_with(data_dir, "before")
    first = record(seq + 1, "one", 1)
    bad = b'{"seq": ' + str(seq + 2).encode() + b', "changes": [oops]}\n'
    path = write_journal(data_dir, seq + 1, [first, bad, record(seq + 3, "three", 3)])
    on_disk = {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name != "echoer.lock"}

    with pytest.raises(CorruptStoreError) as refused:
        await open_store(data_dir)
    assert str(path) in refused.value.message
    assert f"at byte {len(first)}" in refused.value.message
    assert {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name != "echoer.lock"} == (
        on_disk
    )
    # The lock was given back: fixing the file opens the store.
    path.write_bytes(first)
    store = await open_store(data_dir)
    assert await store.get("flowrun", "one") is not None
    await store.close()


async def test_missing_journal_records_are_reported(data_dir: Path) -> None:
    seq = await closed_store_with(data_dir, "before")
    path = write_journal(data_dir, seq + 1, [record(seq + 1, "one", 1), record(seq + 3, "x", 3)])
    with pytest.raises(CorruptStoreError, match="missing or repeated") as refused:
        await open_store(data_dir)
    assert str(path) in refused.value.message


async def test_a_corrupt_snapshot_is_reported_and_kept_as_it_is(data_dir: Path) -> None:
    await closed_store_with(data_dir, "a", "b")
    snapshot = data_dir / "flowrun.json"
    good = snapshot.read_bytes()
    at = good.index(b'"name":"b"')
    broken = good[:at] + b'"name":b"' + good[at + len(b'"name":"b"') :]
    snapshot.write_bytes(broken)

    with pytest.raises(CorruptStoreError) as refused:
        await open_store(data_dir)
    assert str(snapshot) in refused.value.message
    offset = at + len(b'"name":')  # where the unquoted value starts
    assert f"at byte {offset}" in refused.value.message
    assert snapshot.read_bytes() == broken

    snapshot.write_bytes(good)
    store = await open_store(data_dir)
    assert await store.count("flowrun") == 2
    await store.close()


async def test_a_snapshot_document_of_another_kind_is_reported(data_dir: Path) -> None:
    await closed_store_with(data_dir, "a")
    snapshot = data_dir / "flowrun.json"
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"kind":"flowrun"', b'"kind":"flow"'))
    with pytest.raises(CorruptStoreError, match="document 1 is of kind 'flow'"):
        await open_store(data_dir)


async def test_stale_temp_files_are_removed_at_open(data_dir: Path) -> None:
    await closed_store_with(data_dir, "a")
    stale = data_dir / ".flowrun.json.tmp"
    stale.write_bytes(b'{"_default": {"1": ')
    store = await open_store(data_dir)
    assert not stale.exists()
    assert await store.count("flowrun") == 1
    await store.close()


async def test_a_snapshot_saved_by_tinydb_itself_is_read(data_dir: Path) -> None:
    await closed_store_with(data_dir, "a")
    db = tinydb.TinyDB(data_dir / "flowrun.json", indent=2)  # another layout entirely
    db.insert(
        flowrun("added-by-hand")
        | {"metadata": {"name": "b", "kind": "flowrun", "version": 1, "uuid": "u"}}
    )
    db.close()
    store = await open_store(data_dir)
    assert [r["metadata"]["name"] for r in await store.list(Query("flowrun"))] == ["a", "b"]
    await store.put(await store.get("flowrun", "b"))
    await store.close()
    # Written back in the store's own layout, still TinyDB's format.
    assert len(tinydb.TinyDB(data_dir / "flowrun.json").all()) == 2
