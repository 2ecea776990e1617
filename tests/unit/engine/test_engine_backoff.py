"""Retry backoff stays bounded, and a background task that fails stops its run instead of
leaving it waiting for ever."""

from __future__ import annotations

from echoer_tui.engine.transitions import MAX_BACKOFF, retry_delay
from tests.unit.engine.builders import (
    action,
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


def test_retry_delay_doubles_then_stays_at_the_cap() -> None:
    assert [retry_delay(1.0, n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(1.0, 20) == MAX_BACKOFF
    # far past where 2**(n-1) as a float overflows
    assert retry_delay(1.0, 1025) == MAX_BACKOFF
    assert retry_delay(0.5, 100_000, cap=60.0) == 60.0
    assert retry_delay(0.0, 5000) == 0.0


async def test_a_run_with_thousands_of_retries_waits_at_most_the_cap(rig: Rig) -> None:
    rig.service.default_mode = "fail"
    await store_all(
        rig.repo,
        [
            action("job", [rig.service.url("job")], {}, ["OK"], retry=5000),
            flowrun("r", [step("S", "job", {}, {"OK": "done"})]),
        ],
    )
    await rig.engine.launch("r")
    attempt = await wait_attempt(rig.repo, "r.S.1", retried(1))
    # A long-failing attempt, as a previous process left it.
    attempt["spec"]["retry_count"] = 1499
    await rig.repo.put(attempt)
    rig.clock.advance(1.0)  # retry 1 is due: it fails and schedules retry 1500
    await wait_attempt(rig.repo, "r.S.1", retried(1500))
    sent = len(rig.service.received)
    messages = [e["spec"]["message"] for e in await events(rig.repo, "r")]
    assert any(f"retry 1500 of 5000 in {MAX_BACKOFF:g} s" in m for m in messages)

    rig.clock.advance(MAX_BACKOFF)  # retry 1500 fires at the cap and fails again
    await wait_attempt(rig.repo, "r.S.1", retried(1501))
    assert len(rig.service.received) == sent + 1
    run = await rig.repo.get("flowrun", "r")
    assert run is not None and run["spec"]["current_state"] == "S"


async def test_a_failing_dispatch_task_stops_the_run_with_the_reason(rig: Rig) -> None:
    rig.service.default_mode = "fail"
    broken = action("job", [rig.service.url("job")], {}, ["OK"])
    broken["spec"]["retry"] = "three"  # stored by hand, past any validation
    await store_all(rig.repo, [broken, flowrun("r", [step("S", "job", {}, {"OK": "done"})])])
    await rig.engine.launch("r")
    run = await wait_run(rig.repo, "r", state_is("stopped"))
    assert "the engine failed while dispatching r.S.1" in run["spec"]["last_err"]
    assert "TypeError" in run["spec"]["last_err"]
    attempt = await rig.repo.get("step", "r.S.1")
    assert attempt is not None and attempt["spec"]["finished_time"] > 0
    assert await rig.repo.count("timer") == 0
