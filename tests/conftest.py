"""Suite-wide fixtures: no test ever touches the user's real data or state directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHOER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("ECHOER_TOKEN", raising=False)
    monkeypatch.delenv("ECHOER_LISTEN", raising=False)
    monkeypatch.delenv("ECHOER_STORE", raising=False)
