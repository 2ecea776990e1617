"""Three engine processes on one PostgreSQL database, one SIGKILLed under load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.scale.scale_load import ScaleReport, scale_load


def _check(report: ScaleReport) -> None:
    print(report)  # the figures, for -s
    assert report.done == report.runs
    assert report.problems == []
    assert report.refused_acks == []
    assert report.leftover_timers == 0
    # The acks really were spread: every engine took some.
    assert len(report.acks_per_engine) == report.engines


async def test_three_engines_one_killed_every_run_done_once(pg_url: str, tmp_path: Path) -> None:
    _check(await scale_load(pg_url, tmp_path, engines=3, runs=60, kill=True))


@pytest.mark.slow
async def test_three_engines_one_killed_500_runs(pg_url: str, tmp_path: Path) -> None:
    _check(await scale_load(pg_url, tmp_path, engines=3, runs=500, kill=True, timeout=300))
