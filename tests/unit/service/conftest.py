"""Real parts for the workbench tests: a MemoryStore, the real engine, a loopback action."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from echoer_tui.engine import Engine
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage.memory import MemoryStore
from tests.support.services import ActionService


@pytest.fixture
async def action_service() -> AsyncIterator[ActionService]:
    async with ActionService() as service:
        yield service


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def workbench(store: MemoryStore) -> AsyncIterator[LocalWorkbench]:
    engine = Engine(store, ack_url="http://127.0.0.1:9/step", retry_base=0.01)
    bench = LocalWorkbench(store, engine, "http://127.0.0.1:9", owns_store=True)
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()
