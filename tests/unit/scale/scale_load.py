"""Several `echoer serve` processes on one PostgreSQL database, under a load of flow runs.

Why: issue 9's promise is that engines sharing a database split the work, that an ack
may reach any of them, and that a process killed mid-step loses nothing. This drives
exactly that with real parts: N `echoer serve --store postgresql://…` subprocesses,
demo action services (which fail now and then, so steps loop) whose acks go through a
loopback spreader to a random live engine, and optionally one engine SIGKILLed while
the runs are moving. Every run must end `done` with a clean history, read from the
database afterwards. Shared by the default-suite test, the slow test and
bench/bench_scale.py.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from aiohttp import web

from echoer_tui.demo.actions import DemoActions
from echoer_tui.storage.postgres import PostgresStore
from tests.reliability.harness import (
    FLOW_TEMPLATE,
    GRAPH,
    ServeProcess,
    StoredRun,
    action_fsl,
    history_problems,
    post_fsl,
    read_store,
    read_stored_runs,
    wait_until,
)

LEASE = "1.0"
"""ECHOER_CLAIM_LEASE for the engines: a killed engine's work is taken over after ~1 s."""


class AckSpreader:
    """`POST /step` on loopback, forwarded to a random live engine (the next one if down)."""

    def __init__(self, engines: Sequence[str], seed: int = 7) -> None:
        self.engines = list(engines)
        self.rng = random.Random(seed)
        self.forwarded: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> AckSpreader:
        app = web.Application()
        app.router.add_post("/step", self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        order = self.rng.sample(self.engines, len(self.engines))
        for engine in order:
            try:
                async with self._session.post(
                    f"{engine}/step", data=body, headers={"Content-Type": "application/json"}
                ) as resp:
                    text = await resp.read()
                    self.forwarded[engine] = self.forwarded.get(engine, 0) + 1
                    return web.Response(
                        body=text, status=resp.status, content_type="application/json"
                    )
            except (aiohttp.ClientError, OSError):
                continue  # that engine is down: the ack goes to another one
        return web.json_response({"message": "no engine answered"}, status=503)


@dataclass
class ScaleReport:
    engines: int
    runs: int
    killed: bool
    done: int
    problems: list[str]
    steps: int
    seconds: float
    leftover_timers: int
    acks_per_engine: dict[str, int] = field(default_factory=dict)
    refused_acks: list[str] = field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


async def read_runs(pg_url: str) -> tuple[dict[str, StoredRun], int]:
    return await read_stored_runs(await PostgresStore.open(pg_url))


async def _count_done(client: httpx.AsyncClient, servers: Sequence[ServeProcess]) -> int:
    """Runs done, as a live engine's API lists them (the embedded store is the server's alone)."""
    live = next(s for s in servers if s.process is not None and s.process.poll() is None)
    reply = await client.get(f"{live.url}/flowrun")
    return sum(1 for r in reply.json() if r["spec"]["current_state"] == "done")


async def scale_load(
    pg_url: str | None,
    work_dir: Path,
    *,
    engines: int = 3,
    runs: int = 60,
    kill: bool = True,
    fail_rate: float = 0.2,
    timeout: float = 120.0,
    seed: int = 1,
) -> ScaleReport:
    """Drive `runs` flow runs through `engines` processes on one database; the report.

    With `pg_url` None: one process on the embedded TinyDB store in `work_dir` (the
    single-process baseline).
    """
    if pg_url is None:
        servers = [ServeProcess(work_dir / "data")]
        engines = 1
    else:
        servers = [
            ServeProcess(work_dir / f"unused-{i}", extra=["--store", pg_url])
            for i in range(engines)
        ]
    spreader = await AckSpreader([s.url for s in servers], seed).start()
    actions = DemoActions(
        engine_url=spreader.url, delay=0.0, fail_rate=fail_rate, seed=seed, ack_attempts=50
    )
    await actions.start()
    rng = random.Random(seed)
    names = [f"load_{i}" for i in range(runs)]
    try:
        before = os.environ.get("ECHOER_CLAIM_LEASE")
        os.environ["ECHOER_CLAIM_LEASE"] = LEASE  # inherited by the serve processes only
        try:
            await asyncio.gather(*(s.start() for s in servers))
        finally:
            if before is None:
                del os.environ["ECHOER_CLAIM_LEASE"]
            else:
                os.environ["ECHOER_CLAIM_LEASE"] = before
        async with httpx.AsyncClient(timeout=30) as client:
            for name in ("fast", "slow"):
                reply = await post_fsl(
                    client, f"{servers[0].url}/action", action_fsl(name, actions.url(name))
                )
                assert reply.status_code < 300, reply.text
            started = time.perf_counter()
            gate = asyncio.Semaphore(20)

            async def create(i: int, name: str) -> None:
                target = servers[rng.randrange(engines)] if not kill else servers[i % engines]
                async with gate:
                    reply = await post_fsl(
                        client, f"{target.url}/flowrun", FLOW_TEMPLATE.format(name=name, n=i)
                    )
                assert reply.status_code < 300, reply.text

            await asyncio.gather(*(create(i, n) for i, n in enumerate(names)))
            if kill:
                # Mid-load: some runs are done, the rest are moving on every engine.
                async def some_done() -> bool:
                    return await _count_done(client, servers) >= runs // 3

                await wait_until(some_done, timeout, "a third of the runs to finish")
                servers[-1].kill()

            async def all_done() -> bool:
                return await _count_done(client, servers) == runs

            await wait_until(all_done, timeout, f"all {runs} runs to be done")
            seconds = time.perf_counter() - started
            if pg_url is not None:

                async def no_timers() -> bool:
                    store = await PostgresStore.open(pg_url)
                    try:
                        return await store.count("timer") == 0
                    finally:
                        await store.close()

                await wait_until(no_timers, 10.0, "the timers to be gone")
    finally:
        for server in servers:
            server.terminate()
        await actions.stop()
        await spreader.close()
    by_run, timers = await (read_runs(pg_url) if pg_url else read_store(work_dir / "data"))
    problems = [p for stored in by_run.values() for p in history_problems(stored, GRAPH)]
    refused = [
        f"{o.dispatch.flow_id}.{o.dispatch.step_name}: {o.error}"
        for o in actions.acks
        if o.status is None or o.status >= 400
    ]
    steps = sum(len(s.attempts) for s in by_run.values())
    done = sum(1 for s in by_run.values() if s.run["spec"]["current_state"] == "done")
    return ScaleReport(
        engines,
        runs,
        kill,
        done,
        problems,
        steps,
        seconds,
        timers,
        dict(spreader.forwarded),
        refused,
    )
