"""Flow runs driven end to end against real loopback action services."""

from __future__ import annotations

import pytest

from echoer_tui.errors import AckError, InvalidOperationError, NotFoundError
from tests.unit.engine.builders import (
    action,
    attempts,
    dispatched,
    events,
    flowrun,
    readme_actions,
    readme_run,
    retried,
    state_is,
    step,
    store_all,
    wait_attempt,
    wait_run,
)
from tests.unit.engine.conftest import Rig


async def test_readme_flow_run_reaches_done(rig: Rig) -> None:
    await store_all(rig.repo, [*readme_actions(rig.service.url("").rstrip("/")), readme_run()])
    await rig.engine.launch("my_flow_run")
    run = await wait_run(rig.repo, "my_flow_run", state_is("done"))

    assert run["spec"]["history_states"] == ["ready", "A", "D", "B", "C", "done"]
    assert run["spec"]["last_state"] == "C"
    assert run["spec"]["last_event"] == "SUCCESS"
    assert run["spec"]["current_attempt"] == ""
    assert run["spec"]["last_err"] == ""

    tried = await attempts(rig.repo, "my_flow_run")
    assert [a["metadata"]["name"] for a in tried] == [
        "my_flow_run.A.1",
        "my_flow_run.D.2",
        "my_flow_run.B.3",
        "my_flow_run.C.4",
    ]
    assert [a["spec"]["response"]["state"] for a in tried] == [
        "SUCCESS",
        "AGREE",
        "SUCCESS",
        "SUCCESS",
    ]
    assert all(a["spec"]["action_run"]["done"] for a in tried)
    assert len({a["metadata"]["uuid"] for a in tried}) == 4

    log = await events(rig.repo, "my_flow_run")
    messages = [e["spec"]["message"] for e in log]
    assert messages[0] == "started"
    assert messages[-1] == "done"
    entered = [e["spec"]["state"] for e in log if e["spec"]["message"].startswith("entered")]
    assert entered == ["A", "D", "B", "C"]
    answered = [
        (e["spec"]["step_name"], e["spec"]["state"])
        for e in log
        if " answered " in e["spec"]["message"]
    ]
    assert answered == [("A", "SUCCESS"), ("D", "AGREE"), ("B", "SUCCESS"), ("C", "SUCCESS")]


async def test_dispatch_body_is_the_original_wire_format(rig: Rig) -> None:
    await store_all(rig.repo, [*readme_actions(rig.service.url("").rstrip("/")), readme_run()])
    await rig.engine.launch("my_flow_run")
    await wait_run(rig.repo, "my_flow_run", state_is("done"))

    body = rig.service.bodies("ci")[0]
    first = (await attempts(rig.repo, "my_flow_run"))[0]
    assert body == {
        "project": "https://github.com/yametech/compass.git",
        "version": "v0.1.0",
        "retry_count": 10,
        "flowId": "my_flow_run",
        "stepName": "A",
        "ackStates": ["SUCCESS", "FAIL"],
        "uuid": first["metadata"]["uuid"],
        "globalVariables": {},
    }
    assert rig.service.bodies("approval")[0]["version"] == 12343  # an int arg stays a number
    assert all(status == 200 for status, _ in rig.service.acks)


async def test_ack_before_the_dispatch_returns_wins(rig: Rig) -> None:
    for path in ("ci", "approval", "deploy", "notify"):
        rig.service.modes[path] = "ack_first"
    await store_all(rig.repo, [*readme_actions(rig.service.url("").rstrip("/")), readme_run()])
    await rig.engine.launch("my_flow_run")
    run = await wait_run(rig.repo, "my_flow_run", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "A", "D", "B", "C", "done"]
    # Each step was dispatched once: the late dispatch completion only counts as "sent".
    assert [p for p, _ in rig.service.received] == ["ci", "approval", "deploy", "notify"]
    for attempt in await attempts(rig.repo, "my_flow_run"):
        sent = await wait_attempt(rig.repo, attempt["metadata"]["name"], dispatched)
        assert sent["spec"]["dispatched_time"] <= sent["spec"]["acked_time"]


def one_step_run(
    service_url: str,
    *,
    returns: dict[str, str] | None = None,
    retry: int = 3,
    timeout: int = 0,
    name: str = "r",
) -> list[dict[str, object]]:
    return [
        action("job", [service_url], {"n": 1}, ["OK", "BAD"], retry=retry, timeout=timeout),
        flowrun(
            name, [step("S", "job", {"n": 7}, returns if returns is not None else {"OK": "done"})]
        ),
    ]


async def test_globals_from_acks_merge_and_reach_later_steps(rig: Rig) -> None:
    base = rig.service.url("").rstrip("/")
    rig.service.ack_globals["ci"] = {"commit": "abc123", "shared": 1}
    rig.service.ack_globals["approval"] = {"approver": "kim", "shared": 2}
    await store_all(rig.repo, [*readme_actions(base), readme_run()])
    await rig.engine.launch("my_flow_run")
    run = await wait_run(rig.repo, "my_flow_run", state_is("done"))

    assert run["spec"]["global_variable"] == {"commit": "abc123", "approver": "kim", "shared": 2}
    assert rig.service.bodies("ci")[0]["globalVariables"] == {}
    assert rig.service.bodies("approval")[0]["globalVariables"] == {"commit": "abc123", "shared": 1}
    assert rig.service.bodies("notify")[0]["globalVariables"] == run["spec"]["global_variable"]


async def test_progress_duplicate_late_unknown_and_undeclared_acks(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    uuid = rig.service.received[0][1]["uuid"]

    with pytest.raises(NotFoundError) as unknown:
        await rig.engine.ack({"uuid": "nope", "ackState": "OK", "done": True})
    assert unknown.value.field == "uuid"
    with pytest.raises(AckError) as undeclared:
        await rig.engine.ack({"uuid": uuid, "ackState": "MAYBE", "done": True})
    assert undeclared.value.field == "ackState"
    assert "OK, BAD" in undeclared.value.message
    for bad, fieldname in [
        ({"uuid": uuid, "ackState": "OK", "done": "yes"}, "done"),
        ({"uuid": 5}, "uuid"),
        ([1, 2], "body"),
        ({"uuid": uuid, "ackState": "OK", "globalVariables": [1]}, "globalVariables"),
        ({"uuid": uuid, "ackState": "OK", "flowId": "other"}, "flowId"),
    ]:
        with pytest.raises(AckError) as malformed:
            await rig.engine.ack(bad)  # type: ignore[arg-type]
        assert malformed.value.field == fieldname
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "S"

    # Without `done` an ack is progress, as in the original (Go's zero value).
    assert (await rig.engine.ack({"uuid": uuid, "ackState": "OK"}))["changed"] is True
    progress = await rig.engine.ack(
        {"uuid": uuid, "ackState": "OK", "done": False, "data": "50%", "globalVariables": {"p": 50}}
    )
    assert progress["changed"] is True
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "S"
    assert run["spec"]["global_variable"] == {"p": 50}

    final = await rig.engine.ack({"uuid": uuid, "ackState": "OK", "done": True, "data": "all"})
    assert final["state"] == "done"
    before = await rig.repo.get("flowrun", "r")
    duplicate = await rig.engine.ack({"uuid": uuid, "ackState": "BAD", "done": True})
    assert duplicate["changed"] is False and "already finished" in duplicate["message"]
    assert await rig.repo.get("flowrun", "r") == before
    (attempt,) = await attempts(rig.repo, "r")
    assert attempt["spec"]["response"]["state"] == "OK"
    assert attempt["spec"]["data"] == "all"


async def test_ack_over_http_gets_json_errors(rig: Rig) -> None:
    import aiohttp

    body = {"uuid": "x", "ackState": "OK"}
    async with aiohttp.ClientSession() as client, client.post(rig.receiver.url, json=body) as resp:
        assert resp.status == 404
        assert (await resp.json())["field"] == "uuid"


async def test_unmapped_declared_state_stops_the_run(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    await rig.engine.manual_ack("r", "S", "BAD")
    run = await wait_run(rig.repo, "r", state_is("stopped"))
    assert "step S answered BAD, which the step does not map" in run["spec"]["last_err"]
    assert run["spec"]["history_states"] == ["ready", "S", "stopped"]


async def test_pause_holds_an_ack_and_continue_follows_it(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    uuid = rig.service.received[0][1]["uuid"]

    paused = await rig.engine.pause("r")
    assert paused["spec"]["current_state"] == "suspend"
    with pytest.raises(InvalidOperationError, match="already paused"):
        await rig.engine.pause("r")
    reply = await rig.engine.ack({"uuid": uuid, "ackState": "OK", "done": True})
    assert reply["state"] == "suspend"
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "suspend"

    resumed = await rig.engine.resume("r")
    assert resumed["spec"]["current_state"] == "done"
    assert resumed["spec"]["history_states"] == ["ready", "S", "suspend", "done"]
    with pytest.raises(InvalidOperationError, match="not paused"):
        await rig.engine.resume("r")


async def test_pause_before_dispatch_holds_it_until_continue(rig: Rig) -> None:
    rig.service.default_mode = "fail"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    await wait_attempt(rig.repo, "r.S.1", retried(1))  # the retry is queued
    await rig.engine.pause("r")
    rig.service.default_mode = "ack_after"
    rig.clock.advance(60)  # the retry falls due while paused: nothing is dispatched
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "suspend"
    await rig.engine.resume("r")
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "S", "suspend", "S", "done"]
    assert len(rig.service.received) == 2


async def test_stop_ends_the_run_and_late_acks_change_nothing(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    uuid = rig.service.received[0][1]["uuid"]
    stopped = await rig.engine.stop("r")
    assert stopped["spec"]["current_state"] == "stopped"
    late = await rig.engine.ack({"uuid": uuid, "ackState": "OK", "done": True})
    assert late["changed"] is False
    for operation in (rig.engine.stop, rig.engine.pause, rig.engine.resume):
        with pytest.raises(InvalidOperationError):
            await operation("r")
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "stopped"


async def test_rerun_from_a_step_makes_a_new_attempt(rig: Rig) -> None:
    base = rig.service.url("").rstrip("/")
    await store_all(rig.repo, [*readme_actions(base), readme_run()])
    await rig.engine.launch("my_flow_run")
    await wait_run(rig.repo, "my_flow_run", state_is("done"))
    with pytest.raises(InvalidOperationError, match="already started"):
        await rig.engine.launch("my_flow_run")
    with pytest.raises(NotFoundError):
        await rig.engine.rerun("my_flow_run", "Z")

    await rig.engine.rerun("my_flow_run", "B")
    run = await wait_run(
        rig.repo,
        "my_flow_run",
        lambda r: r["spec"]["current_state"] == "done" and len(r["spec"]["history_states"]) > 6,
    )
    assert run["spec"]["history_states"] == ["ready", "A", "D", "B", "C", "done", "B", "C", "done"]
    names = [a["metadata"]["name"] for a in await attempts(rig.repo, "my_flow_run")]
    assert names[-2:] == ["my_flow_run.B.5", "my_flow_run.C.6"]
    entered = sorted(
        (e["metadata"]["name"], e["spec"]["message"])
        for e in await events(rig.repo, "my_flow_run")
        if e["spec"]["message"].startswith("entered step B")
    )
    # tries count per step; the run-wide number names the attempt resource
    assert [m for _, m in entered] == [
        "entered step B (try 1, run attempt #3)",
        "entered step B (try 2, run attempt #5)",
    ]


async def test_rerun_is_refused_while_the_run_is_running(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    with pytest.raises(InvalidOperationError, match="only a stopped or done run"):
        await rig.engine.rerun("r", "S")


async def test_delete_run_removes_attempts_events_and_timers(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, one_step_run(rig.service.url("job"), timeout=30))
    await rig.engine.launch("r")
    await wait_attempt(rig.repo, "r.S.1", dispatched)
    assert await rig.repo.count("timer") == 1
    await rig.engine.delete_run("r")
    for kind in ("flowrun", "step", "event", "timer"):
        assert await rig.repo.count(kind) == 0
    with pytest.raises(NotFoundError):
        await rig.engine.delete_run("r")
    rig.clock.advance(60)  # the deleted deadline must not fire into a missing run
    assert await rig.repo.count("event") == 0


async def test_a_dispatch_in_flight_is_never_sent_twice(rig: Rig) -> None:
    rig.service.default_mode = "hold"
    await store_all(rig.repo, one_step_run(rig.service.url("job")))
    await rig.engine.launch("r")
    await rig.service.wait_for(lambda: len(rig.service.received) == 1)
    await rig.engine.pause("r")
    resumed = await rig.engine.resume("r")  # the POST is still open: continue must not resend
    assert resumed["spec"]["current_state"] == "S"
    rig.service.release.set()
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "S", "suspend", "S", "done"]
    assert len(rig.service.received) == 1


async def test_addresses_are_tried_in_order_until_one_answers(rig: Rig) -> None:
    from tests.unit.engine.loopback import free_port

    rig.service.default_mode = "silent"
    down = f"http://127.0.0.1:{free_port()}/job"
    await store_all(rig.repo, one_step_run(f"{down},{rig.service.url('job')}"))
    await rig.engine.launch("r")
    attempt = await wait_attempt(rig.repo, "r.S.1", dispatched)
    assert attempt["spec"]["retry_count"] == 0
    assert len(rig.service.received) == 1
    (warning,) = [
        e["spec"]["message"]
        for e in await events(rig.repo, "r")
        if e["spec"]["event_type"] == "warning"
    ]
    assert f"dispatched to {rig.service.url('job')}" in warning and "cannot connect" in warning
