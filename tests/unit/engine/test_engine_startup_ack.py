"""An ack that arrives while the engine is still starting (recovering its runs) waits for
start-up to finish and is accepted, never refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.storage import open_store
from tests.unit.engine.builders import action, flowrun, step, store_all
from tests.unit.engine.loopback import ActionService

ACK_URL = "http://127.0.0.1:9/step"  # acks are handed to the engine directly here


def one_step_run(name: str) -> dict[str, object]:
    return flowrun(name, [step("A", "ci", {}, {"OK": "done", "FAIL": "A"})])


async def test_an_ack_during_start_waits_for_recovery_and_is_accepted(tmp_path: Path) -> None:
    service = await ActionService(default_mode="silent").start()
    # The journal store commits through its writer thread, so recovering runs that have
    # not started yet really suspends start(): an ack can arrive in the middle of it.
    store = await open_store(tmp_path / "data")
    try:
        await store_all(store, [action("ci", [service.url("ci")], {}, ["OK", "FAIL"])])
        first = Engine(store, ack_url=ACK_URL, clock=ManualClock())
        await first.start()
        await store.put(one_step_run("waiting"))
        await first.launch("waiting")
        await service.wait_for(lambda: bool(service.bodies("ci")))
        [sent] = service.bodies("ci")
        await first.close()
        # Runs stored but not yet started: the next engine starts them while recovering.
        await store_all(store, [one_step_run(f"later{i}") for i in range(5)])

        engine = Engine(store, ack_url=ACK_URL, clock=ManualClock())
        starting = asyncio.create_task(engine.start())
        await asyncio.sleep(0)  # let start() run up to its first write
        assert not starting.done()
        reply = await engine.ack(
            {
                "flowId": "waiting",
                "stepName": "A",
                "ackState": "OK",
                "uuid": sent["uuid"],
                "done": True,
            }
        )
        assert starting.done()  # answered only once start-up had finished
        await starting
        assert reply["changed"] is True and reply["state"] == "done"
        stored = await store.get("flowrun", "waiting")
        assert stored is not None and stored["spec"]["current_state"] == "done"
        await engine.close()
    finally:
        await store.close()
        await service.close()
