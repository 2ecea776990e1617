"""The long reliability proofs: the crash loop at full size, and FSL fuzzing under atheris.

- Crash loop: 200 flow runs on a real `echoer serve` SIGKILLed 50 times at random
  moments and restarted on the same data directory (tests/reliability/crash_loop.py);
  reports kills survived, runs lost (must be 0), history problems (must be 0).
- FSL fuzzing: atheris (coverage-guided, libFuzzer) over parse + translate + format
  for a bounded time, seeded with the corpus (tests/reliability/fsl_fuzz.py); skipped
  with a note when atheris is not installed (`.venv/bin/pip install atheris`).

Run: `.venv/bin/python -m bench.bench_reliability [--runs 200 --kills 50 --fuzz-seconds 60]`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def crash_loop(runs: int, kills: int, seed: int) -> bool:
    from tests.reliability.crash_loop import crash_loop as run_loop

    with tempfile.TemporaryDirectory() as directory:
        report = asyncio.run(
            run_loop(Path(directory) / "data", runs=runs, kills=kills, seed=seed, settle=600.0)
        )
    ok = (
        not report.lost
        and not report.problems
        and report.done == runs
        and not report.refused_acks
        and not report.server_errors
    )
    print(f"| crash loop: runs | {report.runs} |")
    print(f"| crash loop: SIGKILLs survived | {report.kills} of {kills} |")
    print(f"| crash loop: runs done | {report.done} |")
    print(f"| crash loop: runs lost | {len(report.lost)} |")
    print(f"| crash loop: history problems | {len(report.problems)} |")
    print(f"| crash loop: step attempts | {report.attempts} |")
    print(f"| crash loop: dispatches re-sent after a kill | {report.duplicate_dispatches} |")
    print(f"| crash loop: valid acks refused | {len(report.refused_acks)} |")
    print(f"| crash loop: wall time | {report.seconds:.0f} s |")
    for line in [*report.lost, *report.problems, *report.refused_acks, *report.server_errors][:20]:
        print(f"  ! {line}")
    return ok


def fuzz_atheris(seconds: int) -> bool:
    if importlib.util.find_spec("atheris") is None:
        print("| FSL fuzzing (atheris) | not run: atheris is not installed |")
        return True
    with tempfile.TemporaryDirectory() as directory:
        corpus = Path(directory) / "corpus"
        corpus.mkdir()
        from tests.reliability.fsl_fuzz import SEEDS

        for index, text in enumerate(SEEDS):
            (corpus / f"seed{index}").write_text(text)
        began = time.perf_counter()
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_reliability",
                "--atheris-child",
                f"-max_total_time={seconds}",
                "-rss_limit_mb=4096",
                "-print_final_stats=1",
                str(corpus),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - began
    found = re.search(r"stat::number_of_executed_units:\s*(\d+)", child.stderr)
    executed = found.group(1) if found else "?"
    ok = child.returncode == 0
    print(
        f"| FSL fuzzing (atheris, {seconds} s) | {executed} inputs in {elapsed:.0f} s, "
        f"{'no failure' if ok else 'FAILED'} |"
    )
    if not ok:
        print(child.stderr[-3000:])
    return ok


def _atheris_child(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports():
        import echoer_tui.fsl
        import echoer_tui.model.translate  # noqa: F401
    from tests.reliability.fsl_fuzz import exercise

    def one_input(data: bytes) -> None:
        exercise(data.decode("utf-8", "replace"))

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--atheris-child"]:
        _atheris_child(args[1:])
        return
    parser = argparse.ArgumentParser(prog="bench_reliability")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--fuzz-seconds", type=int, default=60)
    parser.add_argument("--skip-crash", action="store_true")
    options = parser.parse_args(args)
    print("| proof | figure |")
    print("|---|---|")
    ok = True
    if not options.skip_crash:
        ok = crash_loop(options.runs, options.kills, options.seed) and ok
    if options.fuzz_seconds > 0:
        ok = fuzz_atheris(options.fuzz_seconds) and ok
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
