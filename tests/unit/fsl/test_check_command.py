"""`echoer check` as a person runs it: a subprocess on real files, translation included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from echoer_tui.fsl.tools import MAX_SOURCE_BYTES

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).parent / "corpus"


def echoer_check(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "echoer_tui", "check", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_check_reports_the_corpus_translation_errors_with_positions(tmp_path: Path) -> None:
    source = tmp_path / "upper_example.fss"
    shutil.copy(CORPUS / "upper_example.fss", source)
    result = echoer_check(source)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        f'{source}:66:10: error: flow_run my_flow_run, step B: action "deploy" is not defined '
        "(not without getting action (deploy) definition)"
    ) in lines
    assert any(
        line.startswith(f'{source}:67:9: error: flow_run my_flow_run, step B: arg "env" ')
        for line in lines
    ), result.stdout
    assert any(
        line.startswith(f'{source}:71:9: error: flow_run my_flow_run, step E: arg "env" ')
        for line in lines
    ), result.stdout
    assert (
        f"{source}:82:18: error: action ci_https: capem is not a valid base64 PEM certificate: "
        '"xxadsa" is not base64'
    ) in lines
    # The parser's warning at the capem's place gives way to translation's error.
    assert not any(line.startswith(f"{source}:82:18: warning") for line in lines)


def test_check_passes_the_bundled_examples() -> None:
    examples = sorted((ROOT / "examples").glob("*.fsl"))
    assert examples
    result = echoer_check(*examples)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": error:" not in result.stdout


def test_check_refuses_a_flow_run_without_steps_once(tmp_path: Path) -> None:
    source = tmp_path / "empty.fsl"
    source.write_text("flow_run nothing\nflow_run_end\n")
    result = echoer_check(source)
    assert result.returncode == 1
    reports = [line for line in result.stdout.splitlines() if line.startswith(str(source))]
    assert reports == [
        f"{source}:1:10: error: flow_run nothing has no steps; a flow run needs at least one step"
    ]


def echoer_fmt(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "echoer_tui", "fmt", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_check_and_fmt_refuse_devices_pipes_and_huge_files(tmp_path: Path) -> None:
    """Reading /dev/urandom or a FIFO would never end; a file over the limit is no FSL."""
    fifo = tmp_path / "pipe.fsl"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.fsl"
    with huge.open("wb") as stream:
        stream.truncate(MAX_SOURCE_BYTES + 1)  # sparse: big on paper, cheap on disk
    readable = tmp_path / "readable.fsl"
    readable.write_text("flow_run nothing\nflow_run_end\n")
    for run in (echoer_check, echoer_fmt):
        result = run(Path("/dev/urandom"), fifo, huge)
        assert result.returncode == 1
        errors = result.stderr.splitlines()
        assert "/dev/urandom: not a regular file (a device, pipe or socket); " in errors[0]
        assert errors[1].startswith(f"{fifo}: not a regular file")
        assert (
            errors[2]
            == f"{huge}: {MAX_SOURCE_BYTES + 1} bytes, over the 16 MiB limit for an FSL file"
        )
        assert "Traceback" not in result.stderr
    # The files that can be read are still checked after the ones that cannot.
    result = echoer_check(Path("/dev/urandom"), readable)
    assert result.returncode == 1
    assert f"{readable}:1:10: error: flow_run nothing has no steps" in result.stdout
