"""Configuration: addresses parse with clear errors, per-user state stays private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from echoer_tui.config import Listen, private_file, private_state_dir
from echoer_tui.errors import EchoerError


def test_listen_parses_host_and_port() -> None:
    listen = Listen.parse("127.0.0.1:8080")
    assert (listen.host, listen.port, listen.is_loopback) == ("127.0.0.1", 8080, True)
    assert Listen.parse("0.0.0.0:9000").url == "http://localhost:9000"


@pytest.mark.parametrize("text", ["8080", "host:", "host:http", "host:70000"])
def test_bad_listen_says_what_is_expected(text: str) -> None:
    with pytest.raises(EchoerError, match=r"expected HOST:PORT, for example 127\.0\.0\.1:8080"):
        Listen.parse(text)


def test_state_dir_and_history_file_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        directory = private_state_dir()
        history = private_file(directory / "repl_history")
    finally:
        os.umask(old)
    assert directory.is_relative_to(tmp_path)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    history.write_text("kept")
    private_file(history)
    assert history.read_text() == "kept"
