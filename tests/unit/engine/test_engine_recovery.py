"""Recovery: an engine process killed with SIGKILL mid-run; a new engine resumes every run."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.storage import open_store
from tests.unit.engine.builders import attempts, state_is, wait_run
from tests.unit.engine.loopback import AckReceiver, ActionService, free_port

ROOT = Path(__file__).resolve().parents[3]


async def _read_until(proc: asyncio.subprocess.Process, wanted: str, seen: list[str]) -> str:
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise AssertionError(f"the engine process ended before {wanted!r}; saw {seen}")
        seen.append(line.strip())
        if line.startswith(wanted):
            return line.strip()


async def test_runs_resume_after_the_engine_is_killed(tmp_path: Path) -> None:
    service = await ActionService(modes={"slow": "silent"}).start()  # acks to Echoer-Ack-Url
    down_port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.unit.engine.crash_child",
        str(tmp_path / "data"),
        service.url("").rstrip("/"),
        f"http://127.0.0.1:{down_port}/later",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seen: list[str] = []
    try:
        async with asyncio.timeout(20):
            await _read_until(proc, "ack-url", seen)
            await service.wait_for(lambda: bool(service.bodies("slow")))  # the run waits on B
            await _read_until(proc, "put timer retrying.S.1.retry.1", seen)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    b_uuid = service.bodies("slow")[0]["uuid"]

    store = await open_store(tmp_path / "data")
    receiver = await AckReceiver(_never).start()
    clock = ManualClock()
    engine = Engine(store, ack_url=receiver.url, clock=clock, retry_base=3600.0)
    receiver.handler = engine.ack
    late = await ActionService().start(down_port)  # the service that was down comes up
    try:
        await engine.start()
        crash = await store.get("flowrun", "crash")
        assert crash is not None and crash["spec"]["current_state"] == "B"

        # The waiting step still accepts its ack after the restart.
        reply = await engine.ack(
            {"flowId": "crash", "stepName": "B", "ackState": "OK", "uuid": b_uuid, "done": True}
        )
        assert reply["changed"] is True
        crash = await wait_run(store, "crash", state_is("done"))
        assert crash["spec"]["history_states"] == ["ready", "A", "B", "C", "done"]
        assert [a["metadata"]["name"] for a in await attempts(store, "crash")] == [
            "crash.A.1",
            "crash.B.2",
            "crash.C.3",
        ]

        # The persisted retry fires once due, and reaches the service now up.
        clock.advance(3600 * 2)
        retrying = await wait_run(store, "retrying", state_is("done"))
        assert retrying["spec"]["history_states"] == ["ready", "S", "done"]
        assert len(late.received) == 1
        assert await store.count("timer") == 0
    finally:
        await engine.close()
        await receiver.close()
        await late.close()
        await service.close()
        await store.close()


async def _never(body: object) -> dict[str, object]:
    raise AssertionError("the engine is not wired yet")
