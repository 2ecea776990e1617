"""The optional bearer token: when the server has one, no request gets past without it.

It is a plain ASGI middleware in front of the router, so it also guards routes
added later, unknown paths and the SSE stream alike; the comparison takes the
same time whatever the guess (hmac.compare_digest).
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from echoer_tui.api.errors import UnauthorizedError, error_response

ACK_PATH = "/step"
STEP_WITHOUT_TOKEN = (
    "this server requires a bearer token on every route, /step included; give your action "
    "service the token (Authorization: Bearer …) or run without --token on loopback"
)
"""The original's action services ack without Authorization: tell their operator why."""


class BearerTokenMiddleware:
    """Refuses every HTTP request whose `Authorization: Bearer …` is not `token`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                given = value
                break
        if not given and scope.get("path") == ACK_PATH:
            error = UnauthorizedError(STEP_WITHOUT_TOKEN)
        elif not given:
            error = UnauthorizedError(
                "this server requires a bearer token (Authorization: Bearer …)"
            )
        elif not hmac.compare_digest(given, self._expected):
            error = UnauthorizedError("the bearer token is wrong")
        else:
            await self.app(scope, receive, send)
            return
        await error_response(error)(scope, receive, send)
