"""Action services that misbehave: every fault ends the run in the documented state, and an
event says what happened.

The engine runs in-process behind the real API on loopback with short retries
(`retry_base` 0.05 s, request timeout 0.5 s); actions declare `retry = 1`. Acks go
over HTTP to `POST /step`, as a service would send them. The engine unit tests
cover the same rules on a MemoryStore with a manual clock; here the faults are
real sockets and the store is the durable one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import wait_until
from tests.reliability.stack import Behaviour, FaultService, Stack, start_stack


@dataclass
class Rig:
    api: Stack
    service: FaultService

    async def run_one(
        self,
        behaviour: Behaviour,
        *,
        extra: str = "retry = 1;",
        edges: str = "OK->done",
        addr: str = "",
        name: str = "r",
        states: str = "OK | BAD",
    ) -> None:
        """Define action `job` served with `behaviour`, and start run `name` on it."""
        address = addr or self.service.url(behaviour, "job")
        await self.api.fsl(
            "/action",
            f'action job{name}\n addr = "{address}";\n method = http;\n'
            f" args = (int n);\n return = ({states});\n {extra}\naction_end\n",
        )
        await self.api.fsl(
            "/flowrun",
            f'flow_run {name}\n step S => ({edges}) {{ action = "job{name}"; args = (n = 1); }};\n'
            + (
                ' step T => (OK->done) { action = "tidy"; args = (n = 2); };\n'
                if "->T" in edges
                else ""
            )
            + "flow_run_end\n",
        )

    async def messages(self, run: str = "r") -> list[str]:
        return [e["spec"]["message"] for e in await self.api.events(run)]

    async def ack(self, body: dict[str, Any], state: str = "OK", **extra: Any) -> Any:
        reply = await self.api.ack(
            {
                "flowId": body["flowId"],
                "stepName": body["stepName"],
                "uuid": body["uuid"],
                "ackState": state,
                "done": True,
                **extra,
            }
        )
        return reply


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        service = await FaultService().start()
        stack.push_async_callback(service.close)
        api = await start_stack(stack, tmp_path / "data")
        # `tidy`, the step a TIMEOUT edge leads to, always answers.
        await api.fsl(
            "/action",
            f'action tidy\n addr = "{service.url("ok", "tidy")}";\n method = http;\n'
            " args = (int n);\n return = (OK);\naction_end\n",
        )
        yield Rig(api, service)


def _one(messages: list[str], needle: str) -> str:
    found = [m for m in messages if needle in m]
    assert len(found) == 1, (needle, messages)
    return found[0]


async def test_hanging_service_times_out_is_retried_then_stops_the_run(rig: Rig) -> None:
    await rig.run_one("hang")
    run = await rig.api.run_in("r", "stopped")
    assert len(rig.service.bodies("hang")) == 2  # the first try and one retry
    assert "TIMEOUT" in run["spec"]["last_err"]
    assert "did not answer within 0.5 s" in run["spec"]["last_err"]
    messages = await rig.messages()
    _one(messages, "retry 1 of 1")
    _one(messages, "step S answered TIMEOUT (dispatch failed after 1 retries")
    assert messages[-1].startswith("stopped: step S ended in TIMEOUT")
    # The hung service did get the work; its late ack changes nothing.
    late = await rig.ack(rig.service.bodies("hang")[0])
    assert late.status_code == 200 and late.json()["changed"] is False


async def test_connection_closed_mid_request_follows_the_timeout_edge(rig: Rig) -> None:
    # A step maps TIMEOUT only if its action declares it (examples/retries_and_timeouts.fsl).
    await rig.run_one("close", edges="OK->done | TIMEOUT->T", states="OK | BAD | TIMEOUT")
    await rig.service.wait_for(lambda: bool(rig.service.bodies("ok")))
    await rig.ack(rig.service.bodies("ok")[0])
    run = await rig.api.run_in("r", "done")
    assert run["spec"]["history_states"] == ["ready", "S", "T", "done"]
    messages = await rig.messages()
    failed = _one(messages, "retry 1 of 1")
    assert "close/job: " in failed
    _one(messages, "step S answered TIMEOUT")


async def test_500_answers_fall_back_to_the_next_address(rig: Rig) -> None:
    addr = f"{rig.service.url('500', 'job')},{rig.service.url('ok', 'job')}"
    await rig.run_one("500", addr=addr)
    await _sent(rig)
    messages = await rig.messages()
    # A plain dispatch has no event (dispatched_time records it); a fallback is a warning.
    warning = _one(messages, f"dispatched to {rig.service.url('ok', 'job')}")
    assert "500/job answered 500" in warning
    assert not any("failed" in m for m in messages)
    await rig.ack(rig.service.bodies("ok")[0])
    await rig.api.run_in("r", "done")


async def test_500_on_every_address_ends_in_timeout_naming_the_status(rig: Rig) -> None:
    await rig.run_one("500")
    run = await rig.api.run_in("r", "stopped")
    assert "answered 500" in run["spec"]["last_err"]
    assert len(rig.service.bodies("500")) == 2
    _one(await rig.messages(), "500/job answered 500); retry 1 of 1")


async def test_slow_answer_within_the_request_timeout_is_a_dispatch(rig: Rig) -> None:
    rig.service.slow_seconds = 0.2  # under the engine's 0.5 s request timeout
    await rig.run_one("slow")
    await rig.service.wait_for(lambda: bool(rig.service.bodies("slow")))
    body = rig.service.bodies("slow")[0]
    # Acked while the dispatch request is still open: the ack wins.
    reply = await rig.ack(body)
    assert reply.json()["changed"] is True
    run = await rig.api.run_in("r", "done")
    assert run["spec"]["history_states"] == ["ready", "S", "done"]
    attempt = (await rig.api.client.get("/step", params={"flowrun": "r"})).json()[0]
    assert attempt["spec"]["retry_count"] == 0
    assert len(rig.service.bodies("slow")) == 1


async def test_garbage_200_counts_as_sent(rig: Rig) -> None:
    await rig.run_one("garbage")
    await rig.service.wait_for(lambda: bool(rig.service.bodies("garbage")))
    attempt = await _sent(rig)
    assert attempt["spec"]["retry_count"] == 0 and attempt["spec"]["last_err"] == ""
    assert not any("failed" in m for m in await rig.messages())
    await rig.ack(rig.service.bodies("garbage")[0])
    await rig.api.run_in("r", "done")


async def test_ack_twice_is_one_transition(rig: Rig) -> None:
    await rig.run_one("ok")
    await rig.service.wait_for(lambda: bool(rig.service.bodies("ok")))
    body = rig.service.bodies("ok")[0]
    first, second = await rig.ack(body), await rig.ack(body, state="BAD")
    assert first.json()["changed"] is True
    assert second.status_code == 200 and second.json()["changed"] is False
    assert "already finished (OK)" in second.json()["message"]
    run = await rig.api.run_in("r", "done")
    assert run["spec"]["history_states"] == ["ready", "S", "done"]
    _one(await rig.messages(), "answered")


async def test_undeclared_state_is_refused_and_changes_nothing(rig: Rig) -> None:
    await rig.run_one("ok")
    await _sent(rig)
    body = rig.service.bodies("ok")[0]
    seq = rig.api.store.seq
    reply = await rig.ack(body, state="MAYBE")
    assert reply.status_code == 400
    assert reply.json()["field"] == "ackState" and "MAYBE" in reply.json()["message"]
    assert rig.api.store.seq == seq
    assert (await rig.api.client.get("/flowrun/r")).json()["spec"]["current_state"] == "S"
    await rig.ack(body)
    await rig.api.run_in("r", "done")


async def test_unknown_uuid_is_refused_and_changes_nothing(rig: Rig) -> None:
    await rig.run_one("ok")
    await _sent(rig)
    body = {**rig.service.bodies("ok")[0], "uuid": "00000000-no-such-attempt"}
    seq = rig.api.store.seq
    reply = await rig.ack(body)
    assert reply.status_code == 404
    assert reply.json()["field"] == "uuid" and "00000000-no-such-attempt" in reply.json()["message"]
    assert rig.api.store.seq == seq


async def test_ack_after_stop_changes_nothing(rig: Rig) -> None:
    await rig.run_one("ok")
    await _sent(rig)
    stopped = await rig.api.client.post("/flowrun/r/stop")
    assert stopped.status_code == 200, stopped.text
    seq = rig.api.store.seq
    reply = await rig.ack(rig.service.bodies("ok")[0])
    assert reply.status_code == 200 and reply.json()["changed"] is False
    assert rig.api.store.seq == seq
    run = (await rig.api.client.get("/flowrun/r")).json()
    assert run["spec"]["current_state"] == "stopped"
    assert (await rig.messages())[-1] == "stopped on request"


async def test_no_ack_within_the_action_timeout_ends_in_timeout(rig: Rig) -> None:
    await rig.run_one("ok", extra="retry = 1; timeout = 1;")
    run = await rig.api.run_in("r", "stopped")
    assert "no ack within 1 s" in run["spec"]["last_err"]
    _one(await rig.messages(), "step S answered TIMEOUT (no ack within 1 s)")


async def _sent(rig: Rig, run: str = "r") -> dict[str, Any]:
    """The run's first attempt once its dispatch is recorded as sent."""

    async def probe() -> dict[str, Any] | None:
        found = (await rig.api.client.get("/step", params={"flowrun": run})).json()
        return found[0] if found and found[0]["spec"]["dispatched_time"] else None

    attempt: dict[str, Any] = await wait_until(probe, 10.0, "the dispatch recorded as sent")
    return attempt
