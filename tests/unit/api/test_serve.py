"""`echoer serve` as a real process: says where it listens, answers, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from echoer_tui.config import Listen
from echoer_tui.runtime import bind_socket

STARTUP = 30.0


def _serve(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "echoer_tui", "serve", "--data-dir", str(tmp_path / "data"), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return _finish(process)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=STARTUP)
    return process.returncode, out, err


def test_serve_listens_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = _serve(tmp_path, "--listen", "127.0.0.1:0")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        assert match, line
        url = match.group(1)
        data_line = process.stdout.readline()
        assert str(tmp_path / "data") in data_line
        health = httpx.get(f"{url}/healthz", timeout=STARTUP)
        assert health.json() == {"status": "ok", "api_url": url}
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    taken = bind_socket(Listen("127.0.0.1", 0))
    taken.listen()
    try:
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        code, out, err = _finish(_serve(tmp_path, "--listen", address))
    finally:
        taken.close()
    assert code == 2
    assert address in err and "in use" in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999"])
def test_serve_with_a_bad_listen_address_says_so(tmp_path: Path, listen: str) -> None:
    code, _out, err = _finish(_serve(tmp_path, "--listen", listen))
    assert code == 2
    assert "--listen" in err and "Traceback" not in err


def _store_line(tmp_path: Path, *extra: str) -> str:
    """The line `echoer serve` prints after where it listens (its store), after a clean stop."""
    process = _serve(tmp_path, "--listen", "127.0.0.1:0", *extra)
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
        line = process.stdout.readline().strip()
    finally:
        code, out, err = _stop(process)
    assert code == 0, err
    return line + out + err


def test_serve_with_a_store_url_says_which_store_without_its_password(tmp_path: Path) -> None:
    store = tmp_path / "elsewhere"
    said = _store_line(tmp_path, "--store", f"tinydb://{store}")
    assert said.startswith(f"echoer: store tinydb://{store}")
    assert any(store.iterdir()) and not (tmp_path / "data").exists()

    # memory:// takes any rest, so a password in it shows how the URL is printed.
    said = _store_line(tmp_path, "--store", "memory://echoer:hunter2@nowhere")
    assert said.startswith("echoer: store memory://echoer:***@nowhere") and "hunter2" not in said

    env = {**os.environ, "ECHOER_STORE": "postgresql://echoer:hunter2@127.0.0.1:1/echoer"}
    failed = subprocess.run(
        [sys.executable, "-m", "echoer_tui", "serve", "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=STARTUP,
    )
    assert failed.returncode == 2, failed.stderr
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in failed.stderr
    assert "hunter2" not in failed.stderr + failed.stdout and "Traceback" not in failed.stderr
