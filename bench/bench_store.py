"""How fast the embedded store writes, next to plain TinyDB and the disk's fsync floor.

Run: `.venv/bin/python -m bench.bench_store` (about a minute). Every figure is measured
in the same run on the same disk, and the verdicts are ratios against those baselines:

- the fsync floor: 200-byte appends, fsync after each (what any durable write costs);
- the store: flow-run state updates (~1 KB documents), one awaited commit at a time,
  with 100 / 1,000 / 10,000 / 100,000 stored resources, then 50 concurrent committers
  (group commit), then the open time (snapshot + journal replay) at 100,000;
- plain TinyDB JSONStorage doing the same updates (100 / 1,000 / 10,000 only: it
  rewrites the whole file per write, so larger sizes would take minutes).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import tinydb

from echoer_tui.storage import JournalStore, Put, open_store
from echoer_tui.storage.journal import list_segments

SIZES = (100, 1_000, 10_000, 100_000)
TINYDB_SIZES = (100, 1_000, 10_000)
SECONDS = 1.5
"""How long each throughput figure is measured for."""
SLICES = 6
"""The store and the fsync floor are measured in alternating slices of SECONDS / SLICES,
so that both see the same disk: on a shared machine the floor itself swings 10×."""
CONCURRENCY = 50


def flowrun(name: str, counter: int) -> dict[str, Any]:
    """A flow run as the engine updates it: ~1 KB of steps, history and variables."""
    steps = [
        {
            "name": f"step-{i}",
            "type": "step",
            "action_name": "ci",
            "returns": {"SUCCESS": f"step-{i + 1}", "FAIL": f"step-{i}"},
        }
        for i in range(5)
    ]
    return {
        "metadata": {"name": name, "kind": "flowrun", "version": 0, "labels": {"team": "ops"}},
        "spec": {
            "steps": steps,
            "history_states": ["ready", "step-0", "step-1", "step-2"],
            "last_state": "step-1",
            "current_state": "step-2",
            "last_event": f"step-2 dispatched ({counter})",
            "last_err": "",
            "global_variable": {"counter": counter, "build": "x" * 200},
            "flow_name": "ci-flow",
            "current_attempt": f"{counter:032x}",
            "attempts": counter,
        },
    }


def fsync_floor(directory: Path, seconds: float = SECONDS) -> list[float]:
    """Latency of each 200-byte append fsync'd on its own."""
    path = directory / "floor.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    line = b"x" * 199 + b"\n"
    latencies: list[float] = []
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            latencies.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink()
    return latencies


async def populate(store: JournalStore, count: int) -> dict[str, int]:
    # Only versions: holding every stored dict here would make the bench's own GC
    # passes grow with the store and blur what the store costs.
    stored: dict[str, int] = {}
    for start in range(0, count, 1_000):
        names = [f"run-{i:06d}" for i in range(start, min(count, start + 1_000))]
        results = await store.commit([Put(flowrun(n, 0)) for n in names])
        for name, result in zip(names, results, strict=True):
            assert result is not None
            stored[name] = result["metadata"]["version"]
    return stored


async def sequential(
    store: JournalStore, stored: dict[str, int], seconds: float = SECONDS
) -> list[float]:
    """Latency of each awaited update, one at a time."""
    names = list(stored)
    latencies: list[float] = []
    start = time.perf_counter()
    i = len(names) // 2
    while time.perf_counter() - start < seconds:
        name = names[(i * 7919) % len(names)]
        doc = flowrun(name, i)
        doc["metadata"]["version"] = stored[name]
        t0 = time.perf_counter()
        stored[name] = (await store.put(doc))["metadata"]["version"]
        latencies.append(time.perf_counter() - t0)
        i += 1
    return latencies


async def concurrent(store: JournalStore, stored: dict[str, int]) -> float:
    """Commits per second with CONCURRENCY tasks committing at once."""
    names = list(stored)[:CONCURRENCY]
    deadline = time.perf_counter() + SECONDS
    done = 0

    async def committer(name: str) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < deadline:
            doc = flowrun(name, i)
            doc["metadata"]["version"] = stored[name]
            stored[name] = (await store.put(doc))["metadata"]["version"]
            done += 1
            i += 1

    start = time.perf_counter()
    await asyncio.gather(*(committer(n) for n in names))
    return done / (time.perf_counter() - start)


def tinydb_updates(directory: Path, count: int) -> float:
    """Updates per second of plain TinyDB JSONStorage (by doc id: its fastest path)."""
    path = directory / f"tinydb-{count}.json"
    db = tinydb.TinyDB(path)
    ids = db.insert_multiple(flowrun(f"run-{i:06d}", 0) for i in range(count))
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS * 2 or done < 3:
        doc_id = ids[(done * 7919) % len(ids)]
        db.update({"spec": flowrun("x", done)["spec"]}, doc_ids=[doc_id])
        done += 1
    rate = done / (time.perf_counter() - start)
    db.close()
    path.unlink()
    return rate


async def measure_store(root: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"seq": {}, "mean": {}, "conc": {}, "p99": {}, "floor": {}}
    stores = {size: await open_store(root / f"store-{size}") for size in SIZES}
    versions = {size: await populate(store, size) for size, store in stores.items()}
    for store in stores.values():
        # Steady state: the compactions that populating triggered are done; what a
        # compaction costs is reported on its own below.
        await store.compact()
    # Round robin over the sizes and the floor, so that every figure sees the same disk
    # weather; medians, because other processes' bursts land anywhere.
    latencies: dict[int, list[float]] = {size: [] for size in SIZES}
    floor: list[float] = []
    for _ in range(SLICES):
        for size, store in stores.items():
            floor += fsync_floor(root, SECONDS / SLICES)
            latencies[size] += await sequential(store, versions[size], SECONDS / SLICES)
    for size, store in stores.items():
        figures["seq"][size] = statistics.median(latencies[size])
        figures["mean"][size] = statistics.fmean(latencies[size])
        figures["p99"][size] = sorted(latencies[size])[int(len(latencies[size]) * 0.99)]
        figures["floor"][size] = statistics.median(floor)
        figures["conc"][size] = await concurrent(store, versions[size])
    figures.update(await measure_open(root, root / f"store-{SIZES[-1]}", stores[SIZES[-1]]))
    for size, store in stores.items():
        await store.close()
        shutil.rmtree(root / f"store-{size}")
    return figures


async def measure_open(root: Path, directory: Path, store: JournalStore) -> dict[str, Any]:
    """Open time of the largest store: from snapshots alone, and after a crash."""
    start = time.perf_counter()
    await store.compact()
    compaction = time.perf_counter() - start
    snapshot_bytes = (directory / "flowrun.json").stat().st_size
    # A journal on top of the snapshot, as a crash would leave it, opened from a copy.
    await sequential(
        store,
        {
            n: (await _get(store, n))["metadata"]["version"]
            for n in [f"run-{i:06d}" for i in range(2_000)]
        },
    )
    journal_bytes = sum(p.stat().st_size for p in list_segments(directory))
    crashed = root / "crashed"
    shutil.copytree(directory, crashed, ignore=shutil.ignore_patterns("echoer.lock"))
    start = time.perf_counter()
    reopened = await open_store(crashed)
    open_time = time.perf_counter() - start
    count = await reopened.count("flowrun")
    await reopened.close()
    shutil.rmtree(crashed)
    return {
        "compaction": compaction,
        "snapshot_bytes": snapshot_bytes,
        "journal_bytes": journal_bytes,
        "open": open_time,
        "open_count": count,
    }


async def _get(store: JournalStore, name: str) -> dict[str, Any]:
    found = await store.get("flowrun", name)
    assert found is not None
    return found


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    with tempfile.TemporaryDirectory(
        prefix="echoer-bench-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        root = Path(tmp)
        figures = asyncio.run(measure_store(root))
        plain = {size: tinydb_updates(root, size) for size in TINYDB_SIZES}

    seq, floor, conc = figures["seq"], figures["floor"], figures["conc"]
    print("one awaited update at a time (median and mean µs), every size and the fsync'd")
    print("200-byte append floor measured round robin in slices on the same disk; then 50")
    print("concurrent committers (group commit)")
    print()
    print(
        f"{'resources':>10} {'µs/write':>9} {'mean µs':>8} {'floor µs':>9} {'cost/floor':>10} "
        f"{'p99 µs':>8} "
        f"{'writes/s':>9} {'50 tasks/s':>11} {'TinyDB/s':>9} {'×TinyDB':>8}"
    )
    for size in SIZES:
        tiny = plain.get(size)
        print(
            f"{size:>10,} {seq[size] * 1e6:9.0f} {figures['mean'][size] * 1e6:8.0f} "
            f"{floor[size] * 1e6:9.0f} "
            f"{seq[size] / floor[size]:10.2f} {figures['p99'][size] * 1e6:8.0f} "
            f"{1 / seq[size]:9.0f} {conc[size]:11.0f} "
            + (f"{tiny:9.1f} {(1 / seq[size]) / tiny:8.0f}" if tiny else f"{'-':>9} {'-':>8}")
        )
    print()
    mb = figures["snapshot_bytes"] / 1e6
    per_write = figures["compaction"] / (figures["snapshot_bytes"] / 1_200) * 1e6
    print(
        f"100,000 resources: a compaction writes the {mb:.0f} MB snapshot in "
        f"{figures['compaction']:.2f} s on its own thread, once per ~{mb:.0f} MB of journal "
        f"(≈ {per_write:.0f} µs amortised per write)"
    )
    print(
        f"open of 100,000 resources with a {figures['journal_bytes'] / 1e6:.1f} MB journal to "
        f"replay: {figures['open']:.2f} s ({figures['open_count']:,} resources)"
    )
    growth = seq[100_000] / seq[1_000]
    against_floor = (seq[100_000] / floor[100_000]) / (seq[1_000] / floor[1_000])
    print()
    print("targets:")
    print(
        f"  cost at 100,000 vs 1,000: {growth:.2f}× ({against_floor:.2f}× after dividing each "
        f"by the floor measured alongside) (≤ 1.5×)  {verdict(growth <= 1.5)}"
    )
    seq_ratio = floor[1_000] / seq[1_000]
    conc_ratio = conc[1_000] * floor[1_000]
    print(
        f"  throughput vs fsync floor: {seq_ratio:.2f}× one at a time, {conc_ratio:.2f}× with "
        f"{CONCURRENCY} committers (≥ 0.5×)  {verdict(max(seq_ratio, conc_ratio) >= 0.5)}"
    )
    vs_tiny = (1 / seq[10_000]) / plain[10_000]
    print(f"  vs plain TinyDB at 10,000: {vs_tiny:.0f}× (≥ 100×)  {verdict(vs_tiny >= 100)}")
    print(f"  open of 100,000: {figures['open']:.2f} s (< 2 s)  {verdict(figures['open'] < 2)}")


if __name__ == "__main__":
    main()
