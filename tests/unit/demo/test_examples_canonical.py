"""The shipped FSL files are in the canonical layout: `echoer fmt --check` passes on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FILES = [
    *sorted(str(p) for p in (ROOT / "examples").glob("*.fsl")),
    str(ROOT / "echoer_tui" / "demo" / "example.fsl"),
]


def test_echoer_fmt_check_passes_on_the_examples_and_the_demo() -> None:
    assert len(FILES) > 1
    done = subprocess.run(
        [sys.executable, "-m", "echoer_tui", "fmt", "--check", *FILES],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "would be reformatted" not in done.stdout
