"""Breakpoints: a run holds before entering a marked step until it is continued.

Driven against a real loopback action service that never acks by itself (`silent`), so
the test answers each attempt and can count exactly what the service was sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.errors import InvalidOperationError, NotFoundError
from echoer_tui.storage import open_store
from tests.unit.engine.builders import (
    action,
    attempts,
    events,
    flowrun,
    state_is,
    step,
    store_all,
    wait_attempt,
    wait_run,
)
from tests.unit.engine.conftest import Rig
from tests.unit.engine.loopback import AckReceiver, ActionService

HELD = "held at breakpoint before step A"


def looping_run(service_url: str, name: str = "r") -> list[dict[str, Any]]:
    """A run whose step A answers AGAIN to enter itself again, or OK to finish."""
    return [
        action("job", [service_url], {"n": 1}, ["AGAIN", "OK"]),
        flowrun(name, [step("A", "job", {"n": 7}, {"AGAIN": "A", "OK": "done"})]),
    ]


def one_run(service_url: str, name: str) -> list[dict[str, Any]]:
    return [flowrun(name, [step("P", "job", {"n": 1}, {"OK": "done"})])]


async def _answer(rig_engine: Engine, uuid: str, state: str) -> None:
    reply = await rig_engine.ack({"uuid": uuid, "ackState": state, "done": True})
    assert reply["changed"] is True


async def test_breakpoint_holds_continue_sends_once_and_reentry_holds_again(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, looping_run(rig.service.url("job")))
    marked = await rig.engine.set_breakpoint("r", "A")
    assert marked["spec"]["breakpoints"] == ["A"]

    held = await rig.engine.launch("r")
    assert held["spec"]["current_state"] == "suspend"
    assert held["spec"]["history_states"] == ["ready", "A", "suspend"]
    first = await rig.repo.get("step", "r.A.1")
    assert first is not None and first["spec"]["dispatched_time"] == 0
    assert held["spec"]["current_attempt"] == first["metadata"]["uuid"]
    assert HELD in [e["spec"]["message"] for e in await events(rig.repo, "r")]

    # A run launched after the held one is sent; the held one still is not.
    await store_all(rig.repo, one_run(rig.service.url("job"), "probe"))
    await rig.engine.launch("probe")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    assert rig.service.received[0][1]["flowId"] == "probe"

    resumed = await rig.engine.resume("r")
    assert resumed["spec"]["current_state"] == "A"
    await rig.service.wait_for(lambda: len(rig.service.bodies("job")) == 2)
    sent = [b for b in rig.service.bodies("job") if b["flowId"] == "r"]
    assert [b["uuid"] for b in sent] == [first["metadata"]["uuid"]]
    await wait_attempt(rig.repo, "r.A.1", lambda a: bool(a["spec"]["dispatched_time"]))

    # The step answers AGAIN: it is entered anew, and the breakpoint holds that entry too.
    await _answer(rig.engine, first["metadata"]["uuid"], "AGAIN")
    again = await wait_run(rig.repo, "r", state_is("suspend"))
    assert again["spec"]["history_states"] == ["ready", "A", "suspend", "A", "A", "suspend"]
    second = await rig.repo.get("step", "r.A.2")
    assert second is not None and second["spec"]["dispatched_time"] == 0
    assert [e["spec"]["message"] for e in await events(rig.repo, "r")].count(HELD) == 2

    await rig.engine.resume("r")
    await rig.service.wait_for(lambda: len(rig.service.bodies("job")) == 3)
    await _answer(rig.engine, second["metadata"]["uuid"], "OK")
    done = await wait_run(rig.repo, "r", state_is("done"))
    assert done["spec"]["history_states"] == [
        "ready", "A", "suspend", "A", "A", "suspend", "A", "done",
    ]  # fmt: skip
    sent = [b["uuid"] for b in rig.service.bodies("job") if b["flowId"] == "r"]
    assert sent == [first["metadata"]["uuid"], second["metadata"]["uuid"]]
    assert [a["metadata"]["name"] for a in await attempts(rig.repo, "r")] == ["r.A.1", "r.A.2"]


async def test_unbreak_lets_the_next_entry_through(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, looping_run(rig.service.url("job")))
    await rig.engine.set_breakpoint("r", "A")
    await rig.engine.launch("r")
    cleared = await rig.engine.set_breakpoint("r", "A", on=False)
    assert cleared["spec"]["breakpoints"] == []
    assert cleared["spec"]["current_state"] == "suspend"  # held until continued all the same
    await rig.engine.resume("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    first = rig.service.received[0][1]["uuid"]
    await _answer(rig.engine, first, "AGAIN")
    await rig.service.wait_for(lambda: len(rig.service.received) == 2)  # no hold this time
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "A"


async def test_bad_breakpoints_are_refused_and_change_nothing(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, looping_run(rig.service.url("job")))
    with pytest.raises(NotFoundError, match="'Z'") as missing:
        await rig.engine.set_breakpoint("r", "Z")
    assert missing.value.field == "step"
    with pytest.raises(NotFoundError, match="flow run nope does not exist"):
        await rig.engine.set_breakpoint("nope", "A")
    with pytest.raises(InvalidOperationError, match="has no breakpoint"):
        await rig.engine.set_breakpoint("r", "A", on=False)
    await rig.engine.set_breakpoint("r", "A")
    with pytest.raises(InvalidOperationError, match="already has a breakpoint"):
        await rig.engine.set_breakpoint("r", "A")
    await rig.engine.launch("r")
    await rig.engine.stop("r")
    before = await rig.repo.get("flowrun", "r")
    with pytest.raises(InvalidOperationError, match="has finished"):
        await rig.engine.set_breakpoint("r", "A", on=False)
    assert await rig.repo.get("flowrun", "r") == before


async def test_a_breakpoint_survives_an_engine_restart(tmp_path: Path) -> None:
    service = await ActionService(default_mode="silent").start()
    receiver = await AckReceiver(_never).start()
    store = await open_store(tmp_path / "store")
    engine = Engine(store, ack_url=receiver.url, clock=ManualClock())
    receiver.handler = engine.ack
    try:
        await engine.start()
        await store_all(store, looping_run(service.url("job")))
        await engine.set_breakpoint("r", "A")
        await engine.launch("r")
        await engine.close()  # waits for any in-flight dispatch: there must be none
        assert service.received == []
        await store.close()

        store = await open_store(tmp_path / "store")
        engine = Engine(store, ack_url=receiver.url, clock=ManualClock())
        receiver.handler = engine.ack
        await engine.start()
        run = await store.get("flowrun", "r")
        assert run is not None
        assert run["spec"]["current_state"] == "suspend"
        assert run["spec"]["breakpoints"] == ["A"]
        assert service.received == []  # recovery leaves a held run held

        await engine.resume("r")
        await service.wait_for(lambda: len(service.received) == 1)
        first = service.received[0][1]["uuid"]
        await _answer(engine, first, "AGAIN")  # the mark, reloaded, holds the re-entry
        again = await wait_run(store, "r", state_is("suspend"))
        assert again["spec"]["history_states"][-2:] == ["A", "suspend"]
        await engine.close()
        assert len(service.received) == 1
    finally:
        await engine.close()
        await store.close()
        await service.close()
        await receiver.close()


async def _never(body: object) -> dict[str, object]:
    raise AssertionError("the engine is not wired yet")
