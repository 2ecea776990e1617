"""An in-process echoer (durable store, engine with short retries, API on loopback) and a
raw TCP action service that misbehaves on purpose.

The fault service speaks HTTP by hand so it can do what no well-behaved framework
lets a handler do: keep a request hanging, drop the connection mid-request, answer
garbage. The engine gets small `retry_base` and `request_timeout` values so that a
fault runs its whole course (retries, TIMEOUT) within a second or two.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson

from echoer_tui.engine import Engine
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import JournalStore
from tests.support.stack import WAIT, serve_echoer
from tests.unit.engine.builders import wait_run

Behaviour = Literal["ok", "hang", "close", "500", "slow", "garbage"]


@dataclass
class Stack:
    store: JournalStore
    engine: Engine
    workbench: LocalWorkbench
    client: httpx.AsyncClient
    url: str

    async def fsl(self, path: str, text: str) -> dict[str, Any]:
        response = await self.client.post(path, json={"data": text})
        assert response.status_code == 200, response.text
        return dict(response.json()) if isinstance(response.json(), dict) else {}

    async def ack(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post("/step", json=body)

    async def run_in(self, name: str, *states: str) -> dict[str, Any]:
        """The run once it is in one of `states` (waits on the store's change stream)."""
        return await wait_run(
            self.store, name, lambda r: r["spec"]["current_state"] in states, WAIT
        )

    async def events(self, run: str) -> list[dict[str, Any]]:
        return list((await self.client.get("/event", params={"flowrun": run})).json())


async def start_stack(
    stack: AsyncExitStack,
    data_dir: Path,
    *,
    token: str | None = None,
    retry_base: float = 0.05,
    request_timeout: float = 0.5,
    max_body: int = 1 << 20,
) -> Stack:
    served = await serve_echoer(
        stack,
        data_dir,
        token=token,
        max_body=max_body,
        retry_base=retry_base,
        request_timeout=request_timeout,
    )
    assert isinstance(served.store, JournalStore)
    return Stack(served.store, served.engine, served.workbench, served.client, served.url)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.raw)
        return value


@dataclass
class FaultService:
    """A loopback HTTP/1.1 server whose answer depends on the request path: /<behaviour>/…"""

    slow_seconds: float = 0.3
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _hung: set[asyncio.StreamWriter] = field(default_factory=set)

    def url(self, behaviour: Behaviour, action: str = "x") -> str:
        return f"http://127.0.0.1:{self.port}/{behaviour}/{action}"

    async def start(self) -> FaultService:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        for writer in list(self._hung):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    def bodies(self, behaviour: str) -> list[dict[str, Any]]:
        return [r.body for r in self.received if r.path.split("/")[1] == behaviour]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._hung.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        async with self._changed:
            self.received.append(Received(path, headers, raw))
            self._changed.notify_all()
        behaviour = path.split("/")[1]
        if behaviour == "hang":
            self._hung.add(writer)
            await asyncio.Event().wait()  # until the client gives up and the server closes
        if behaviour == "close":
            writer.close()
            return False
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        if behaviour == "500":
            self._reply(writer, 500, b'{"error": "boom"}', "application/json")
        elif behaviour == "garbage":
            self._reply(writer, 200, b"<html>\x00\xff not json", "text/html")
        else:
            self._reply(writer, 200, b'""', "application/json")
        await writer.drain()
        return True

    @staticmethod
    def _reply(writer: asyncio.StreamWriter, status: int, body: bytes, media: str) -> None:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {media}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
