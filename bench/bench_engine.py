"""Engine throughput and per-step latency next to the floor measured in the same run.

A step is two HTTP round trips: the dispatch POST to an action service, and the
service's ack POST back. The floor does exactly that with a bare client and servers
and no engine; the engine rows add the FSM, the store commits and the events. The
floor is measured with both HTTP clients the engine could use (aiohttp, httpx), which
is how the dispatcher's client was chosen.

Run: `.venv/bin/python -m bench.bench_engine` (bounded: well under 3 minutes).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from aiohttp import web

from echoer_tui.engine import Engine
from echoer_tui.model.resources import (
    ActionRun,
    ActionSpec,
    FlowRunSpec,
    Metadata,
    Resource,
    StepSpec,
)
from echoer_tui.storage.memory import MemoryStore
from echoer_tui.storage.repository import Query

LOADS = [(1, 200), (1, 2000), (100, 20), (1000, 5)]
"""(concurrent runs, steps per run). One run of 2,000 steps shows whether the cost of a
step grows with the run's history (it did: every commit copied the history)."""
RUN_TIMEOUT = 60.0
WARM_UP_STEPS = 100


@dataclass(frozen=True, slots=True)
class Figures:
    label: str
    runs: int
    steps: int
    seconds: float
    latencies: list[float]
    cpu: float
    """Process CPU seconds spent (steadier than wall time on a busy machine)."""

    @property
    def rate(self) -> float:
        return self.steps / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"{self.label:<16} {self.runs:>5} {self.steps:>6} {self.rate:>9.0f} "
            f"{self.pct(0.5):>8.2f} {self.pct(0.99):>8.2f} {self.cpu_per_step:>11.3f}"
        )

    @property
    def cpu_per_step(self) -> float:
        return self.cpu / self.steps * 1000 if self.steps else float("inf")


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


class ActionService:
    """Answers 200 at once, then POSTs an ack to the ack URL (like the demo services).

    The ack is the first of ackStates, except the `steps`-th dispatch of a run, which
    gets the second: a one-step loop `S => (OK->S | END->done)` then makes `steps`
    steps and ends, with a run resource as small as a real one.
    """

    def __init__(self, ack_url: str, steps: int) -> None:
        self.ack_url = ack_url
        self.steps = steps
        self._seen: dict[str, int] = {}
        self.url = ""
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> ActionService:
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        app = web.Application()
        app.router.add_post("/act", self._handle)
        self._runner, port = await _serve(app)
        self.url = f"http://127.0.0.1:{port}/act"
        return self

    async def close(self) -> None:
        assert self._runner is not None and self._client is not None
        await self._runner.cleanup()
        await self._client.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        task = asyncio.get_running_loop().create_task(self._ack(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response("")

    async def _ack(self, body: dict[str, Any]) -> None:
        assert self._client is not None
        run = body["flowId"]
        self._seen[run] = count = self._seen.get(run, 0) + 1
        state = body["ackStates"][1 if count >= self.steps else 0]
        ack = {
            "flowId": run,
            "stepName": body["stepName"],
            "ackState": state,
            "uuid": body["uuid"],
            "done": True,
        }
        async with self._client.post(self.ack_url, json=ack) as resp:
            await resp.read()


class AckReceiver:
    """POST /step handed to a callback."""

    def __init__(self, handler: Callable[[dict[str, Any]], Awaitable[object]]) -> None:
        self.handler = handler
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> AckReceiver:
        app = web.Application()
        app.router.add_post("/step", self._handle)
        self._runner, port = await _serve(app)
        self.url = f"http://127.0.0.1:{port}/step"
        return self

    async def close(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self.handler(await request.json())
        return web.json_response({})


# --- the floor: the same two round trips per step, no engine ---------------------------------
async def floor(client_name: str, runs: int, steps: int) -> Figures:
    waiters: dict[str, asyncio.Future[None]] = {}

    async def on_ack(body: dict[str, Any]) -> None:
        waiters.pop(body["uuid"]).set_result(None)

    receiver = await AckReceiver(on_ack).start()
    service = await ActionService(receiver.url, steps).start()
    post: Callable[[bytes], Awaitable[None]]
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if client_name == "aiohttp":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

        async def post(payload: bytes) -> None:
            async with session.post(service.url, data=payload, headers=headers) as resp:
                await resp.read()

        closer: Callable[[], Awaitable[None]] = session.close
    else:
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=256), timeout=RUN_TIMEOUT)

        async def post(payload: bytes) -> None:
            resp = await client.post(service.url, content=payload, headers=headers)
            resp.raise_for_status()

        closer = client.aclose
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def one_run(i: int) -> None:
        for s in range(steps):
            uuid = f"{i}.{s}"
            waiters[uuid] = acked = loop.create_future()
            t0 = time.perf_counter()
            payload = (
                b'{"n": 1, "flowId": "r%d", "stepName": "S", "ackStates": ["OK", "END"], '
                b'"uuid": "%s", "globalVariables": {}}' % (i, uuid.encode())
            )
            await post(payload)
            await acked  # the ack may come before the POST returns, as with real services
            latencies.append(time.perf_counter() - t0)

    started, cpu = time.perf_counter(), time.process_time()
    async with asyncio.timeout(RUN_TIMEOUT):
        await asyncio.gather(*(one_run(i) for i in range(runs)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await closer()
    await service.close()
    await receiver.close()
    return Figures(f"floor {client_name}", runs, runs * steps, elapsed, latencies, cpu)


# --- the engine ------------------------------------------------------------------------------
def _loop_run(name: str) -> dict[str, Any]:
    spec = StepSpec(
        flow_id="",
        flow_run_uuid="",
        step_name="S",
        action_run=ActionRun("act", {"n": 1}, {"OK": "S", "END": "done"}),
    )
    step = Resource(Metadata("S", "step"), spec).to_dict()
    return Resource(Metadata(name, "flowrun"), FlowRunSpec(steps=[step])).to_dict()


async def engine_load(runs: int, steps: int) -> tuple[Figures, int]:
    repo = MemoryStore()
    receiver = await AckReceiver(lambda body: asyncio.sleep(0)).start()
    service = await ActionService(receiver.url, steps).start()
    engine = Engine(repo, ack_url=receiver.url)
    receiver.handler = engine.ack
    await repo.put(
        Resource(
            Metadata("act", "action"),
            ActionSpec(endpoints=[service.url], params={"n": 1}, return_states=["OK", "END"]),
        ).to_dict()
    )
    await engine.start()
    names = [f"run{i:05d}" for i in range(runs)]
    for name in names:
        await repo.put(_loop_run(name))
    since = repo.seq
    finished = 0
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(engine.launch(name) for name in names))
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            async for change in repo.watch(["flowrun"], since):
                if change.resource and change.resource["spec"]["current_state"] == "done":
                    finished += 1
                    if finished == runs:
                        break
    except TimeoutError:
        pass
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Per-step latency: from entering a step to entering the next (or done), from the events.
    transitions: dict[str, list[float]] = {}
    for e in await repo.list(Query("event")):
        spec = e["spec"]
        if spec["message"].startswith("entered") or spec["message"] == "done":
            transitions.setdefault(spec["resource_name"], []).append(spec["time"])
    latencies = []
    for times in transitions.values():
        times.sort()
        latencies += [b - a for a, b in itertools.pairwise(times)]
    await engine.close()
    await service.close()
    await receiver.close()
    return Figures("engine", runs, finished * steps, elapsed, latencies, cpu), runs - finished


async def _main() -> None:
    header = ("", "runs", "steps", "steps/s", "p50 ms", "p99 ms", "cpu ms/step")
    print("{:<16} {:>5} {:>6} {:>9} {:>8} {:>8} {:>11}".format(*header))
    # Warm both sides first (lazy imports, first connections), so the first measured
    # row is not also the process's start-up.
    await floor("aiohttp", 1, WARM_UP_STEPS)
    await engine_load(1, WARM_UP_STEPS)
    for runs, steps in LOADS:
        rows = []
        # httpx is measured where it finishes in bounded time (at 1,000 runs it did not
        # finish 5,000 steps within a minute here).
        for client in ("aiohttp", "httpx") if runs <= 100 else ("aiohttp",):
            gc.collect()
            rows.append(await floor(client, runs, steps))
        gc.collect()
        figures, stalled = await engine_load(runs, steps)
        for row in [*rows, figures]:
            print(row.row(), flush=True)
        best = max(rows, key=lambda r: r.rate)
        overhead = (best.rate / figures.rate) - 1 if figures.rate else float("inf")
        print(
            f"  engine / fastest floor ({best.label}): {figures.rate / best.rate:.2f}x the "
            f"throughput, overhead {overhead:.2f}x the floor per step; "
            f"p50 {figures.pct(0.5) / best.pct(0.5):.2f}x; CPU per step "
            f"{figures.cpu_per_step / best.cpu_per_step:.2f}x; stalled runs: {stalled}",
            flush=True,
        )
        if len(rows) == 2:
            print(
                f"  aiohttp client / httpx client floor: {rows[0].rate / rows[1].rate:.2f}x "
                "the throughput",
                flush=True,
            )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
