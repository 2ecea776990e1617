"""Garbage collection of finished runs older than `gc_after` seconds."""

from __future__ import annotations

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.storage.memory import MemoryStore
from tests.unit.engine.builders import (
    action,
    attempts,
    events,
    flowrun,
    state_is,
    step,
    store_all,
    wait_gone,
    wait_run,
)
from tests.unit.engine.loopback import AckReceiver, ActionService


async def _never(body: object) -> dict[str, object]:
    raise AssertionError("the engine is not wired yet")


async def test_finished_runs_are_collected_after_gc_after() -> None:
    repo = MemoryStore()
    receiver = await AckReceiver(_never).start()
    service = await ActionService(ack_url=receiver.url, modes={"slow": "silent"}).start()
    clock = ManualClock()
    engine = Engine(repo, ack_url=receiver.url, clock=clock, gc_after=3600)
    receiver.handler = engine.ack
    await engine.start()
    try:
        await store_all(
            repo,
            [
                action("fast", [service.url("fast")], {}, ["OK"]),
                action("slow", [service.url("slow")], {}, ["OK"]),
                flowrun("finished", [step("S", "fast", {}, {"OK": "done"})]),
                flowrun("waiting", [step("S", "slow", {}, {"OK": "done"})]),
            ],
        )
        await engine.launch("finished")
        await engine.launch("waiting")
        await wait_run(repo, "finished", state_is("done"))
        assert await engine.collect_garbage() == []  # not old enough yet

        clock.advance(3600 + 60)  # the periodic sweep falls due
        await wait_gone(repo, "flowrun", "finished")
        assert await attempts(repo, "finished") == []
        assert await events(repo, "finished") == []
        assert await repo.get("flowrun", "waiting") is not None  # still running: kept
    finally:
        await engine.close()
        await service.close()
        await receiver.close()


async def test_gc_is_off_by_default() -> None:
    engine = Engine(MemoryStore(), ack_url="http://127.0.0.1:9/step", clock=ManualClock())
    await engine.start()
    try:
        assert await engine.collect_garbage() == []
    finally:
        await engine.close()
