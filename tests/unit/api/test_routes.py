"""Every route's happy path, in the original's JSON shapes, over a real loopback server."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import FLOW, FLOW_RUN, Stack


async def test_root_and_health(api: Stack) -> None:
    assert (await api.client.get("/")).json() == "echoer"
    health = (await api.client.get("/healthz")).json()
    assert health == {"status": "ok", "api_url": api.url}


async def test_create_from_fsl_answers_like_the_original(api: Stack) -> None:
    response = await api.client.post("/action", json={"data": api.fsl_action()})
    assert response.status_code == 200
    assert response.json() == ""
    response = await api.client.post("/flow", json={"data": FLOW})
    assert (response.status_code, response.json()) == (200, "")


async def test_list_and_get_shapes(seeded: Stack) -> None:
    actions = (await seeded.client.get("/action")).json()
    assert [a["metadata"]["name"] for a in actions] == ["ci"]
    action = (await seeded.client.get("/action/ci")).json()
    assert set(action) >= {"metadata", "spec"}
    assert set(action["metadata"]) >= {"name", "kind", "uuid", "version", "labels"}
    assert action["metadata"]["kind"] == "action"
    spec = action["spec"]
    assert spec["serve_type"] == 0
    assert spec["endpoints"] == [f"{seeded.actions.url}/ci"]
    assert spec["params"] == {"project": 0, "retry_count": 1}
    assert spec["return_states"] == ["SUCCESS", "FAIL"]
    flow = (await seeded.client.get("/flow/my_flow")).json()
    step = flow["spec"]["steps"][0]
    assert (step["name"], step["action_name"], step["returns"]) == (
        "A",
        "ci",
        {"SUCCESS": "done", "FAIL": "A"},
    )


async def test_metadata_name_filter(seeded: Stack) -> None:
    await seeded.client.post("/action", json={"data": seeded.fsl_action("ci2")})
    both = (await seeded.client.get("/action")).json()
    assert [a["metadata"]["name"] for a in both] == ["ci", "ci2"]
    one = (await seeded.client.get("/action", params={"metadata.name": "ci2"})).json()
    assert [a["metadata"]["name"] for a in one] == ["ci2"]
    none = (await seeded.client.get("/action", params={"metadata.name": "nope"})).json()
    assert none == []


async def test_flowrun_dispatches_and_wire_ack_finishes_it(seeded: Stack) -> None:
    response = await seeded.client.post("/flowrun", json={"data": FLOW_RUN.format(name="r1")})
    assert response.status_code == 200, response.text
    dispatch = await seeded.actions.next_dispatch()
    assert dispatch["flowId"] == "r1" and dispatch["stepName"] == "A"
    assert dispatch["retry_count"] == 10
    ack = {
        "flowId": "r1",
        "stepName": "A",
        "ackState": "SUCCESS",
        "uuid": dispatch["uuid"],
        "done": True,
        "data": "built",
        "globalVariables": {"image": "v1"},
    }
    response = await seeded.client.post("/step", json=ack)
    assert response.status_code == 200, response.text
    run = (await seeded.client.get("/flowrun/r1")).json()
    assert run["spec"]["current_state"] == "done"
    assert run["spec"]["global_variable"]["image"] == "v1"
    steps = (await seeded.client.get("/step", params={"flowrun": "r1"})).json()
    assert [s["spec"]["response"]["state"] for s in steps] == ["SUCCESS"]
    events = (await seeded.client.get("/event", params={"flowrun": "r1"})).json()
    assert events and all(e["metadata"]["kind"] == "event" for e in events)
    # A duplicate ack of a finished step is answered 200 and changes nothing.
    seq = seeded.store.seq
    assert (await seeded.client.post("/step", json=ack)).status_code == 200
    assert seeded.store.seq == seq


async def test_run_operations(seeded: Stack) -> None:
    await seeded.client.post("/flowrun", json={"data": FLOW_RUN.format(name="r2")})
    await seeded.actions.next_dispatch()
    paused = await seeded.client.post("/flowrun/r2/pause")
    assert paused.status_code == 200, paused.text
    assert (await seeded.client.get("/flowrun/r2")).json()["spec"]["current_state"] == "suspend"
    resumed = await seeded.client.post("/flowrun/r2/continue")
    assert resumed.status_code == 200, resumed.text
    stopped = await seeded.client.post("/flowrun/r2/stop")
    assert stopped.status_code == 200, stopped.text
    assert (await seeded.client.get("/flowrun/r2")).json()["spec"]["current_state"] == "stopped"
    rerun = await seeded.client.post("/flowrun/r2/rerun", json={"step": "A"})
    assert rerun.status_code == 200, rerun.text
    dispatch = await seeded.actions.next_dispatch()
    assert dispatch["stepName"] == "A"
    acked = await seeded.client.post(
        "/flowrun/r2/ack", json={"step": "A", "state": "SUCCESS", "data": "by hand"}
    )
    assert acked.status_code == 200, acked.text
    run = (await seeded.client.get("/flowrun/r2")).json()
    assert run["spec"]["current_state"] == "done"


async def test_run_flow_and_delete(seeded: Stack) -> None:
    response = await seeded.client.post(
        "/flow/my_flow/run",
        json={"run": "r3", "args": {"project": "p", "retry_count": 1}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["metadata"]["name"] == "r3"
    await seeded.actions.next_dispatch()
    deleted = await seeded.client.delete("/flowrun/r3")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["metadata"]["name"] == "r3"
    assert (await seeded.client.get("/flowrun/r3")).status_code == 404


async def test_delete_by_name_and_uuid(seeded: Stack) -> None:
    flow = (await seeded.client.get("/flow/my_flow")).json()
    wrong = await seeded.client.delete("/flow/my_flow/not-its-uuid")
    assert wrong.status_code == 404
    assert wrong.json()["field"] == "uuid"
    right = await seeded.client.delete(f"/flow/my_flow/{flow['metadata']['uuid']}")
    assert right.status_code == 200, right.text
    assert (await seeded.client.get("/flow")).json() == []


async def test_shell_validate_apply(seeded: Stack) -> None:
    reply = (await seeded.client.post("/shell", json={"statement": "list action"})).json()
    assert reply["status"] in ("ok", "result")
    assert "ci" in reply["text"]
    bad = (await seeded.client.post("/shell", json={"statement": "frobnicate"})).json()
    assert bad["status"] == "error" and bad["rendered"].startswith("E| ")
    validation = (await seeded.client.post("/validate", json={"data": FLOW})).json()
    assert validation["statements"] == 1
    text = FLOW.replace("my_flow", "other_flow")
    replies = (await seeded.client.post("/apply", json={"data": text})).json()
    assert [r["status"] for r in replies] == ["ok"]
    assert (await seeded.client.get("/flow/other_flow")).status_code == 200


@pytest.mark.parametrize("kind", ["action", "flow", "flowrun", "step", "event"])
async def test_every_kind_lists(api: Stack, kind: str) -> None:
    response = await api.client.get(f"/{kind}")
    assert response.status_code == 200
    assert response.json() == []
