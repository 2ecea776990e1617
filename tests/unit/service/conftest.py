"""Real parts for the workbench tests: a MemoryStore, the real engine, a loopback action."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from echoer_tui.engine import Engine
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage.memory import MemoryStore


class ActionService:
    """A real HTTP action service on 127.0.0.1 that answers 200 and records each dispatch;
    the tests acknowledge by hand through the workbench."""

    def __init__(self) -> None:
        self.dispatches: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{name}", self._on_dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _on_dispatch(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_path"] = request.match_info["name"]
        await self.dispatches.put(body)
        return web.json_response({})

    async def next_dispatch(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.dispatches.get(), timeout=10)


@pytest.fixture
async def action_service() -> AsyncIterator[ActionService]:
    service = ActionService()
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def workbench(store: MemoryStore) -> AsyncIterator[LocalWorkbench]:
    engine = Engine(store, ack_url="http://127.0.0.1:9/step", retry_base=0.01)
    bench = LocalWorkbench(store, engine, "http://127.0.0.1:9", owns_store=True)
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()
