"""An ack finds its attempt in the store when this engine's uuid index has not caught up.

The index is a cache: a watcher may see a run enter a step before the engine that
committed it has indexed the new attempt, and another engine process (sharing the
store) never indexed it at all.
"""

from __future__ import annotations

import asyncio

from echoer_tui.engine import Engine
from tests.unit.engine.builders import (
    action,
    attempts,
    flowrun,
    state_is,
    step,
    store_all,
    wait_run,
)
from tests.unit.engine.conftest import Rig


def two_step_run(url: str) -> list[dict[str, object]]:
    return [
        action("job", [url], {}, ["OK"]),
        flowrun("r", [step("A", "job", {}, {"OK": "D"}), step("D", "job", {}, {"OK": "done"})]),
    ]


async def test_manual_ack_as_soon_as_the_run_enters_a_step(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, two_step_run(rig.service.url("job")))
    replies: list[dict[str, object]] = []
    since = rig.repo.seq

    async def ack_on_entry() -> None:
        # React to the commit that enters D at once, as a workbench watching the store does.
        async for change in rig.repo.watch(["flowrun"], since):
            spec = (change.resource or {}).get("spec") or {}
            if change.name == "r" and spec.get("current_state") == "D":
                replies.append(await rig.engine.manual_ack("r", "D", "OK"))
                return

    watcher = asyncio.create_task(ack_on_entry())
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    await rig.engine.manual_ack("r", "A", "OK")
    async with asyncio.timeout(5):
        await watcher
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert replies[0]["changed"] is True
    assert run["spec"]["history_states"] == ["ready", "A", "D", "done"]


async def test_an_engine_that_never_indexed_the_attempt_takes_its_acks(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, two_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    uuid = rig.service.received[0][1]["uuid"]

    # A second engine on the same store, never started: its index is empty.
    other = Engine(rig.repo, ack_url=rig.receiver.url, clock=rig.clock)
    try:
        by_uuid = await other.ack({"uuid": uuid, "ackState": "OK", "done": True})
        assert by_uuid["changed"] is True and by_uuid["step"] == "A"
        await rig.service.wait_for(lambda: len(rig.service.received) == 2)
        by_hand = await other.manual_ack("r", "D", "OK")
        assert by_hand["changed"] is True
    finally:
        await other.close()
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "A", "D", "done"]
    assert [a["spec"]["response"]["state"] for a in await attempts(rig.repo, "r")] == ["OK", "OK"]
