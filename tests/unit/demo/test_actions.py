"""The demo action services alone: dispatch in, 200 out, an ack at a loopback engine stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession

from echoer_tui.demo.actions import AckScript, DemoActions, fail_like
from echoer_tui.errors import EchoerError
from tests.support.services import AckReceiver


@pytest.fixture
async def receiver() -> AsyncIterator[AckReceiver]:
    server = AckReceiver()
    await server.start()
    yield server
    await server.stop()


def dispatch_body(step: str, uuid: str, states: list[str], **args: Any) -> dict[str, Any]:
    return {
        **args,
        "flowId": "my_flow_run",
        "stepName": step,
        "ackStates": states,
        "uuid": uuid,
        "globalVariables": {"who": "test"},
    }


async def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with (
        ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_dispatch_answers_200_and_acks_the_first_state(receiver: AckReceiver) -> None:
    async with DemoActions(engine_url=receiver.url, delay=0, token="s3cret") as services:
        body = dispatch_body("A", "u-1", ["SUCCESS", "FAIL"], project="p", retry_count=10)
        status, _ = await post(services.url("ci"), body)
        assert status == 200
        (ack,) = await receiver.wait(1)
    assert ack["flowId"] == "my_flow_run"
    assert ack["stepName"] == "A"
    assert ack["uuid"] == "u-1"
    assert ack["ackState"] == "SUCCESS"
    assert ack["done"] is True
    assert ack["globalVariables"] == {"A_state": "SUCCESS"}
    assert "ci" in ack["data"]
    assert receiver.headers[0]["Authorization"] == "Bearer s3cret"
    assert services.dispatches[0].args == {"project": "p", "retry_count": 10}


async def test_script_gives_the_nth_state_and_repeats_the_last(receiver: AckReceiver) -> None:
    script = "A=FAIL,FAIL,SUCCESS;D=REJECT"
    async with DemoActions(engine_url=receiver.url, delay=0, script=script) as services:
        for n in range(4):
            await post(services.url("ci"), dispatch_body("A", f"a{n}", ["SUCCESS", "FAIL"]))
            await receiver.wait(n + 1)
        await post(services.url("approval"), dispatch_body("D", "d0", ["AGREE", "REJECT"]))
        await receiver.wait(5)
    assert [a["ackState"] for a in receiver.acks] == [
        "FAIL",
        "FAIL",
        "SUCCESS",
        "SUCCESS",
        "REJECT",
    ]


async def test_resent_dispatch_of_one_attempt_gets_the_same_answer(receiver: AckReceiver) -> None:
    async with DemoActions(engine_url=receiver.url, delay=0, script="A=FAIL,SUCCESS") as services:
        await post(services.url("ci"), dispatch_body("A", "same", ["SUCCESS", "FAIL"]))
        await receiver.wait(1)
        await post(services.url("ci"), dispatch_body("A", "same", ["SUCCESS", "FAIL"]))
        await receiver.wait(2)
    assert [a["ackState"] for a in receiver.acks] == ["FAIL", "FAIL"]


async def test_script_state_the_step_does_not_declare_falls_back(receiver: AckReceiver) -> None:
    lines: list[str] = []
    async with DemoActions(
        engine_url=receiver.url, delay=0, script="A=MAYBE", log=lines.append
    ) as services:
        await post(services.url("ci"), dispatch_body("A", "u", ["SUCCESS", "FAIL"]))
        await receiver.wait(1)
    assert receiver.acks[0]["ackState"] == "SUCCESS"
    assert any("MAYBE" in line and "SUCCESS" in line for line in lines)


async def test_fail_rate_with_a_seed_is_reproducible(receiver: AckReceiver) -> None:
    async def outcomes(seed: int) -> list[str]:
        async with DemoActions(
            engine_url=receiver.url, delay=0, fail_rate=0.5, seed=seed
        ) as services:
            for n in range(20):
                body = dispatch_body(f"S{n}", f"{seed}-{n}", ["AGREE", "REJECT", "NEXT"])
                await post(services.url("approval_2"), body)
            acks = await services.wait_for_acks(20)
        return [a.state for a in sorted(acks, key=lambda a: a.dispatch.uuid)]

    first, second = await outcomes(7), await outcomes(7)
    assert first == second
    # No FAIL declared: the failure-like state is the last one.
    assert set(first) == {"AGREE", "NEXT"}


async def test_fail_rate_one_always_picks_fail(receiver: AckReceiver) -> None:
    async with DemoActions(engine_url=receiver.url, delay=0, fail_rate=1.0) as services:
        await post(services.url("ci"), dispatch_body("A", "u", ["SUCCESS", "FAIL", "OTHER"]))
        (ack,) = await receiver.wait(1)
    assert ack["ackState"] == "FAIL"
    assert fail_like(("AGREE", "REJECT")) == "REJECT"


async def test_manual_approval_never_acks(receiver: AckReceiver) -> None:
    async with DemoActions(engine_url=receiver.url, delay=0, manual={"approval"}) as services:
        status, _ = await post(services.url("approval"), dispatch_body("D", "d", ["AGREE"]))
        assert status == 200
        # A later automatic action acks; by then the approval would have acked too.
        await post(services.url("ci"), dispatch_body("A", "a", ["SUCCESS"]))
        await receiver.wait(1)
        await services.wait_for_dispatches(2)
    assert [a["stepName"] for a in receiver.acks] == ["A"]


async def test_ack_is_retried_while_the_engine_is_unavailable() -> None:
    receiver = AckReceiver(statuses=[503, 503])
    await receiver.start()
    try:
        async with DemoActions(engine_url=receiver.url, delay=0, ack_backoff=0.01) as services:
            await post(services.url("ci"), dispatch_body("A", "u", ["SUCCESS"]))
            (ack,) = await receiver.wait(1)
            (outcome,) = await services.wait_for_acks(1)
    finally:
        await receiver.stop()
    assert ack["ackState"] == "SUCCESS"
    assert outcome.status == 200


async def test_ack_gives_up_after_bounded_attempts_when_nobody_listens() -> None:
    receiver = AckReceiver()
    await receiver.start()
    url = receiver.url
    await receiver.stop()  # nothing listens there any more
    async with DemoActions(engine_url=url, delay=0, ack_attempts=3, ack_backoff=0.01) as services:
        await post(services.url("ci"), dispatch_body("A", "u", ["SUCCESS"]))
        (outcome,) = await services.wait_for_acks(1)
    assert outcome.status is None
    assert "unreachable" in outcome.error


async def test_engine_url_set_after_start_releases_waiting_acks(receiver: AckReceiver) -> None:
    async with DemoActions(delay=0) as services:
        await post(services.url("notify"), dispatch_body("C", "c", ["SUCCESS", "FAIL"]))
        services.engine_url = receiver.url
        (ack,) = await receiver.wait(1)
    assert ack["stepName"] == "C"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([1, 2], "body"),
        ({"stepName": "A", "uuid": "u", "ackStates": ["S"]}, "flowId"),
        ({"flowId": "r", "stepName": "A", "uuid": "u", "ackStates": []}, "ackStates"),
        (
            {"flowId": "r", "stepName": "A", "uuid": "u", "ackStates": ["S"], "globalVariables": 3},
            "globalVariables",
        ),
    ],
)
async def test_malformed_dispatch_gets_400_naming_the_field(body: Any, field: str) -> None:
    async with DemoActions(engine_url="http://127.0.0.1:9", delay=0) as services:
        status, answer = await post(services.url("ci"), body)
        assert services.dispatches == []
    assert status == 400
    assert answer["field"] == field


def test_script_parse_and_errors() -> None:
    script = AckScript.parse(" A = FAIL , SUCCESS ; D=REJECT;")
    assert script.outcomes == {"A": ("FAIL", "SUCCESS"), "D": ("REJECT",)}
    assert [script.state_for("A", n) for n in (1, 2, 3)] == ["FAIL", "SUCCESS", "SUCCESS"]
    assert script.state_for("B", 1) is None
    assert str(script) == "A=FAIL,SUCCESS;D=REJECT"
    for bad in ("A", "A=", "=FAIL", "A=X;A=Y"):
        with pytest.raises(EchoerError, match="--script"):
            AckScript.parse(bad)


def test_bad_options_are_refused() -> None:
    with pytest.raises(EchoerError, match="--fail-rate"):
        DemoActions(fail_rate=1.5)
    with pytest.raises(EchoerError, match="--delay"):
        DemoActions(delay=-1)


async def test_a_taken_port_is_a_clear_error(receiver: AckReceiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    services = DemoActions(listen=f"127.0.0.1:{port}")
    with pytest.raises(EchoerError, match="cannot listen"):
        await services.start()


async def test_without_an_engine_url_the_ack_goes_where_the_dispatch_says(
    receiver: AckReceiver,
) -> None:
    async with DemoActions(delay=0) as services:
        hint = {"Echoer-Ack-Url": f"{receiver.url}/step"}
        await post(services.url("ci"), dispatch_body("A", "a", ["SUCCESS"]), hint)
        (ack,) = await receiver.wait(1)
    assert ack["uuid"] == "a"


async def test_demo_actions_command_serves_until_interrupted(receiver: AckReceiver) -> None:
    import signal
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "echoer_tui",
        "demo-actions",
        "--listen",
        "127.0.0.1:0",
        "--engine",
        receiver.url,
        "--delay",
        "0",
        "--script",
        "A=FAIL",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            first = (await process.stdout.readline()).decode()
        base = first.rsplit(" ", 1)[1].strip()
        assert base.startswith("http://127.0.0.1:")
        status, _ = await post(f"{base}/ci", dispatch_body("A", "u", ["SUCCESS", "FAIL"]))
        assert status == 200
        (ack,) = await receiver.wait(1)
        assert ack["ackState"] == "FAIL"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await process.communicate()
    assert process.returncode == 0
    assert b"Traceback" not in err
