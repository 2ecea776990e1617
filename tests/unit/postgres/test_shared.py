"""Several stores, several processes, one database: the guarantees PostgreSQL enforces."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from storage.conftest import flowrun

from echoer_tui.errors import ConflictError, StaleWriteError
from echoer_tui.storage import Change, Put, Query, postgres
from echoer_tui.storage.postgres import PostgresStore

WORKER = Path(__file__).with_name("pg_worker.py")
TIMEOUT = 20


def timer(name: str, due: float) -> dict[str, object]:
    return {
        "metadata": {"name": name, "kind": "timer", "labels": {"flowrun": "run1"}},
        "spec": {"due": due, "op": "retry", "run": "run1", "attempt": f"{name}.a"},
    }


@pytest.fixture
async def second(pg_url: str) -> AsyncIterator[PostgresStore]:
    """Another store on the same database: its own pool, its own LISTEN connection."""
    store = await PostgresStore.open(pg_url)
    yield store
    await store.close()


class Worker:
    """A pg_worker.py process: started, released with `go`, read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, url: str, *args: str) -> Worker:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            url,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        worker = cls(process)
        assert await worker.line() == "ready"
        return worker

    async def line(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
        assert raw, f"worker exited early with {await self.process.wait()}"
        return raw.decode().strip()

    def send(self, text: str = "go") -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{text}\n".encode())

    async def finish(self) -> int:
        return await asyncio.wait_for(self.process.wait(), TIMEOUT)


async def test_a_stale_write_from_another_store_is_refused_by_the_database(
    pg_store: PostgresStore, second: PostgresStore
) -> None:
    created = await pg_store.put(flowrun("r", 1))
    seen_by_second = await second.get("flowrun", "r")
    assert seen_by_second == created
    updated = await pg_store.put({**created, "spec": {**created["spec"], "current_state": "B"}})
    with pytest.raises(StaleWriteError, match=r"version 2.*based on 1"):
        await second.put(seen_by_second)
    assert await second.get("flowrun", "r") == updated


async def test_two_stores_creating_one_name_at_once_make_one_resource(
    pg_store: PostgresStore, second: PostgresStore
) -> None:
    outcomes = await asyncio.gather(
        *(store.put(flowrun(f"n{i}")) for i in range(20) for store in (pg_store, second)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 20 and all(isinstance(o, ConflictError) for o in refused)
    assert await pg_store.count("flowrun") == 20


async def test_a_stale_write_from_another_process_is_refused(
    pg_url: str, pg_store: PostgresStore
) -> None:
    mine = await pg_store.put(flowrun("r"))
    worker = await Worker.start(pg_url, "bump", "flowrun", "r")
    worker.send()
    assert await worker.line() == "2"
    assert await worker.finish() == 0
    with pytest.raises(StaleWriteError, match=r"version 2.*based on 1"):
        await pg_store.put(mine)
    current = await pg_store.get("flowrun", "r")
    assert current is not None and current["spec"]["bumped_by"] == "worker"


async def test_a_write_through_one_store_reaches_the_watch_of_another(
    pg_store: PostgresStore, second: PostgresStore
) -> None:
    before = await pg_store.put(flowrun("early"))
    stream = second.watch(["flowrun"], since=0)
    # Replayed from the changes table: committed before this watch began.
    replayed = await asyncio.wait_for(anext(stream), TIMEOUT)
    assert (replayed.seq, replayed.name, replayed.resource) == (1, "early", before)
    # Live: the commit's NOTIFY wakes the other store, which reads the change.
    stored = await pg_store.put(flowrun("late"))
    await pg_store.put(timer("t", 1.0))  # another kind: filtered out
    await pg_store.delete("flowrun", "early")
    live = [await asyncio.wait_for(anext(stream), TIMEOUT) for _ in range(2)]
    assert [(c.seq, c.op, c.name) for c in live] == [(2, "put", "late"), (4, "delete", "early")]
    assert live[0].resource == stored and live[1].resource == before
    assert second.seq == 4
    await stream.aclose()


async def test_a_write_from_another_process_reaches_a_watch(
    pg_url: str, pg_store: PostgresStore
) -> None:
    await pg_store.put(flowrun("r"))
    stream = pg_store.watch(["flowrun"], since=pg_store.seq)
    waiting = asyncio.create_task(anext(stream))
    worker = await Worker.start(pg_url, "bump", "flowrun", "r")
    worker.send()
    change: Change = await asyncio.wait_for(waiting, TIMEOUT)
    assert change.name == "r" and change.resource is not None
    assert change.resource["spec"]["bumped_by"] == "worker"
    assert change.resource["metadata"]["version"] == 2
    assert await worker.finish() == 0
    await stream.aclose()


async def test_concurrent_claimer_processes_fire_each_timer_exactly_once(
    pg_url: str, pg_store: PostgresStore
) -> None:
    due = [Put(timer(f"t{i:03d}", float(i))) for i in range(120)]
    later = [Put(timer(f"later{i}", 5000.0)) for i in range(5)]
    await pg_store.commit([*due, *later])
    workers = await asyncio.gather(
        *(Worker.start(pg_url, "claim", f"engine-{i}", "1000", "60") for i in range(3))
    )
    for worker in workers:
        worker.send()
    fired = [json.loads(await worker.line()) for worker in workers]
    assert [await worker.finish() for worker in workers] == [0, 0, 0]
    every = [name for names in fired for name in names]
    assert sorted(every) == [f"t{i:03d}" for i in range(120)]  # none twice, none missed
    remaining = [t["metadata"]["name"] for t in await pg_store.list(Query("timer"))]
    assert remaining == [f"later{i}" for i in range(5)]


async def test_the_claims_of_a_killed_process_expire_and_are_taken_over(
    pg_url: str, pg_store: PostgresStore
) -> None:
    await pg_store.commit([Put(timer(f"t{i}", 10.0 + i)) for i in range(3)])
    dead = await Worker.start(pg_url, "hold", "engine-dead", "100", "30")
    dead.send()
    held = json.loads(await dead.line())
    assert held == ["t0", "t1", "t2"]
    dead.process.kill()
    assert await dead.finish() != 0
    # Within the lease nobody else may fire them; once it ran out, another owner does.
    assert await pg_store.claim_due_timers(129.0, "engine-2", 30) == []
    assert await pg_store.next_timer_due() == 130.0
    taken = await pg_store.claim_due_timers(130.0, "engine-2", 30)
    assert [t["metadata"]["name"] for t in taken] == ["t0", "t1", "t2"]
    assert await pg_store.claim_due_timers(131.0, "engine-3", 30) == []


async def test_a_released_or_rescheduled_timer_can_be_claimed_again(
    pg_store: PostgresStore,
) -> None:
    await pg_store.commit([Put(timer("a", 1.0)), Put(timer("b", 2.0))])
    first = await pg_store.claim_due_timers(10.0, "engine-1", 60)
    assert [t["metadata"]["name"] for t in first] == ["a", "b"]
    assert await pg_store.release_timers("engine-1", ["a"]) == 1
    # A new version of a timer is a new schedule: its lease ends with the write.
    rescheduled = {**first[1], "spec": {**first[1]["spec"], "due": 5.0}}
    await pg_store.put(rescheduled)
    again = await pg_store.claim_due_timers(10.0, "engine-2", 60)
    assert [(t["metadata"]["name"], t["spec"]["due"]) for t in again] == [("a", 1.0), ("b", 5.0)]
    assert await pg_store.claim_due_timers(3.0, "engine-3", 60) == []


async def test_a_watch_survives_the_loss_of_its_listen_connection(
    pg_base_url: str, pg_store: PostgresStore, second: PostgresStore
) -> None:
    stream = pg_store.watch(["flowrun"], since=pg_store.seq)
    waiting = asyncio.create_task(anext(stream))
    with psycopg.connect(pg_base_url, autocommit=True) as admin:
        # The timeout makes the call return only once the backends are gone.
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE application_name = 'echoer-listen'"
        ).fetchall()
    assert killed and all(ok for (ok,) in killed)
    # Its notification is lost with the connection; the store re-listens and catches up.
    stored = await second.put(flowrun("after"))
    change = await asyncio.wait_for(waiting, TIMEOUT)
    assert (change.name, change.resource) == ("after", stored)
    await stream.aclose()


async def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(
    pg_base_url: str, pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = await pg_store.put(flowrun("r"))
    # As after an idle spell: the next loan is checked (a loan right after use is not).
    monkeypatch.setattr(postgres, "CHECK_AFTER_IDLE", -1.0)
    with psycopg.connect(pg_base_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE application_name = 'echoer'"
        ).fetchall()
    assert killed and all(ok for (ok,) in killed)
    assert await pg_store.get("flowrun", "r") == stored


async def test_list_by_prefix_keeps_exactly_the_names_that_start_with_it(
    pg_store: PostgresStore,
) -> None:
    last = chr(sys.maxunicode)
    names = ["a", "a.", "a.1", "a.2", "a/", "ab", "b", f"a{last}", f"a{last}x", last, f"{last}a"]
    for name in names:
        await pg_store.put({"metadata": {"name": name, "kind": "timer"}, "spec": {}})
    for prefix in ["", "a", "a.", "a.1", f"a{last}", last, f"{last}{last}", "c"]:
        found = [r["metadata"]["name"] for r in await pg_store.list(Query("timer", prefix=prefix))]
        assert found == sorted(n for n in names if n.startswith(prefix)), prefix
