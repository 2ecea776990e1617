"""Load: 1,000 concurrent flow runs of 10 steps against a real `echoer serve`, acks offered
at ~2,000 per second on loopback.

The server is its own process (durable store in a temporary directory), so its
memory peak is its own (VmHWM from /proc). This process plays every action
service: it takes the dispatches and acks them through a pacer that offers at most
`--rate` acks per second (fewer only when no dispatch is waiting). Reported: acks
offered and accepted per second (overall and the slowest full second), p50/p99/max
latency of `POST /step`, dispatch-to-ack-accepted step latency, the server's peak
RSS and CPU time (per ack: the figure to compare between runs, as other work on the
machine moves it far less than throughput), and how many runs did not reach `done`
within the bound (stalled: must be 0).

Run: `.venv/bin/python -m bench.bench_load [--runs 1000 --steps 10 --rate 2000]`
(bounded: a few minutes at most).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.reliability.harness import ServeProcess, action_fsl

TICK = 0.005
SETTLE = 240.0


@dataclass
class Pacer:
    """Acks waiting dispatches at no more than `rate` per second."""

    url: str
    rate: float
    session: aiohttp.ClientSession
    waiting: collections.deque[tuple[float, dict[str, Any]]] = field(
        default_factory=collections.deque
    )
    offered: list[float] = field(default_factory=list)
    accepted: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    step_latencies: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        budget = 0.0
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            budget = min(budget + (now - last) * self.rate, self.rate * 0.05)
            last = now
            while budget >= 1 and self.waiting:
                budget -= 1
                received, body = self.waiting.popleft()
                task = asyncio.get_running_loop().create_task(self._ack(received, body))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _ack(self, received: float, body: dict[str, Any]) -> None:
        reply = {
            "flowId": body["flowId"],
            "stepName": body["stepName"],
            "ackState": "SUCCESS",
            "uuid": body["uuid"],
            "done": True,
        }
        began = time.perf_counter()
        self.offered.append(began)
        async with self.session.post(self.url, json=reply) as response:
            text = await response.text()
            status = response.status
        ended = time.perf_counter()
        if status != 200:
            self.refused.append(f"{status} {text[:200]}")
            return
        self.accepted.append(ended)
        self.latencies.append(ended - began)
        self.step_latencies.append(ended - received)


def flow_fsl(steps: int) -> str:
    lines = ["flow load"]
    for n in range(1, steps + 1):
        following = f"S{n + 1}" if n < steps else "done"
        lines.append(f'    step S{n} => (SUCCESS->{following}) {{ action = "job"; }};')
    lines.append("flow_end")
    return "\n".join(lines) + "\n"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def peak_rss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used: unlike throughput, barely moved by what
    else the machine runs, so it is the figure to compare between runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_second(stamps: list[float]) -> list[int]:
    if not stamps:
        return []
    start = min(stamps)
    buckets = collections.Counter(int(s - start) for s in stamps)
    return [buckets.get(i, 0) for i in range(max(buckets) + 1)]


async def load(runs: int, steps: int, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        server = ServeProcess(Path(directory) / "data")
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector) as session:
            pacer = Pacer(f"{server.url}/step", rate, session)

            async def dispatched(request: web.Request) -> web.Response:
                pacer.waiting.append((time.perf_counter(), await request.json()))
                return web.json_response("")

            app = web.Application()
            app.router.add_post("/job", dispatched)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            stop = asyncio.Event()
            pacing = asyncio.create_task(pacer.run(stop))
            await server.start()
            assert server.process is not None
            try:
                action = action_fsl("job", f"http://127.0.0.1:{port}/job").replace(
                    "args = (int n);", ""
                )
                for path, text in (("/action", action), ("/flow", flow_fsl(steps))):
                    async with session.post(f"{server.url}{path}", json={"data": text}) as r:
                        assert r.status == 200, await r.text()
                began = time.perf_counter()
                cpu_began = cpu_seconds(server.process.pid)
                gate = asyncio.Semaphore(64)

                async def create(n: int) -> None:
                    async with (
                        gate,
                        session.post(
                            f"{server.url}/flow/load/run", json={"run": f"load{n:05d}"}
                        ) as r,
                    ):
                        assert r.status == 200, await r.text()

                await asyncio.gather(*(create(n) for n in range(runs)))
                created = time.perf_counter() - began
                expected = runs * steps
                deadline = time.perf_counter() + SETTLE
                while len(pacer.accepted) + len(pacer.refused) < expected:
                    if time.perf_counter() > deadline:
                        break
                    await asyncio.sleep(0.1)
                elapsed = time.perf_counter() - began
                async with session.get(f"{server.url}/flowrun") as r:
                    states = collections.Counter(
                        item["spec"]["current_state"] for item in await r.json()
                    )
                server_peak = peak_rss_mb(server.process.pid)
                server_cpu = cpu_seconds(server.process.pid) - cpu_began
            finally:
                stop.set()
                await pacing
                server.terminate()
                await runner.cleanup()
    offered_s = per_second(pacer.offered)
    accepted_s = per_second(pacer.accepted)
    steady = accepted_s[1:-1] or accepted_s
    return {
        "runs": runs,
        "steps": steps,
        "rate": rate,
        "created_s": created,
        "elapsed_s": elapsed,
        "acks": len(pacer.accepted),
        "refused": pacer.refused[:5],
        "offered_per_s": len(pacer.offered) / max(1e-9, pacer.offered[-1] - pacer.offered[0])
        if len(pacer.offered) > 1
        else 0.0,
        "accepted_per_s": len(pacer.accepted) / max(1e-9, pacer.accepted[-1] - pacer.accepted[0])
        if len(pacer.accepted) > 1
        else 0.0,
        "peak_offered_s": max(offered_s, default=0),
        "slowest_second": min(steady, default=0),
        "median_second": statistics.median(steady) if steady else 0,
        "p50_ms": percentile(pacer.latencies, 0.50) * 1000,
        "p99_ms": percentile(pacer.latencies, 0.99) * 1000,
        "max_ms": max(pacer.latencies, default=0) * 1000,
        "step_p99_ms": percentile(pacer.step_latencies, 0.99) * 1000,
        "done": states.get("done", 0),
        "stalled": runs - states.get("done", 0),
        "states": dict(states),
        "server_peak_mb": server_peak,
        "server_cpu_s": server_cpu,
        "client_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_load")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rate", type=float, default=2000.0)
    options = parser.parse_args(argv if argv is not None else [])
    figures = asyncio.run(load(options.runs, options.steps, options.rate))
    f = figures
    print("| load figure | value |")
    print("|---|---|")
    print(f"| flow runs x steps | {f['runs']} x {f['steps']} ({f['runs'] * f['steps']} acks) |")
    print(f"| runs created in | {f['created_s']:.1f} s |")
    print(
        f"| acks offered (target {f['rate']:.0f}/s) | {f['offered_per_s']:.0f}/s overall, "
        f"peak second {f['peak_offered_s']} |"
    )
    print(
        f"| acks accepted | {f['acks']} at {f['accepted_per_s']:.0f}/s overall; median second "
        f"{f['median_second']:.0f}, slowest full second {f['slowest_second']} |"
    )
    print(
        f"| POST /step latency | p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
        f"max {f['max_ms']:.1f} ms |"
    )
    print(f"| dispatch received -> ack accepted, p99 | {f['step_p99_ms']:.0f} ms |")
    print(f"| all done in | {f['elapsed_s']:.1f} s |")
    print(f"| runs stalled | {f['stalled']} (states {f['states']}) |")
    print(
        f"| server CPU, creating and running | {f['server_cpu_s']:.1f} s, "
        f"{f['server_cpu_s'] * 1e6 / max(1, f['acks']):.0f} µs per ack |"
    )
    print(f"| server peak RSS (VmHWM) | {f['server_peak_mb']:.0f} MB |")
    print(f"| load generator peak RSS | {f['client_peak_mb']:.0f} MB |")
    if f["refused"]:
        print(f"  ! refused acks: {f['refused']}")
    if f["stalled"] or f["refused"]:
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    import sys

    main(sys.argv[1:])
