"""kill -9 at random moments: the store always opens and holds every acknowledged write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from echoer_tui.storage import Query, open_store

WRITER = Path(__file__).with_name("crash_writer.py")
WRITERS = 4
KILLS = 24


def run_and_kill(data_dir: Path, acks_before_kill: int, acked: dict[str, int]) -> None:
    """Start the writer, SIGKILL it after some acks, record every ack it printed."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(data_dir), str(WRITERS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    try:
        opened = child.stdout.readline()
        assert opened.startswith(b"open "), child.stderr.read() if child.stderr else b""
        seen = 0
        while seen < acks_before_kill:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else b""
            record(line, acked)
            seen += 1
    finally:
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
    for line in rest.splitlines(keepends=True):
        record(line, acked)  # printed before the kill: acknowledged too
    assert child.returncode == -signal.SIGKILL


def record(line: bytes, acked: dict[str, int]) -> None:
    if line.endswith(b"\n"):
        _, name, counter = line.split()
        acked[name.decode()] = max(acked.get(name.decode(), 0), int(counter))


async def assert_holds(data_dir: Path, acked: dict[str, int]) -> None:
    store = await open_store(data_dir)
    try:
        runs = {r["metadata"]["name"]: r for r in await store.list(Query("flowrun"))}
        events = {r["metadata"]["name"]: r for r in await store.list(Query("event"))}
        timers = {r["metadata"]["name"] for r in await store.list(Query("timer"))}
        for name, counter in acked.items():
            have = runs[name]["spec"]["counter"]
            assert have >= counter, f"{name}: acknowledged {counter}, found {have}"
            # One commit moved all three: they agree whatever instant the kill hit.
            assert events[name]["spec"]["counter"] == have
            assert runs[name]["metadata"]["version"] == have
            assert f"{name}-{have}" in timers
        assert len(timers) == len(runs)
    finally:
        await store.close()


async def test_kill_9_at_random_moments_loses_no_acknowledged_write(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")  # shown by pytest if this fails
    rng = random.Random(seed)
    data_dir = tmp_path / "store"
    acked: dict[str, int] = {}
    for kill in range(KILLS):
        run_and_kill(data_dir, rng.randint(1, 150), acked)
        # Every other time the next writer itself recovers the crashed directory.
        if kill % 2 == 1 or kill == KILLS - 1:
            await assert_holds(data_dir, acked)
    assert sum(acked.values()) > KILLS, f"seed {seed}"
