"""A real embedded workbench (TinyDB store in tmp_path, engine, API on a free port) and a
shell session over it whose output is recorded line by line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from echoer_tui.config import Listen
from echoer_tui.repl.session import ShellSession
from echoer_tui.runtime import embedded
from echoer_tui.service.facade import Workbench
from tests.support.services import ActionService
from tests.support.transcript import Transcript


@pytest.fixture
async def action_service() -> AsyncIterator[str]:
    """A loopback action service that accepts every dispatch with 200 and never acks."""
    async with ActionService() as service:
        yield service.url


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[Workbench]:
    async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as running:
        yield running


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


@pytest.fixture
def shell(workbench: Workbench, transcript: Transcript) -> ShellSession:
    return ShellSession(workbench, transcript.write)
