"""Engine fixtures: a MemoryStore, a real loopback action service, an ack receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.storage.memory import MemoryStore
from tests.unit.engine.loopback import AckReceiver, ActionService


@dataclass
class Rig:
    repo: MemoryStore
    engine: Engine
    service: ActionService
    receiver: AckReceiver
    clock: ManualClock


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    """An engine on a MemoryStore with a ManualClock, wired to loopback HTTP parts."""
    repo = MemoryStore()
    receiver = await AckReceiver(_not_yet).start()
    service = await ActionService(ack_url=receiver.url).start()
    clock = ManualClock()
    engine = Engine(repo, ack_url=receiver.url, clock=clock, retry_base=1.0)
    receiver.handler = engine.ack
    await engine.start()
    try:
        yield Rig(repo, engine, service, receiver, clock)
    finally:
        await engine.close()
        await service.close()
        await receiver.close()
        await repo.close()


async def _not_yet(body: object) -> dict[str, object]:
    raise AssertionError("an ack arrived before the engine was wired")
