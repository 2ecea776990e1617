"""`echoer repl` as a real process with statements piped to its stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.fsl_samples import FINISHING_FLOW, README_ACTIONS


def run_repl(tmp_path: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    """`echoer repl` on a fresh data dir, API on a free loopback port, `stdin` piped in."""
    data = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "echoer_tui", "repl", "--data-dir", data, "--listen", "127.0.0.1:0"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_piped_seed_transcript(tmp_path: Path) -> None:
    seed = FINISHING_FLOW + README_ACTIONS + FINISHING_FLOW
    script = seed + "get flow my_flow\nexit\nlist flow\n"
    done = run_repl(tmp_path, script)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout  # no colour codes into a pipe
    assert "Traceback" not in done.stdout + done.stderr
    replies = [line for line in done.stdout.splitlines() if line[:3] in ("OK", "R| ", "E| ")]
    assert replies[0].startswith("E| ")
    assert "ci" in done.stdout.split("OK")[0]
    assert replies[1:7] == ["OK"] * 6
    assert replies[7].startswith('R| {"metadata":{')
    resource = json.loads(replies[7].removeprefix("R| "))
    assert (resource["metadata"]["kind"], resource["metadata"]["name"]) == ("flow", "my_flow")
    # `exit` ends the shell: the line after it is never run.
    assert done.stdout.rstrip().splitlines()[-1] == "Bye!"
    assert len(replies) == 8


def test_end_of_input_says_bye(tmp_path: Path) -> None:
    done = run_repl(tmp_path, "list flow\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("R| ")
    assert done.stdout.rstrip().endswith("Bye!")


def test_input_ending_inside_a_statement_is_told_and_fails(tmp_path: Path) -> None:
    """The `/` never came: the statement is not run, the shell says so and exits 1."""
    done = run_repl(tmp_path, 'list action\naction a\n  addr = "http://x";\n')
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert lines[-2:] == ["E| statement not submitted (no line ending in /): action a", "Bye!"]
    assert "Traceback" not in done.stdout + done.stderr


def test_exit_inside_a_statement_is_told_too(tmp_path: Path) -> None:
    done = run_repl(tmp_path, "flow f\nexit\n")
    assert done.returncode == 1
    assert "E| statement not submitted (no line ending in /): flow f" in done.stdout
