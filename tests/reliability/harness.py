"""Real parts for the reliability proofs: an `echoer serve` process, loopback action
services, and the checks that say a flow run's stored history is consistent.

The server is a real subprocess on a fixed loopback port (so action services keep
acking to the same address across restarts) and is killed with SIGKILL, the way a
machine loses power. The consistency checks read the store directly after the
server is gone: they prove what is on disk, not what a live process says.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from echoer_tui.storage import Query, Repository, open_store

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    """`echoer serve` on a fixed loopback port, restartable on the same data dir."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    extra: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the server and return once it says it listens."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
        env.pop("ECHOER_TOKEN", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "echoer_tui",
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--listen",
                f"127.0.0.1:{self.port}",
                *self.extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        self.starts += 1
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), STARTUP)
        if b"listening on" not in line:
            _out, err = self.process.communicate(timeout=STARTUP)
            raise AssertionError(f"echoer serve did not start: {line!r} {err.decode()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self._reap()
        self.kills += 1

    def terminate(self) -> int:
        """SIGTERM and wait for the clean stop; the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process is not None else 0
        self.process.send_signal(signal.SIGTERM)
        return self._reap()

    def _reap(self) -> int:
        assert self.process is not None
        _out, err = self.process.communicate(timeout=STARTUP)
        text = err.decode(errors="replace")
        if text.strip():
            self.stderr.append(text)
        return self.process.returncode


FLOW_TEMPLATE = """flow_run {name}
    step A => (SUCCESS->B | FAIL->A) {{ action = "fast"; args = (n = {n}); }};
    step B => (SUCCESS->C | FAIL->B) {{ action = "slow"; args = (n = {n}); }};
    step C => (SUCCESS->done | FAIL->C) {{ action = "fast"; args = (n = {n}); }};
flow_run_end
"""

GRAPH: dict[str, dict[str, str]] = {
    "A": {"SUCCESS": "B", "FAIL": "A"},
    "B": {"SUCCESS": "C", "FAIL": "B"},
    "C": {"SUCCESS": "done", "FAIL": "C"},
}
"""The step graph of FLOW_TEMPLATE: step -> state -> next."""


def action_fsl(name: str, url: str, extra: str = "") -> str:
    return (
        f'action {name}\n    addr = "{url}";\n    method = http;\n'
        f"    args = (int n);\n    return = (SUCCESS | FAIL);\n{extra}action_end\n"
    )


async def post_fsl(client: httpx.AsyncClient, path: str, text: str) -> httpx.Response:
    return await client.post(path, json={"data": text})


async def wait_until(
    probe: Callable[[], Any], timeout: float, what: str, step: float = 0.05
) -> Any:
    """Poll `probe` (sync or async) until it returns something truthy, within `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while True:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(step)


@dataclass
class StoredRun:
    """One flow run as the store holds it, with its attempts and events in order."""

    run: dict[str, Any]
    attempts: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return str(self.run["metadata"]["name"])


async def read_store(data_dir: Path) -> tuple[dict[str, StoredRun], int]:
    """Open the store as a fresh process would (it must open cleanly) and read every run."""
    return await read_stored_runs(await open_store(data_dir))


async def read_stored_runs(store: Repository) -> tuple[dict[str, StoredRun], int]:
    """Every run in an opened store with its attempts and events, and the timers left.

    The store is closed afterwards: the callers open it only to read what a finished
    test left behind, whatever backend held it.
    """
    try:
        runs = await store.list(Query("flowrun"))
        steps = await store.list(Query("step"))
        events = await store.list(Query("event"))
        timers = await store.count("timer")
    finally:
        await store.close()
    by_run: dict[str, StoredRun] = {r["metadata"]["name"]: StoredRun(r, [], []) for r in runs}
    for attempt in steps:
        by_run[attempt["spec"]["flow_id"]].attempts.append(attempt)
    for item in events:
        by_run[item["metadata"]["labels"]["flowrun"]].events.append(item)
    for stored in by_run.values():
        stored.attempts.sort(key=lambda a: a["spec"]["attempt"])
        stored.events.sort(key=lambda e: e["metadata"]["name"])
    return by_run, timers


def history_problems(stored: StoredRun, graph: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Why this run's stored history is not one clean walk to `done` (empty: it is).

    - history_states is `ready`, then a path through the step graph, then `done`;
    - the attempts are numbered 1..n, one per step entered, in that order;
    - each attempt holds exactly one answer, and that answer's edge leads to the next
      attempt's step (the last one's to `done`);
    - the events record one entry and exactly one answer per attempt: no attempt was
      acked into a transition twice.
    """
    name = stored.name
    spec = stored.run["spec"]
    problems: list[str] = []
    history = list(spec["history_states"])
    if spec["current_state"] != "done":
        problems.append(f"{name}: is {spec['current_state']}, not done ({spec['last_err']})")
    if not history or history[0] != "ready" or history[-1] != "done":
        problems.append(f"{name}: history {history} does not run from ready to done")
        return problems
    walked = history[1:-1]
    steps = [a["spec"]["step_name"] for a in stored.attempts]
    if steps != walked:
        problems.append(f"{name}: attempts {steps} differ from history {walked}")
    numbers = [a["spec"]["attempt"] for a in stored.attempts]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"{name}: attempt numbers {numbers} are not 1..n")
    for index, attempt in enumerate(stored.attempts):
        step, answer = attempt["spec"]["step_name"], attempt["spec"]["response"].get("state")
        following = steps[index + 1] if index + 1 < len(steps) else "done"
        if graph.get(step, {}).get(answer or "") != following:
            problems.append(
                f"{name}: attempt {attempt['metadata']['name']} answered {answer!r}, "
                f"but the next state is {following}"
            )
    answered: dict[str, int] = {}
    entered: dict[str, int] = {}
    for item in stored.events:
        uuid, message = item["spec"]["attempt_uuid"], item["spec"]["message"]
        if message.startswith("entered step"):
            entered[uuid] = entered.get(uuid, 0) + 1
        if re.match(r"step \S+ answered ", message):
            answered[uuid] = answered.get(uuid, 0) + 1
    for attempt in stored.attempts:
        uuid = attempt["metadata"]["uuid"]
        if entered.get(uuid) != 1 or answered.get(uuid) != 1:
            problems.append(
                f"{name}: attempt {attempt['metadata']['name']} entered "
                f"{entered.get(uuid, 0)}x, answered {answered.get(uuid, 0)}x in the events"
            )
    done_events = [e for e in stored.events if e["spec"]["message"] == "done"]
    if len(done_events) != 1:
        problems.append(f"{name}: {len(done_events)} 'done' events")
    return problems
