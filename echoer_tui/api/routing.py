"""One table of endpoints: the router and the OpenAPI document are both built from it.

An `Endpoint` names its method, path, handler, body schema, query parameters and
answer; `app.py` turns the table into Starlette routes and `openapi.py` into the
published document, so no route can exist undocumented.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from echoer_tui.api.body import Schema, read_json
from echoer_tui.service.facade import Workbench

Handler = Callable[[Request], Awaitable[Response]]
EngineAck = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    description: str
    schema: Schema = field(default_factory=lambda: {"type": "string"})
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method on one path, with what it takes and what it answers."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: Schema | None = None
    query: tuple[QueryParam, ...] = ()
    answer: Schema = field(default_factory=dict)
    media_type: str = "application/json"


@dataclass(slots=True)
class ApiContext:
    """What every handler needs: the facade, the engine's ack entry point, the limits."""

    workbench: Workbench
    engine_ack: EngineAck | None
    max_body: int
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server shuts down, so long-lived streams end and let it stop."""

    async def body(self, request: Request, schema: Schema) -> dict[str, Any]:
        return await read_json(request, schema, self.max_body)


def _default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


class JsonResponse(Response):
    """JSON via orjson; anything odd becomes a string, not a 500.

    Secrets arrive already fingerprinted: the workbench redacts what it hands out.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_default)


def path_param(request: Request, name: str) -> str:
    # Any non-empty text may name a resource; one that does not exist is a 404 later.
    return str(request.path_params[name])
