"""Real loopback HTTP parts that stand in for the world around the engine.

`ActionService` plays an action service that accepts every dispatch and never acks,
so a run waits on its step until the test (or the person at the screen) acks it.
`AckReceiver` plays the engine's `POST /step` for code that sends acks. Both listen
on a free 127.0.0.1 port and record what reached them; tests wait on those records
with a timeout, never on a sleep.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from aiohttp import web

WAIT = 10.0
"""How long a test waits for a request to arrive before it fails."""


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """`app` listening on a free loopback port: its runner (to clean up) and its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class ActionService:
    """Answers every dispatch 200 and records its body, with the path under `_path`."""

    def __init__(self) -> None:
        self.dispatches: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> ActionService:
        app = web.Application()
        app.router.add_post("/{name:.*}", self._on_dispatch)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ActionService:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_dispatch(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_path"] = request.match_info["name"]
        await self.dispatches.put(body)
        return web.json_response({})

    async def next_dispatch(self) -> dict[str, Any]:
        """The oldest dispatch not yet taken, waiting up to `WAIT` for one to arrive."""
        return await asyncio.wait_for(self.dispatches.get(), timeout=WAIT)


class AckReceiver:
    """`POST /step` that records each ack; `statuses` are answered first (then 200).

    Only acks answered 200 are recorded, as an engine would only have taken those.
    """

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.acks: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.statuses = list(statuses or [])
        self.arrived = asyncio.Condition()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _on_step(self, request: web.Request) -> web.Response:
        status = self.statuses.pop(0) if self.statuses else 200
        async with self.arrived:
            if status == 200:
                self.acks.append(await request.json())
                self.headers.append(dict(request.headers))
            self.arrived.notify_all()
        return web.json_response({}, status=status)

    async def start(self) -> AckReceiver:
        app = web.Application()
        app.router.add_post("/step", self._on_step)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def wait(self, count: int) -> list[dict[str, Any]]:
        """All acks so far, once at least `count` have arrived (fails after `WAIT`)."""
        async with asyncio.timeout(WAIT), self.arrived:
            await self.arrived.wait_for(lambda: len(self.acks) >= count)
        return self.acks
