"""`POST /flowrun/{name}/break` and `/unbreak` with `{"step": …}` over real HTTP."""

from __future__ import annotations

import pytest

from echoer_tui.errors import NotFoundError
from echoer_tui.service.remote import RemoteWorkbench
from tests.unit.api.conftest import FLOW_RUN, Stack


async def test_break_holds_the_next_entry_and_continue_sends_it(seeded: Stack) -> None:
    client = seeded.client
    await client.post("/flowrun", json={"data": FLOW_RUN.format(name="r3")})
    first = await seeded.actions.next_dispatch()

    marked = await client.post("/flowrun/r3/break", json={"step": "A"})
    assert marked.status_code == 200, marked.text
    assert marked.json()["spec"]["breakpoints"] == ["A"]

    ack = {"flowId": "r3", "stepName": "A", "ackState": "FAIL", "uuid": first["uuid"], "done": True}
    assert (await client.post("/step", json=ack)).status_code == 200
    run = (await client.get("/flowrun/r3")).json()
    assert run["spec"]["current_state"] == "suspend"  # FAIL->A re-enters A: held
    assert run["spec"]["history_states"][-2:] == ["A", "suspend"]
    assert seeded.actions.dispatches.empty()

    resumed = await client.post("/flowrun/r3/continue")
    assert resumed.status_code == 200, resumed.text
    second = await seeded.actions.next_dispatch()
    assert second["stepName"] == "A" and second["uuid"] != first["uuid"]
    assert second["uuid"] == run["spec"]["current_attempt"]

    cleared = await client.post("/flowrun/r3/unbreak", json={"step": "A"})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["spec"]["breakpoints"] == []


async def test_bad_breakpoint_requests_name_what_is_wrong(seeded: Stack) -> None:
    client = seeded.client
    await client.post("/flowrun", json={"data": FLOW_RUN.format(name="r4")})
    await seeded.actions.next_dispatch()

    unknown = await client.post("/flowrun/r4/break", json={"step": "Z"})
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["field"] == "step" and "'Z'" in unknown.json()["message"]
    no_step = await client.post("/flowrun/r4/break", json={})
    assert no_step.status_code == 400 and "step" in no_step.text
    assert (await client.post("/flowrun/ghost/unbreak", json={"step": "A"})).status_code == 404

    assert (await client.post("/flowrun/r4/stop")).status_code == 200
    finished = await client.post("/flowrun/r4/break", json={"step": "A"})
    assert finished.status_code == 409, finished.text
    assert "has finished" in finished.json()["message"]
    assert (await client.get("/flowrun/r4")).json()["spec"]["breakpoints"] == []


async def test_the_remote_workbench_sets_and_clears_breakpoints(seeded: Stack) -> None:
    await seeded.client.post("/flowrun", json={"data": FLOW_RUN.format(name="r5")})
    await seeded.actions.next_dispatch()
    remote = RemoteWorkbench(seeded.url)
    await remote.start()
    try:
        marked = await remote.set_breakpoint("r5", "A")
        assert marked["spec"]["breakpoints"] == ["A"]
        with pytest.raises(NotFoundError, match="'Z'"):
            await remote.set_breakpoint("r5", "Z")
        reply = await remote.execute("unbreak r5.A")
        assert reply.status == "ok", reply.text
        assert (await remote.get("flowrun", "r5"))["spec"]["breakpoints"] == []
    finally:
        await remote.close()
