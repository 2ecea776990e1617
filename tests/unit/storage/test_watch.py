"""watch(): every committed change, to many watchers, and a slow one never blocks a commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from echoer_tui.storage import (
    WATCH_BACKLOG,
    WATCH_QUEUE,
    Change,
    JournalStore,
    MemoryStore,
    Put,
    WatchLagError,
)

from .conftest import flowrun, sample


async def take(stream: AsyncIterator[Change], count: int) -> list[Change]:
    out = []
    async for change in stream:
        out.append(change)
        if len(out) == count:
            break
    return out


async def test_many_watchers_each_see_every_change_in_order(store: JournalStore) -> None:
    everything = [asyncio.create_task(take(store.watch(), 40)) for _ in range(10)]
    runs_only = [asyncio.create_task(take(store.watch(["flowrun"]), 20)) for _ in range(10)]
    # Watchers that subscribe only after some commits replay them from the backlog.
    commits = [
        store.commit([Put(flowrun(f"r{i}")), Put(sample("event", f"e{i}"))]) for i in range(20)
    ]
    await asyncio.gather(*commits)
    orders = set()
    for seen in await asyncio.wait_for(asyncio.gather(*everything), 10):
        assert [c.seq for c in seen] == list(range(1, 41))
        orders.add(tuple(c.name for c in seen if c.kind == "flowrun"))
    (order,) = orders  # every watcher saw the same order: the seq order
    assert sorted(order) == sorted(f"r{i}" for i in range(20))
    if isinstance(store, MemoryStore):
        # One process orders an embedded store's commits by call; on a shared database
        # concurrent commits are ordered by the database (whichever takes the counter
        # first), and only commits awaited one after another keep their call order.
        assert list(order) == [f"r{i}" for i in range(20)]
    for seen in await asyncio.wait_for(asyncio.gather(*runs_only), 10):
        assert {c.kind for c in seen} == {"flowrun"}
        assert tuple(c.name for c in seen) == order


async def test_a_watcher_gets_copies_and_the_deleted_resource(store: JournalStore) -> None:
    stored = await store.put(flowrun("r"))
    await store.delete("flowrun", "r")
    put, deleted = await asyncio.wait_for(take(store.watch(since=0), 2), 10)
    assert put.op == "put" and put.resource == stored
    assert deleted.op == "delete" and deleted.resource == stored
    put.resource["spec"] = {}  # type: ignore[index]
    again = await asyncio.wait_for(take(store.watch(since=0), 1), 10)
    assert again[0].resource == stored


async def test_a_stalled_watcher_blocks_no_commit_and_catches_up(store: JournalStore) -> None:
    stream = store.watch(["flowrun"], since=0)
    await store.put(flowrun("first"))
    assert (await anext(stream)).name == "first"
    # The watcher now reads nothing while far more than its buffer is committed.
    total = WATCH_QUEUE + 500
    for start in range(0, total, 250):
        await store.commit([Put(flowrun(f"r{i:05d}")) for i in range(start, start + 250)])
    rest = await asyncio.wait_for(take(stream, total), 10)
    assert [c.name for c in rest] == [f"r{i:05d}" for i in range(total)]
    await stream.aclose()


async def test_a_watcher_beyond_the_backlog_ends_with_a_clear_error(store: JournalStore) -> None:
    stream = store.watch()
    await store.put(flowrun("first"))
    assert (await anext(stream)).name == "first"
    # Its buffer and the backlog together hold less than what it missed.
    missed = WATCH_BACKLOG + WATCH_QUEUE + 1000
    for start in range(0, missed, 1000):
        await store.commit([Put(sample("event", f"e{i}")) for i in range(start, start + 1000)])
    with pytest.raises(WatchLagError, match="list the resources again"):
        await asyncio.wait_for(take(stream, missed), 10)


async def test_close_ends_every_watch(store: JournalStore) -> None:
    streams = [asyncio.create_task(take(store.watch(), 1_000)) for _ in range(3)]
    await store.put(flowrun("r"))
    await store.close()
    for seen in await asyncio.wait_for(asyncio.gather(*streams), 10):
        assert [c.name for c in seen] == ["r"]
