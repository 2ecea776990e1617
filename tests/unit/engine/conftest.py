"""Engine fixtures: the engine on every backend, a real loopback action service, an ack receiver.

The same engine tests run on the MemoryStore, the embedded journal store (in tmp_path)
and PostgreSQL (a throwaway server, skipped with a reason when the binaries are absent,
failing in CI), so the shared-store paths (claimed timers, store-side ack lookup,
retried transitions) are held to the same behaviour as the single-process ones.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tests.pg_server
from echoer_tui.engine import Engine, ManualClock
from echoer_tui.storage import open_store
from echoer_tui.storage.memory import MemoryStore
from echoer_tui.storage.repository import Repository
from tests.unit.engine.loopback import AckReceiver, ActionService

# The postgres conftest imports `pg_server` as a top-level module (tests/ on sys.path);
# give it the same module under that name however this folder was imported.
sys.modules.setdefault("pg_server", tests.pg_server)

from tests.unit.postgres.conftest import pg_base_url, pg_url  # noqa: E402

__all__ = ["pg_base_url", "pg_url"]  # the PostgreSQL fixtures, shared with tests/unit/postgres

BACKENDS = ["memory", "journal", "postgres"]


@dataclass
class Rig:
    repo: Repository
    engine: Engine
    service: ActionService
    receiver: AckReceiver
    clock: ManualClock


async def open_backend(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Repository:
    """A fresh, empty store of the named backend."""
    if backend == "memory":
        return MemoryStore()
    if backend == "journal":
        return await open_store(tmp_path / "store")
    from echoer_tui.storage.postgres import PostgresStore

    return await PostgresStore.open(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Repository]:
    repo = await open_backend(backend, tmp_path, request)
    try:
        yield repo
    finally:
        await repo.close()


@pytest.fixture
async def rig(store: Repository) -> AsyncIterator[Rig]:
    """An engine with a ManualClock on each backend, wired to loopback HTTP parts."""
    receiver = await AckReceiver(_not_yet).start()
    service = await ActionService(ack_url=receiver.url).start()
    clock = ManualClock()
    engine = Engine(store, ack_url=receiver.url, clock=clock, retry_base=1.0)
    receiver.handler = engine.ack
    await engine.start()
    try:
        yield Rig(store, engine, service, receiver, clock)
    finally:
        await engine.close()
        await service.close()
        await receiver.close()


async def _not_yet(body: object) -> dict[str, object]:
    raise AssertionError("an ack arrived before the engine was wired")
