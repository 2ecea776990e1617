"""Calls an action service: POST the dispatch body to its addresses until one answers 2xx.

The client is aiohttp, chosen by measurement: bench/bench_engine.py times the bare
POST-then-ack step with each client against the same aiohttp servers. On this 2-CPU
machine (2026-12-04) aiohttp made 2,546 steps/s (p50 0.35 ms) with one run and
2,141 steps/s with 100 concurrent runs; httpx 586 steps/s (p50 1.22 ms) and
149 steps/s (p99 4.7 s) — 4.3x and 14x slower — and its pool timed out at 1,000.

One session serves every dispatch; https actions get an ssl context whose only
trust root is the action's own CA (cached per CA). The CA itself is never sent.
"""

from __future__ import annotations

import base64
import binascii
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from echoer_tui.model.resources import SERVE_TYPES, ActionSpec

HTTP = SERVE_TYPES["http"]
HTTPS = SERVE_TYPES["https"]


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    """How one dispatch went: which address took it, or why every address refused."""

    ok: bool
    endpoint: str = ""
    status: int = 0
    error: str = ""
    """Why the addresses refused (on success: the earlier addresses that did)."""


class ActionConfigError(ValueError):
    """An action that cannot be called as configured (bad CA, unsupported method)."""


def endpoint_urls(action: ActionSpec) -> list[str]:
    """The action's addresses in order, with the scheme its serve_type implies when absent."""
    scheme = "https" if action.serve_type == HTTPS else "http"
    urls = []
    for raw in action.endpoints:
        for part in str(raw).split(","):
            address = part.strip()
            if address:
                urls.append(address if "://" in address else f"{scheme}://{address}")
    return urls


def ssl_context_for(ca_pem_b64: str) -> ssl.SSLContext:
    """A client context trusting only the given base64-encoded PEM CA."""
    try:
        pem = base64.b64decode(ca_pem_b64, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ActionConfigError("the action's ca_pem is not base64-encoded PEM text") from exc
    # A bare client context (not create_default_context) so no system root is trusted.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        context.load_verify_locations(cadata=pem)
    except ssl.SSLError as exc:
        raise ActionConfigError(f"the action's ca_pem holds no usable certificate ({exc})") from exc
    return context


class Dispatcher:
    """One HTTP client for every dispatch POST the engine makes."""

    def __init__(self, *, ack_url: str = "", request_timeout: float = 10.0) -> None:
        self._ack_url = ack_url
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._ssl: dict[str, ssl.SSLContext] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=256, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=_dumps
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, action: ActionSpec, body: Mapping[str, Any]) -> DispatchOutcome:
        """POST `body` to each address of `action` in order until one answers 2xx."""
        if action.serve_type not in (HTTP, HTTPS):
            return DispatchOutcome(False, error="grpc actions are not supported by this engine")
        urls = endpoint_urls(action)
        if not urls:
            return DispatchOutcome(False, error="the action has no address")
        ssl_arg: ssl.SSLContext | bool = True
        if action.serve_type == HTTPS and action.ca_pem:
            try:
                ssl_arg = self._context(action.ca_pem)
            except ActionConfigError as exc:
                return DispatchOutcome(False, error=str(exc))
        payload = orjson.dumps(body)
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self._ack_url:
            # A hint for services that want to know where to ack; the body stays as the original.
            headers["Echoer-Ack-Url"] = self._ack_url
        errors: list[str] = []
        session = self._client()
        for url in urls:
            try:
                async with session.post(url, data=payload, headers=headers, ssl=ssl_arg) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        return DispatchOutcome(
                            True, endpoint=url, status=resp.status, error="; ".join(errors)
                        )
                    errors.append(f"{url} answered {resp.status}")
            except TimeoutError:
                errors.append(f"{url} did not answer within {self._timeout.total:g} s")
            except aiohttp.ClientError as exc:
                errors.append(f"{url}: {_describe(exc)}")
            except ValueError as exc:  # a malformed URL
                errors.append(f"{url}: {exc}")
        return DispatchOutcome(False, error="; ".join(errors))

    def _context(self, ca_pem: str) -> ssl.SSLContext:
        context = self._ssl.get(ca_pem)
        if context is None:
            context = self._ssl[ca_pem] = ssl_context_for(ca_pem)
        return context


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _describe(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect ({exc.os_error.strerror or exc.os_error})"
    return str(exc) or type(exc).__name__
