"""Run every benchmark in turn: `python -m bench` (or `make bench`)."""

from __future__ import annotations

import importlib
import sys

BENCHES = [
    "bench.bench_parse",
    "bench.bench_store",
    "bench.bench_engine",
    "bench.bench_load",
    "bench.bench_reliability",
    "bench.bench_scale",
    "bench.bench_tui",
]


def main() -> int:
    chosen = sys.argv[1:] or BENCHES
    for name in chosen:
        module = name if name.startswith("bench.") else f"bench.{name}"
        print(f"## {module}", flush=True)
        importlib.import_module(module).main()
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
