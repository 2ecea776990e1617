"""How the API says no: every refusal is a JSON body `{"message", "error", "field"?}`.

EchoerError subclasses already carry their HTTP status and their JSON; this module
adds the FSL diagnostics (where in the submitted text) and turns everything else —
routing misses, wrong methods, unexpected exceptions — into the same shape, so a
client never has to parse an HTML page or read a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from echoer_tui.errors import ConflictError, EchoerError, FslSyntaxError, TranslationError

log = logging.getLogger("echoer.api")

Handler = Callable[[Request], Awaitable[Response]]


class PayloadTooLargeError(EchoerError):
    """A request body over the server's limit (refused before it was parsed)."""

    status = 413


class UnauthorizedError(EchoerError):
    """A request without the bearer token the server requires, or with a wrong one."""

    status = 401


class NameConflictError(ConflictError):
    """FSL whose only errors are names already taken (409, with where each name is)."""

    def __init__(self, message: str, diagnostics: list[object]) -> None:
        super().__init__(message, field="data")
        self.diagnostics = diagnostics


def diagnostic_to_dict(diagnostic: Any) -> dict[str, Any]:
    """One FSL diagnostic as JSON: where (1-based line/column), what, and what to do."""
    span = getattr(diagnostic, "span", None)
    body: dict[str, Any] = {
        "line": getattr(diagnostic, "line", getattr(span, "line", 1)),
        "column": getattr(diagnostic, "column", getattr(span, "column", 1)),
        "message": getattr(diagnostic, "message", str(diagnostic)),
        "hint": getattr(diagnostic, "hint", ""),
        "severity": getattr(diagnostic, "severity", "error"),
    }
    if getattr(diagnostic, "code", ""):
        body["code"] = diagnostic.code
    if span is not None:
        body["end_line"] = span.end_line
        body["end_column"] = span.end_column
        body["start"] = span.start
        body["end"] = span.end
    return body


def error_body(error: EchoerError) -> dict[str, Any]:
    body = error.to_dict()
    if (
        isinstance(error, FslSyntaxError | TranslationError | NameConflictError)
        and error.diagnostics
    ):
        body["diagnostics"] = [diagnostic_to_dict(d) for d in error.diagnostics]
    return body


def error_response(error: EchoerError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, UnauthorizedError) else None
    return JSONResponse(error_body(error), status_code=error.status, headers=headers)


async def on_echoer_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EchoerError)
    return error_response(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path} (see /openapi.json)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    body = {"message": message, "error": "HTTPError"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """The methods of the most specific routes matching the path (`/flowrun/{name}/pause`
    over `/flowrun/{name}/{uuid}`), not only those of the first route Starlette tried."""
    path = request.scope["path"]
    matching = [
        route
        for route in request.app.router.routes
        if isinstance(route, Route) and route.path_regex.match(path)
    ]
    if not matching:
        return []
    fewest = min(route.path.count("{") for route in matching)
    methods = {
        method
        for route in matching
        if route.path.count("{") == fewest
        for method in route.methods or ()
    }
    return sorted(methods)


def internal_error(request: Request) -> JSONResponse:
    """A bug, not bad input: log it with its traceback (call from `except`), answer without."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {"message": "internal error (see the server log)", "error": "InternalError"}
    return JSONResponse(body, status_code=500)


def guarded(handler: Handler) -> Handler:
    """`handler` with unexpected exceptions answered as a 500 JSON body and logged once.

    (Starlette's own catch-all answers too, but then re-raises to the server, which
    logs the traceback a second time.)
    """

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except (EchoerError, HTTPException):
            raise
        except Exception:
            return internal_error(request)

    return run


async def on_unexpected(request: Request, exc: Exception) -> Response:
    return internal_error(request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    EchoerError: on_echoer_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
