"""The echoer HTTP API as one Starlette application over the service facade.

Every route comes from the endpoint table (`resources`, `runs`, `shell`, `sse`),
so `/openapi.json` always lists exactly what is served. Refusals are JSON
(`errors`), the optional bearer token guards everything (`auth`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from echoer_tui.api.auth import BearerTokenMiddleware
from echoer_tui.api.errors import EXCEPTION_HANDLERS, guarded
from echoer_tui.api.openapi import build_document
from echoer_tui.api.resources import resource_endpoints
from echoer_tui.api.routing import ApiContext, Endpoint, EngineAck, Handler, JsonResponse
from echoer_tui.api.runs import run_endpoints
from echoer_tui.api.schemas import HEALTH, OBJECT
from echoer_tui.api.shell import shell_endpoints
from echoer_tui.api.sse import watch_endpoint
from echoer_tui.service.facade import SEQ_HEADER, Workbench

DEFAULT_MAX_BODY = 1 << 20


def create_app(
    workbench: Workbench,
    engine_ack: EngineAck | None = None,
    *,
    token: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Starlette:
    """The API over `workbench`; `engine_ack` takes the wire-protocol acks of `POST /step`."""
    ctx = ApiContext(workbench, engine_ack, max_body)
    endpoints = _endpoints(ctx)

    async def openapi(request: Request) -> Response:
        return JsonResponse(document)

    endpoints.append(
        Endpoint("GET", "/openapi.json", openapi, "This document", "meta", answer=OBJECT)
    )
    document = build_document(endpoints)  # includes itself, read by `openapi` above
    routes = [
        Route(e.path, guarded(_stamped(ctx, e.handler)), methods=[e.method]) for e in endpoints
    ]
    middleware = [Middleware(BearerTokenMiddleware, token=token)] if token else []
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS)
    app.state.api = ctx
    return app


def _stamped(ctx: ApiContext, handler: Handler) -> Handler:
    """Every answer says the store's change seq as it was *before* the handler read it,
    so a client that loads and then watches from that seq misses nothing."""

    async def stamp(request: Request) -> Response:
        seq = ctx.workbench.seq
        response = await handler(request)
        response.headers[SEQ_HEADER] = str(seq)
        return response

    return stamp


def _endpoints(ctx: ApiContext) -> list[Endpoint]:
    async def root(request: Request) -> Response:
        return JsonResponse("echoer")

    async def healthz(request: Request) -> Response:
        return JsonResponse({"status": "ok", "api_url": ctx.workbench.api_url})

    return [
        Endpoint(
            "GET", "/", root, "Says echoer (as the original)", "meta", answer={"type": "string"}
        ),
        Endpoint("GET", "/healthz", healthz, "Liveness", "meta", answer=HEALTH),
        *resource_endpoints(ctx),
        *run_endpoints(ctx),
        *shell_endpoints(ctx),
        watch_endpoint(ctx),
    ]
