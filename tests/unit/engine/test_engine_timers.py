"""Dispatch retries with backoff, TIMEOUT edges and ack deadlines, on a ManualClock."""

from __future__ import annotations

from echoer_tui.model.resources import TIMEOUT
from tests.unit.engine.builders import (
    action,
    dispatched,
    events,
    flowrun,
    retried,
    state_is,
    step,
    store_all,
    wait_attempt,
    wait_run,
)
from tests.unit.engine.conftest import Rig
from tests.unit.engine.loopback import ActionService, free_port


def job_run(
    url: str, returns: dict[str, str], *, retry: int = 3, timeout: int = 0, fallback: str = ""
) -> list[dict[str, object]]:
    steps = [step("S", "job", {"n": 1}, returns)]
    if fallback:
        steps.append(step("F", "cleanup", {}, {"OK": "done"}))
    return [
        action("job", [url], {"n": 1}, ["OK", "BAD"], retry=retry, timeout=timeout),
        action("cleanup", [fallback or url], {}, ["OK"]),
        flowrun("r", steps),
    ]


async def test_retries_reach_a_service_that_comes_up(rig: Rig) -> None:
    port = free_port()  # nothing listens here yet
    await store_all(rig.repo, job_run(f"http://127.0.0.1:{port}/job", {"OK": "done"}))
    await rig.engine.launch("r")
    attempt = await wait_attempt(rig.repo, "r.S.1", retried(1))
    # The attempt says when its next try is due (the graph's countdown reads it).
    assert attempt["spec"]["next_try_time"] == rig.clock.now() + 1.0
    rig.clock.advance(1.0)  # retry 1 (after retry_base * 2**0) fails too
    attempt = await wait_attempt(rig.repo, "r.S.1", retried(2))
    assert "cannot connect" in attempt["spec"]["last_err"]
    assert attempt["spec"]["next_try_time"] == rig.clock.now() + 2.0

    late_service = await ActionService(ack_url=rig.receiver.url).start(port)
    try:
        rig.clock.advance(1.9)  # retry 2 is due only after 2 s
        run = await rig.repo.get("flowrun", "r")
        assert run is not None and run["spec"]["current_state"] == "S"
        rig.clock.advance(0.1)
        run = await wait_run(rig.repo, "r", state_is("done"))
    finally:
        await late_service.close()
    assert run["spec"]["history_states"] == ["ready", "S", "done"]
    assert len(late_service.received) == 1
    sent = await rig.repo.get("step", "r.S.1")
    assert sent is not None and sent["spec"]["next_try_time"] == 0.0
    warnings = [
        e["spec"]["message"]
        for e in await events(rig.repo, "r")
        if e["spec"]["event_type"] == "warning"
    ]
    assert len(warnings) == 2 and "retry 2 of 3 in 2 s" in warnings[1]


async def test_timeout_after_retries_run_out_stops_the_run(rig: Rig) -> None:
    rig.service.default_mode = "fail"
    await store_all(rig.repo, job_run(rig.service.url("job"), {"OK": "done"}, retry=2))
    await rig.engine.launch("r")
    for n, delay in [(1, 1.0), (2, 2.0)]:
        await wait_attempt(rig.repo, "r.S.1", retried(n))
        rig.clock.advance(delay)
    run = await wait_run(rig.repo, "r", state_is("stopped"))
    assert len(rig.service.received) == 3  # the first try and 2 retries
    assert "TIMEOUT" in run["spec"]["last_err"]
    assert "dispatch failed after 2 retries" in run["spec"]["last_err"]
    assert "503" in run["spec"]["last_err"]
    attempt = await rig.repo.get("step", "r.S.1")
    assert attempt is not None and attempt["spec"]["response"]["state"] == TIMEOUT
    assert attempt["spec"]["next_try_time"] == 0.0  # no try is coming
    assert await rig.repo.count("timer") == 0


async def test_timeout_edge_is_followed(rig: Rig) -> None:
    rig.service.modes["job"] = "fail"
    await store_all(
        rig.repo,
        job_run(
            rig.service.url("job"),
            {"OK": "done", "TIMEOUT": "F"},
            retry=0,
            fallback=rig.service.url("cleanup"),
        ),
    )
    await rig.engine.launch("r")
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "S", "F", "done"]
    assert [p for p, _ in rig.service.received] == ["job", "cleanup"]


async def test_ack_deadline_ends_the_step_in_timeout(rig: Rig) -> None:
    rig.service.default_mode = "silent"
    await store_all(rig.repo, job_run(rig.service.url("job"), {"OK": "done"}, timeout=30))
    await rig.engine.launch("r")
    await wait_attempt(rig.repo, "r.S.1", dispatched)
    assert await rig.repo.count("timer") == 1
    rig.clock.advance(29)
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "S"
    rig.clock.advance(1)
    run = await wait_run(rig.repo, "r", state_is("stopped"))
    assert "no ack within 30 s" in run["spec"]["last_err"]
    assert await rig.repo.count("timer") == 0
    late = await rig.engine.ack(
        {"uuid": rig.service.received[0][1]["uuid"], "ackState": "OK", "done": True}
    )
    assert late["changed"] is False


async def test_ack_deadline_follows_a_timeout_edge(rig: Rig) -> None:
    rig.service.modes["job"] = "silent"
    await store_all(
        rig.repo,
        job_run(
            rig.service.url("job"),
            {"OK": "done", "TIMEOUT": "F"},
            timeout=5,
            fallback=rig.service.url("cleanup"),
        ),
    )
    await rig.engine.launch("r")
    await wait_attempt(rig.repo, "r.S.1", dispatched)
    rig.clock.advance(5)
    run = await wait_run(rig.repo, "r", state_is("done"))
    assert run["spec"]["history_states"] == ["ready", "S", "F", "done"]


async def test_an_ack_cancels_its_deadline(rig: Rig) -> None:
    await store_all(rig.repo, job_run(rig.service.url("job"), {"OK": "done"}, timeout=5))
    await rig.engine.launch("r")
    await wait_run(rig.repo, "r", state_is("done"))
    assert await rig.repo.count("timer") == 0
    rig.clock.advance(10)
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["history_states"] == ["ready", "S", "done"]
