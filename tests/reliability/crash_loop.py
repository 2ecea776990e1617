"""The crash loop: flow runs driven by a real `echoer serve` that is SIGKILLed again and again.

Runs are created in waves while the server lives; at a random moment it is killed
and restarted on the same data directory. Action services (DemoActions, in this
process) ack at once or after a short delay, answer FAIL now and then (so steps
loop), and keep re-sending an ack while the server is down, as a reliable service
would. At the end every run must be `done` with a clean history, read from the
store by a fresh opener after one last SIGKILL. Shared by the default-suite test
and the long version in bench/bench_reliability.py.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from echoer_tui.demo.actions import DemoActions
from tests.reliability.harness import (
    FLOW_TEMPLATE,
    GRAPH,
    ServeProcess,
    action_fsl,
    history_problems,
    post_fsl,
    read_store,
    wait_until,
)

FAIL_RATE = 0.2
ACK_ATTEMPTS = 200
"""Enough re-sends (backoff capped at 2 s) to outlast every restart of the loop."""


@dataclass
class CrashReport:
    runs: int
    kills: int
    restarts: int
    created: int
    done: int
    lost: list[str]
    problems: list[str]
    attempts: int
    duplicate_dispatches: int
    """Dispatches a service received again for the same attempt (at-least-once delivery)."""
    refused_acks: list[str] = field(default_factory=list)
    """Acks the server refused with 4xx (a valid ack must never be refused)."""
    leftover_timers: int = 0
    seconds: float = 0.0
    server_errors: list[str] = field(default_factory=list)


async def _create(client: httpx.AsyncClient, name: str, n: int) -> bool:
    """Create one run; True once the server holds it (409: an earlier try got through)."""
    try:
        response = await post_fsl(client, "/flowrun", FLOW_TEMPLATE.format(name=name, n=n))
    except httpx.HTTPError:
        return False
    if response.status_code == 200:
        return True
    if response.status_code in (400, 409) and "already exists" in response.text:
        return True  # translation refuses a taken name with 400, the store with 409
    if response.status_code >= 500:
        return False
    raise AssertionError(f"creating {name}: {response.status_code} {response.text}")


async def _create_all(client: httpx.AsyncClient, names: list[str], confirmed: set[str]) -> None:
    for index, name in enumerate(names):
        if name not in confirmed and await _create(client, name, index):
            confirmed.add(name)


async def _all_done(client: httpx.AsyncClient, names: set[str]) -> bool:
    try:
        response = await client.get("/flowrun")
    except httpx.HTTPError:
        return False
    states = {r["metadata"]["name"]: r["spec"]["current_state"] for r in response.json()}
    return all(states.get(name) == "done" for name in names)


async def crash_loop(
    data_dir: Path, *, runs: int, kills: int, seed: int = 1, settle: float = 120.0
) -> CrashReport:
    rng = random.Random(seed)
    began = time.perf_counter()
    server = ServeProcess(data_dir)
    services = [
        DemoActions(
            engine_url=server.url,
            delay=delay,
            fail_rate=FAIL_RATE,
            seed=seed + i,
            ack_attempts=ACK_ATTEMPTS,
            ack_backoff=0.05,
        )
        for i, delay in enumerate((0.0, 0.1))
    ]
    for service in services:
        await service.start()
    names = [f"run{i:04d}" for i in range(runs)]
    waves = [names[i::kills] for i in range(kills)] if kills else [names]
    confirmed: set[str] = set()
    try:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for action, service in (("fast", services[0]), ("slow", services[1])):
                reply = await post_fsl(client, "/action", action_fsl(action, service.url(action)))
                assert reply.status_code == 200, reply.text
            for wave in waves[:kills]:
                creating = asyncio.create_task(_create_all(client, wave, confirmed))
                # The kill lands at a random moment: during creation, dispatch or acks.
                await asyncio.sleep(rng.uniform(0.05, 0.8))
                server.kill()
                await asyncio.gather(creating, return_exceptions=True)
                await server.start()
            await _create_all(client, names, confirmed)  # whatever a kill cut short
            await wait_until(lambda: _all_done(client, set(names)), settle, "every run done")
        server.kill()  # the final check reads what a SIGKILL leaves on disk
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
        for service in services:
            await service.stop()

    stored, timers = await read_store(data_dir)
    problems = [p for run in stored.values() for p in history_problems(run, GRAPH)]
    lost = sorted(
        n for n in confirmed if n not in stored or stored[n].run["spec"]["current_state"] != "done"
    )
    seen: dict[str, int] = {}
    for service in services:
        for dispatch in service.dispatches:
            seen[dispatch.uuid] = seen.get(dispatch.uuid, 0) + 1
    refused = [
        f"{a.dispatch.flow_id}.{a.dispatch.step_name} {a.state}: {a.error}"
        for service in services
        for a in service.acks
        if a.status is not None and 400 <= a.status < 500
    ]
    return CrashReport(
        runs=runs,
        kills=server.kills - 1,
        restarts=server.starts - 1,
        created=len(confirmed),
        done=sum(1 for r in stored.values() if r.run["spec"]["current_state"] == "done"),
        lost=lost,
        problems=problems,
        attempts=sum(len(r.attempts) for r in stored.values()),
        duplicate_dispatches=sum(count - 1 for count in seen.values()),
        refused_acks=refused,
        leftover_timers=timers,
        seconds=time.perf_counter() - began,
        server_errors=[e for e in server.stderr if "Traceback" in e or "ERROR" in e],
    )
