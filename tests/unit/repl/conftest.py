"""A real embedded workbench (TinyDB store in tmp_path, engine, API on a free port) and a
shell session over it whose output is recorded line by line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from echoer_tui.config import Listen
from echoer_tui.repl.session import Role, ShellSession
from echoer_tui.runtime import embedded
from echoer_tui.service.facade import Workbench


@dataclass
class Transcript:
    """What the shell wrote, with a way to wait for a line without sleeping."""

    lines: list[tuple[str, Role]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def write(self, text: str, role: Role) -> None:
        self.lines.append((text, role))
        self.changed.set()

    def texts(self) -> list[str]:
        return [text for text, _ in self.lines]

    async def wait_for(self, needle: str, timeout: float = 10.0) -> str:
        async with asyncio.timeout(timeout):
            while True:
                for text, _ in self.lines:
                    if needle in text:
                        return text
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def action_service() -> AsyncIterator[str]:
    """A loopback action service that accepts every dispatch with 200 and never acks."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


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
