"""A real `echoer serve` SIGKILLed at random moments while it drives flow runs loses nothing.

The small version runs in the default suite; bench/bench_reliability.py runs the long one
(200 runs, 50 kills) and the `slow` test below does the same under pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash_loop import CrashReport, crash_loop


def assert_survived(report: CrashReport) -> None:
    assert report.created == report.runs
    assert report.lost == [], f"runs lost: {report.lost}"
    assert report.problems == [], "\n".join(report.problems)
    assert report.done == report.runs
    assert report.refused_acks == [], report.refused_acks
    assert report.leftover_timers == 0
    assert report.server_errors == [], report.server_errors


async def test_runs_survive_repeated_sigkill(tmp_path: Path) -> None:
    report = await crash_loop(tmp_path / "data", runs=20, kills=5, seed=7, settle=60.0)
    assert report.kills == 5 and report.restarts == 5
    assert_survived(report)
    # Every run walked at least its three steps, some looped on FAIL.
    assert report.attempts >= 3 * report.runs


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_long_crash_loop(tmp_path: Path) -> None:
    report = await crash_loop(tmp_path / "data", runs=200, kills=50, seed=11, settle=300.0)
    assert report.kills == 50
    assert_survived(report)
