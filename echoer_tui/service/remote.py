"""A Workbench over a running `echoer serve`: the same facade, answered over HTTP.

`echoer repl --server URL` and `echoer --server URL` use it, so the shell and the
screens cannot tell an embedded engine from a remote one. Refusals come back as the
same EchoerError subclasses (rebuilt from the JSON `error` name, diagnostics
included); changes come from the `/watch` server-sent event stream, which this
client resumes after the last seen seq when the connection drops.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from echoer_tui import errors
from echoer_tui.fsl.ast import Diagnostic, Span
from echoer_tui.fsl.tools import read_fsl_file
from echoer_tui.service import commands as cmd
from echoer_tui.service.facade import SEQ_HEADER, Reply, RunArgs, Validation
from echoer_tui.storage.repository import Change

REQUEST_TIMEOUT = 30.0
RECONNECT_SECONDS = 1.0


def _error_class(name: str) -> type[errors.EchoerError]:
    found = getattr(errors, name, None)
    if isinstance(found, type) and issubclass(found, errors.EchoerError):
        return found
    return errors.EchoerError


def diagnostic_from_dict(data: dict[str, Any]) -> Diagnostic:
    line, column = int(data.get("line", 1)), int(data.get("column", 1))
    span = Span(
        line,
        column,
        int(data.get("end_line", line)),
        int(data.get("end_column", column + 1)),
        int(data.get("start", 0)),
        int(data.get("end", 0)),
    )
    message, hint = str(data.get("message", "")), str(data.get("hint", ""))
    if data.get("severity") == "warning":
        return Diagnostic(span, message, hint, "warning")
    return Diagnostic(span, message, hint, "error")


def error_from_response(response: httpx.Response) -> errors.EchoerError:
    """The EchoerError the server raised, rebuilt from its JSON refusal."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "message" not in body:
        text = response.text.strip()[:200] or response.reason_phrase
        return errors.EchoerError(f"server answered {response.status_code}: {text}")
    cls = _error_class(str(body.get("error", "")))
    message = str(body["message"])
    diagnostics = [diagnostic_from_dict(d) for d in body.get("diagnostics") or []]
    error: errors.EchoerError
    if issubclass(cls, errors.FslSyntaxError | errors.TranslationError):
        error = cls(message, list(diagnostics))
    else:
        field = body.get("field")
        error = cls(message, field=str(field) if field is not None else None)
    error.status = response.status_code
    return error


def reply_from_dict(data: dict[str, Any]) -> Reply:
    status = data.get("status")
    return Reply(
        status=status if status in ("ok", "result", "error") else "error",
        text=str(data.get("text", "")),
        diagnostics=tuple(diagnostic_from_dict(d) for d in data.get("diagnostics") or []),
        data=data.get("data"),
    )


def change_from_dict(data: dict[str, Any]) -> Change:
    return Change(
        seq=int(data["seq"]),
        op="delete" if data.get("op") == "delete" else "put",
        kind=str(data["kind"]),
        name=str(data["name"]),
        resource=data.get("resource"),
    )


class RemoteWorkbench:
    """The facade over HTTP to `url` (an `echoer serve`), with an optional bearer token."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client: httpx.AsyncClient | None = None
        self._names: dict[str, list[str]] = {}
        self._seq = 0

    @property
    def api_url(self) -> str:
        return self._url

    @property
    def seq(self) -> int:
        """The newest seq the server stamped on an answer (`start()` asks once)."""
        return self._seq

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            base_url=self._url, headers=self._headers, timeout=REQUEST_TIMEOUT
        )
        await self._call("GET", "/healthz")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        if self._client is None:
            raise errors.EchoerError("the remote workbench is not started")
        try:
            response = await self._client.request(
                method,
                path,
                content=orjson.dumps(body) if body is not None else None,
                headers={"Content-Type": "application/json"} if body is not None else None,
                params=params,
            )
        except httpx.HTTPError as error:
            raise errors.EchoerError(
                f"cannot reach the echoer server at {self._url}: {error or type(error).__name__}"
            ) from None
        if response.status_code >= 400:
            raise error_from_response(response)
        stamped = response.headers.get(SEQ_HEADER, "")
        if stamped.isdigit():
            self._seq = max(self._seq, int(stamped))
        return response.json()

    # --- the shell language -----------------------------------------------------------
    async def execute(self, statement: str, *, width: int | None = None) -> Reply:
        try:
            command = cmd.parse_command(statement)
        except errors.EchoerError:
            command = None  # the server answers it with the same E| reply
        try:
            if isinstance(command, cmd.Load):
                return await self._load(command.path)
            body: dict[str, Any] = {"statement": statement}
            if width is not None:
                body["width"] = width
            return reply_from_dict(await self._call("POST", "/shell", body))
        except errors.EchoerError as error:
            return Reply("error", error.message)

    async def _load(self, path: str) -> Reply:
        """`load FILE` reads the file here, on the client, and applies its text remotely."""
        file = Path(path).expanduser()
        try:
            text = read_fsl_file(path)
        except errors.EchoerError as error:
            return Reply("error", f"load: {error.message}")
        replies = await self.apply_fsl(text)
        failed = [r for r in replies if r.status == "error"]
        if failed:
            return Reply(
                "error",
                "\n".join(r.text for r in failed),
                tuple(d for r in failed for d in r.diagnostics),
            )
        return Reply("ok", f"{len(replies)} statement(s) from {file}")

    async def validate(self, text: str, *, allow_applied: bool = False) -> Validation:
        params = {"allow_applied": "true"} if allow_applied else None
        data = await self._call("POST", "/validate", {"data": text}, params=params)
        return Validation(
            diagnostics=tuple(diagnostic_from_dict(d) for d in data.get("diagnostics") or []),
            statements=int(data.get("statements", 0)),
            applied=tuple(str(a) for a in data.get("applied") or ()),
        )

    async def apply_fsl(self, text: str) -> builtins.list[Reply]:
        return [reply_from_dict(r) for r in await self._call("POST", "/apply", {"data": text})]

    async def create_fsl(self, text: str, kind: str | None = None) -> builtins.list[dict[str, Any]]:
        """`POST /<kind>`: the server checks and commits the whole document or nothing.

        The HTTP API creates one kind per request, so a document mixing kinds is refused
        here unless `kind` says which one it must be (the server then names the odd one)."""
        from echoer_tui.fsl import parse
        from echoer_tui.model.translate import RESOURCE_KIND

        statements = parse(text).statements
        made = {RESOURCE_KIND[s.kind] for s in statements}
        if kind is None:
            if len(made) != 1:
                raise errors.EchoerError(
                    "data: a remote server creates one kind of resource per request; "
                    f"this document holds {', '.join(sorted(made)) or 'no statement'}",
                    field="data",
                )
            (kind,) = made
        await self._call("POST", f"/{_seg(kind)}", {"data": text})
        return [await self.get(kind, s.name) for s in statements]

    # --- resources --------------------------------------------------------------------
    async def get(self, kind: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/{_seg(kind)}/{_seg(name)}")
        return result

    async def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        params = {"prefix": prefix} if prefix else None
        items: list[dict[str, Any]] = await self._call("GET", f"/{_seg(kind)}", params=params)
        if not prefix:
            self._names[kind] = [r["metadata"]["name"] for r in items]
        return items

    async def summaries(self, kind: str, prefix: str = "") -> builtins.list[dict[str, Any]]:
        params = {"fields": "summary", **({"prefix": prefix} if prefix else {})}
        items: list[dict[str, Any]] = await self._call("GET", f"/{_seg(kind)}", params=params)
        if not prefix:
            self._names[kind] = [r["metadata"]["name"] for r in items]
        return items

    async def count(self, kind: str) -> int:
        return len(await self.summaries(kind))

    async def delete(self, kind: str, name: str) -> None:
        await self._call("DELETE", f"/{_seg(kind)}/{_seg(name)}")

    def known_names(self, kind: str) -> Sequence[str]:
        return tuple(self._names.get(kind, ()))

    # --- runs -------------------------------------------------------------------------
    async def run_flow(self, flow: str, run: str, args: RunArgs) -> dict[str, Any]:
        body = {"run": run, "args": dict(args.values)}
        result: dict[str, Any] = await self._call("POST", f"/flow/{_seg(flow)}/run", body)
        return result

    async def _op(self, run: str, op: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/flowrun/{_seg(run)}/{op}", body)
        return result

    async def pause(self, run: str) -> dict[str, Any]:
        return await self._op(run, "pause")

    async def resume(self, run: str) -> dict[str, Any]:
        return await self._op(run, "continue")

    async def stop(self, run: str) -> dict[str, Any]:
        return await self._op(run, "stop")

    async def rerun(self, run: str, step: str) -> dict[str, Any]:
        return await self._op(run, "rerun", {"step": step})

    async def set_breakpoint(self, run: str, step: str, on: bool = True) -> dict[str, Any]:
        return await self._op(run, "break" if on else "unbreak", {"step": step})

    async def ack(self, run: str, step: str, state: str, data: str = "") -> dict[str, Any]:
        return await self._op(run, "ack", {"step": step, "state": state, "data": data})

    async def attempts(self, run: str) -> builtins.list[dict[str, Any]]:
        items: builtins.list[dict[str, Any]] = await self._call(
            "GET", "/step", params={"flowrun": run}
        )
        return items

    async def events(self, run: str | None = None) -> builtins.list[dict[str, Any]]:
        params = {"flowrun": run} if run is not None else None
        items: builtins.list[dict[str, Any]] = await self._call("GET", "/event", params=params)
        return items

    async def watch(
        self, kinds: Sequence[str] | None = None, since: int = 0
    ) -> AsyncIterator[Change]:
        """Changes from `/watch`, reconnecting after the last seen seq when the stream drops."""
        last = since
        while True:
            if self._client is None:
                raise errors.EchoerError("the remote workbench is not started")
            params: builtins.list[tuple[str, str | int | float | bool | None]] = [
                ("resource", k) for k in kinds or ()
            ]
            params.append(("version", str(last)))
            try:
                async with self._client.stream(
                    "GET", "/watch", params=params, timeout=httpx.Timeout(None, connect=10.0)
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise error_from_response(response)
                    async for change in _parse_sse(response.aiter_lines()):
                        last = change.seq
                        yield change
            except httpx.HTTPError:
                pass
            await asyncio.sleep(RECONNECT_SECONDS)


class WatchEndedError(errors.StoreError):
    """The server ended a watch it cannot continue (e.g. the changes missed are gone)."""


async def _parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[Change]:
    data: list[str] = []
    event = ""
    async for line in lines:
        if not line:
            if data:
                body = orjson.loads("\n".join(data))
                if event == "error":
                    raise WatchEndedError(str(body.get("message", "the watch ended")))
                yield change_from_dict(body)
            data, event = [], ""
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()


def _seg(text: str) -> str:
    return quote(text, safe="")
