"""Real loopback HTTP parts for engine tests: action services and an ack receiver.

The action service behaves like the original demo services: it answers the dispatch
with 200 and then POSTs the first of `ackStates` back to the engine's `/step` —
or, in mode "ack_first", POSTs the ack before its 200 goes out, so the ack reaches
the engine before the dispatch request returns. The ack receiver forwards
`POST /step` to `engine.ack(body)` (the HTTP API is built elsewhere).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

from echoer_tui.errors import EchoerError

Mode = Literal["ack_after", "ack_first", "silent", "fail", "hold"]
"""ack_after: 200 then ack; ack_first: ack then 200; silent: 200, no ack; fail: 503;
hold: keep the dispatch request open until `release` is set, then as ack_after."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve(
    app: web.Application, port: int = 0, tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=tls)
    await site.start()
    return runner, int(runner.addresses[0][1])


@dataclass
class ActionService:
    """One loopback service; each path (one per action) has its own mode."""

    ack_url: str = ""
    modes: dict[str, Mode] = field(default_factory=dict)
    default_mode: Mode = "ack_after"
    ack_globals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per path: globalVariables to send back with the ack."""
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acks: list[tuple[int, Any]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> ActionService:
        app = web.Application()
        app.router.add_post("/{path}", self._handle)
        self._runner, self.port = await serve(app, port, tls)
        self._client = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        body = await request.json()
        ack_url = self.ack_url or request.headers.get("Echoer-Ack-Url", "")
        async with self._changed:
            self.received.append((path, body))
            self._changed.notify_all()
        mode = self.modes.get(path, self.default_mode)
        if mode == "fail":
            return web.json_response({"error": "down for maintenance"}, status=503)
        if mode == "hold":
            await self.release.wait()
            mode = "ack_after"
        if mode == "ack_first":
            await self._ack(ack_url, path, body)
        elif mode == "ack_after":
            asyncio.get_running_loop().create_task(self._ack(ack_url, path, body))
        return web.json_response("")

    async def _ack(self, ack_url: str, path: str, body: Mapping[str, Any]) -> None:
        assert self._client is not None
        reply = {
            "flowId": body["flowId"],
            "stepName": body["stepName"],
            "ackState": body["ackStates"][0],
            "uuid": body["uuid"],
            "done": True,
        }
        if path in self.ack_globals:
            reply["globalVariables"] = self.ack_globals[path]
        async with self._client.post(ack_url, json=reply) as resp:
            answer = await resp.json()
        async with self._changed:
            self.acks.append((resp.status, answer))
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [b for p, b in self.received if p == path]


class AckReceiver:
    """`POST /step` on loopback, handed to an ack handler (the engine's `ack`)."""

    def __init__(self, handler: Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]) -> None:
        self.handler = handler
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/step"

    async def start(self, port: int = 0) -> AckReceiver:
        app = web.Application()
        app.router.add_post("/step", self._handle)
        self._runner, self.port = await serve(app, port)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response(
                {"message": "the body is not JSON", "field": "body"}, status=400
            )
        try:
            return web.json_response(await self.handler(body))
        except EchoerError as exc:
            return web.json_response(exc.to_dict(), status=exc.status)
