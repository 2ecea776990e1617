"""Steps per second with 1, 2 and 4 `echoer serve` processes on one PostgreSQL, next to
one process on the embedded TinyDB store, all measured in the same run.

Each configuration drives the same load (tests/unit/scale/scale_load.py): flow runs of
three steps against demo action services that ack at once, acks spread over the live
engines. No process is killed here; the kill is the scale test's job. A PostgreSQL
server is started for the run (tests/pg_server.py), or ECHOER_TEST_PG_URL is used.
Bounded: each configuration stops after `--timeout` seconds.

Run: `.venv/bin/python -m bench.bench_scale [--runs 200]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
from pathlib import Path

import psycopg

from tests.pg_server import URL_VARIABLE, start_server
from tests.unit.scale.scale_load import ScaleReport, scale_load

_schemas = itertools.count(1)


def _fresh_schema(base: str) -> str:
    schema = f"bench_{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}"


def _row(label: str, report: ScaleReport, baseline: float) -> str:
    ok = "ok" if report.done == report.runs and not report.problems else "PROBLEMS"
    ratio = report.steps_per_second / baseline if baseline else 0.0
    return (
        f"| {label} | {report.runs} | {report.steps} | {report.seconds:.1f} s | "
        f"{report.steps_per_second:,.0f} | {ratio:.2f}x | {ok} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=40.0)
    args = parser.parse_args([] if __name__ != "__main__" else None)
    given = os.environ.get(URL_VARIABLE)
    server = None if given else start_server()
    base = given or (server.dsn() if server else "")
    try:
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            tiny = asyncio.run(
                scale_load(
                    None,
                    work / "tiny",
                    runs=args.runs,
                    kill=False,
                    fail_rate=0.0,
                    timeout=args.timeout,
                )
            )
            print("| store, engines | runs | step attempts | wall | steps/s | vs TinyDB | check |")
            print("|---|---|---|---|---|---|---|")
            print(_row("TinyDB, 1 process", tiny, tiny.steps_per_second))
            for engines in (1, 2, 4):
                report = asyncio.run(
                    scale_load(
                        _fresh_schema(base),
                        work / f"pg{engines}",
                        engines=engines,
                        runs=args.runs,
                        kill=False,
                        fail_rate=0.0,
                        timeout=args.timeout,
                    )
                )
                print(_row(f"PostgreSQL, {engines} process(es)", report, tiny.steps_per_second))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
