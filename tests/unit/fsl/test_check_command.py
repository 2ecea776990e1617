"""`echoer check` as a person runs it: a subprocess on real files, translation included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
