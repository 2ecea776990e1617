"""A document is written in one commit: a name taken between translation and the commit
leaves nothing of the document stored, through the API's path and the shell's alike."""

from __future__ import annotations

import builtins
import copy
from collections.abc import AsyncIterator, Sequence

import pytest

from echoer_tui.engine import Engine
from echoer_tui.errors import ConflictError
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage.memory import MemoryStore
from echoer_tui.storage.repository import Put, Query, Resource, Write

DOCUMENT = """action ci
    addr = "http://127.0.0.1:9/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end
flow_run r1
    step A => (SUCCESS->done | FAIL->A) {
        action = "ci";
        args = (project = "p");
    };
flow_run_end
action late
    addr = "http://127.0.0.1:9/late";
    method = http;
    return = (SUCCESS);
action_end
"""


class RivalWriterStore(MemoryStore):
    """A real store where another writer creates the batch's last name just before the
    first commit of several writes lands: the race the translation cannot see."""

    def __init__(self) -> None:
        super().__init__()
        self.rival: Resource | None = None

    async def commit(self, writes: Sequence[Write]) -> builtins.list[Resource | None]:
        if self.rival is None and len(writes) > 1 and isinstance(writes[-1], Put):
            self.rival = copy.deepcopy(writes[-1].resource)
            await super().commit([Put(self.rival)])
        return await super().commit(writes)


@pytest.fixture
async def racing() -> AsyncIterator[tuple[RivalWriterStore, LocalWorkbench]]:
    store = RivalWriterStore()
    bench = LocalWorkbench(store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x")
    await bench.start()
    try:
        yield store, bench
    finally:
        await bench.close()
        await store.close()


async def _names(store: MemoryStore, kind: str) -> list[str]:
    return [r["metadata"]["name"] for r in await store.list(Query(kind))]


async def test_create_fsl_refuses_the_whole_document(
    racing: tuple[RivalWriterStore, LocalWorkbench],
) -> None:
    store, bench = racing
    assert (await bench.validate(DOCUMENT)).ok
    with pytest.raises(ConflictError):
        await bench.create_fsl(DOCUMENT)
    # Only the rival's action is there: neither `ci` nor the run (never launched).
    assert await _names(store, "action") == ["late"]
    assert await _names(store, "flowrun") == []
    assert await store.list(Query("step")) == []


async def test_the_shell_refuses_every_statement_of_the_failed_commit(
    racing: tuple[RivalWriterStore, LocalWorkbench],
) -> None:
    store, bench = racing
    replies = await bench.apply_fsl(DOCUMENT)
    assert [r.status for r in replies] == ["error"] * 3
    assert all("late" in r.text for r in replies)
    assert await _names(store, "action") == ["late"]
    assert await _names(store, "flowrun") == []


async def test_a_document_that_commits_launches_its_runs() -> None:
    store = MemoryStore()
    bench = LocalWorkbench(store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x")
    await bench.start()
    try:
        created = await bench.create_fsl(DOCUMENT)
        assert [r["metadata"]["name"] for r in created] == ["ci", "r1", "late"]
        run = await bench.get("flowrun", "r1")
        assert run["spec"]["current_state"] != "ready"  # launched: its first step entered
    finally:
        await bench.close()
        await store.close()


async def test_the_shell_still_applies_the_good_statements_of_a_document() -> None:
    store = MemoryStore()
    bench = LocalWorkbench(store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x")
    await bench.start()
    try:
        text = DOCUMENT.replace('action = "ci";', 'action = "nope";')
        replies = await bench.apply_fsl(text)
        assert [r.status for r in replies] == ["ok", "error", "ok"]
        assert await _names(store, "action") == ["ci", "late"]
    finally:
        await bench.close()
        await store.close()
