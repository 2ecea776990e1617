"""`GET /watch`: committed resource changes as server-sent events.

Each event carries `id: <seq>` (the store's change sequence), `event: put|delete`
and the change as JSON, so a client that lost its connection resumes with
`?version=<last id>` (or the standard `Last-Event-ID` header) and misses nothing
the store still keeps (otherwise an `event: error` says so and the stream ends: list
again, then watch from the current seq). `?resource=` narrows the kinds.

The original's query form, `?resource=flowrun?version=N`, gets the original's framing:
unnamed events whose data is the resource itself (what an `EventSource.onmessage`
client of the Go server reads), still with `id:` for resuming, and a last
`data: STREAM_END` when the stream ends, as the original sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from echoer_tui.api.errors import error_body
from echoer_tui.api.routing import ApiContext, Endpoint, QueryParam
from echoer_tui.errors import EchoerError
from echoer_tui.model.resources import KINDS
from echoer_tui.storage.repository import Change

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""

STREAM_END = b"data: STREAM_END\n\n"
"""The original's last frame of a watch stream."""


@dataclass(frozen=True, slots=True)
class WatchQuery:
    """What `GET /watch` asked for: kinds (None: all), the seq to resume after, the framing."""

    kinds: list[str] | None
    since: int
    original: bool = False
    """The original's `resource=KIND?version=N` form: answer in the original's framing."""


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "seq": change.seq,
        "op": change.op,
        "kind": change.kind,
        "name": change.name,
        "resource": change.resource,
    }


def format_event(change: Change) -> bytes:
    data = orjson.dumps(change_to_dict(change), default=str)
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (change.seq, change.op.encode(), data)


def format_original_event(change: Change) -> bytes:
    """An unnamed event whose data is the resource (for a delete: its last stored form)."""
    data = orjson.dumps(change.resource or {"metadata": {"name": change.name}}, default=str)
    return b"id: %d\ndata: %s\n\n" % (change.seq, data)


def _version(text: str, field: str) -> int:
    if not text.strip().isdigit():
        raise EchoerError(f"{field}: expected a non-negative integer, got {text!r}", field=field)
    return int(text)


def parse_watch_query(request: Request) -> WatchQuery:
    """The kinds to watch, the seq to resume after, and which framing the client speaks."""
    kinds: list[str] = []
    since = 0
    original = False
    for item in request.query_params.getlist("resource"):
        kind, _, rest = item.partition("?")
        if rest:
            key, _, value = rest.partition("=")
            if key != "version":
                raise EchoerError(f"resource: unexpected {rest!r} after {kind!r}", field="resource")
            since = max(since, _version(value, "version"))
            original = True
        if kind not in KINDS:
            raise EchoerError(
                f"resource: unknown kind {kind!r}; one of {', '.join(KINDS)}", field="resource"
            )
        kinds.append(kind)
    if "version" in request.query_params:
        since = _version(request.query_params["version"], "version")
    elif "last-event-id" in request.headers:
        since = _version(request.headers["last-event-id"], "Last-Event-ID")
    return WatchQuery(kinds or None, since, original)


def watch_endpoint(ctx: ApiContext) -> Endpoint:
    async def watch(request: Request) -> Response:
        return StreamingResponse(
            _stream(ctx, parse_watch_query(request)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return Endpoint(
        "GET",
        "/watch",
        watch,
        "Resource changes as server-sent events (id = change seq)",
        "watch",
        query=(
            QueryParam(
                "resource",
                "a kind to watch (repeatable); all kinds when absent. The original's "
                "`KIND?version=N` form streams in the original's framing (unnamed events, "
                "data = the resource)",
                {"type": "string", "enum": list(KINDS)},
                repeated=True,
            ),
            QueryParam(
                "version", "resume after this change seq", {"type": "integer", "minimum": 0}
            ),
        ),
        answer={"type": "string"},
        media_type="text/event-stream",
    )


async def _stream(ctx: ApiContext, query: WatchQuery) -> AsyncIterator[bytes]:
    """Changes as SSE frames until the client leaves or the server shuts down."""
    queue: asyncio.Queue[Change | EchoerError | None] = asyncio.Queue(maxsize=1024)

    async def pump() -> None:
        try:
            async for change in ctx.workbench.watch(query.kinds, query.since):
                await queue.put(change)
        except EchoerError as error:
            # E.g. the client resumes from a seq the store no longer keeps: say so, then end.
            await queue.put(error)
        finally:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def closing() -> None:
        await ctx.closing.wait()
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(None)

    tasks = [asyncio.create_task(pump()), asyncio.create_task(closing())]
    try:
        yield b": watching\n\n"
        while True:
            try:
                change = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if change is None:
                if query.original:
                    yield STREAM_END
                return
            if isinstance(change, EchoerError):
                yield b"event: error\ndata: %s\n\n" % orjson.dumps(error_body(change))
                if query.original:
                    yield STREAM_END
                return
            yield format_original_event(change) if query.original else format_event(change)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
