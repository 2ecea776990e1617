"""Real parts for the workbench tests: the embedded runtime on a temporary data
directory (durable store, real engine, API on a free loopback port) and a loopback
action service that answers every dispatch with 200 and never acks by itself, so a
run waits on its step until the test (or the person at the graph) acks it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, TextArea

from echoer_tui.app import EchoerApp, make_app
from echoer_tui.config import Listen
from echoer_tui.runtime import embedded
from echoer_tui.service.facade import Workbench
from tests.support.fsl_samples import readme_at as readme_fsl
from tests.support.services import ActionService

__all__ = ["SIZE", "ActionService", "opened_on", "readme_fsl", "until"]

SIZE = (120, 36)

FirstScreen = TypeVar("FirstScreen", bound=Screen[Any])


@pytest.fixture(autouse=True)
def _quiet_cursor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data in tmp_path, and no blinking cursor (stable screens and screenshots)."""
    monkeypatch.setenv("ECHOER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
async def action_service() -> AsyncIterator[ActionService]:
    async with ActionService() as service:
        yield service


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[Workbench]:
    async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as bench:
        yield bench


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the screen never reached the expected state")
        await pilot.pause(0.02)


@asynccontextmanager
async def opened_on(
    workbench: Workbench, first: type[FirstScreen], initial_run: str | None = None
) -> AsyncIterator[tuple[EchoerApp, Pilot[Any], FirstScreen]]:
    """The app over `workbench` running at `SIZE`; its first screen must be a `first`."""
    app = make_app(workbench, initial_run=initial_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, first)
        yield app, pilot, screen
