"""Real parts for the workbench tests: the embedded runtime on a temporary data
directory (durable store, real engine, API on a free loopback port) and a loopback
action service that answers every dispatch with 200 and never acks by itself, so a
run waits on its step until the test (or the person at the graph) acks it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from echoer_tui.config import Listen
from echoer_tui.runtime import embedded
from echoer_tui.service.facade import Workbench

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _quiet_cursor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data in tmp_path, and no blinking cursor (stable screens and screenshots)."""
    monkeypatch.setenv("ECHOER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


class ActionService:
    """A real HTTP action service on 127.0.0.1 that records dispatches and answers 200."""

    def __init__(self) -> None:
        self.dispatches: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{name}", self._on_dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _on_dispatch(self, request: web.Request) -> web.Response:
        self.dispatches.append(await request.json())
        return web.json_response({})


@pytest.fixture
async def action_service() -> AsyncIterator[ActionService]:
    service = ActionService()
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
async def workbench(tmp_path: Path) -> AsyncIterator[Workbench]:
    async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as bench:
        yield bench


def readme_fsl(url: str) -> str:
    """The README's five actions and `my_flow_run`, with the actions at `url`."""
    actions = [
        ("ci", "ci", "str project,str version,int retry_count", "SUCCESS | FAIL"),
        ("approval", "approval", "str work_order,int version", "AGREE | REJECT | NEXT | FAIL"),
        ("deploy_1", "deploy", "str project, int version", "SUCCESS | FAIL"),
        ("approval_2", "approval2", "str project, int version", "AGREE | REJECT | FAIL"),
        ("notify", "notify", "str project, int version", "SUCCESS | FAIL"),
    ]
    parts = [
        f'action {name}\n\taddr = "{url}/{path}";\n\tmethod = http;\n'
        f"\targs = ({args});\n\treturn = ({states});\naction_end\n/\n"
        for name, path, args, states in actions
    ]
    parts.append(
        """flow_run my_flow_run
\tstep A => (SUCCESS->D | FAIL->A) {
\t\taction = "ci";
\t\targs = (project="https://github.com/yametech/compass.git",version="v0.1.0",retry_count=10);
\t};
\tstep D => ( AGREE -> B | REJECT -> C | NEXT -> E | FAIL -> D ) {
\t\taction="approval";
\t\targs=(work_order="nz00001",version=12343);
\t};
\tstep B => (FAIL->B | SUCCESS->C) {
\t\taction="deploy_1";
\t\targs=(project="nz00001",version=12343);
\t};
\tstep E => (REJECT->C | AGREE->B | FAIL->E) {
\t\taction="approval_2";
\t\targs=(project="nz00001",version=12343);
\t};
    step C => (SUCCESS->done | FAIL->C){
        action="notify";
        args=(project="nz00001",version=12343);
    };
flow_run_end
/
"""
    )
    return "".join(parts)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the screen never reached the expected state")
        await pilot.pause(0.02)
