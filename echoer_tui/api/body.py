"""Request bodies: size-limited reading, JSON decoding and a check against the route's schema.

The schemas here are the ones `/openapi.json` publishes, so what the document
promises and what the server accepts cannot drift apart. The size limit is
enforced before anything is parsed: a declared Content-Length over the limit is
refused at once, and a streamed body is counted as it arrives.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request

from echoer_tui.api.errors import PayloadTooLargeError
from echoer_tui.errors import EchoerError

Schema = dict[str, Any]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


STRING: Schema = {"type": "string"}
TEXT: Schema = {"type": "string", "minLength": 1, "pattern": r"\S"}
"""A string with at least one non-blank character."""

FSL_BODY = obj({"data": {**TEXT, "description": "FSL text, one or more statements"}}, ("data",))
ACK_BODY = obj(
    {
        "flowId": {"type": "string", "nullable": True, "description": "the flow run's name"},
        "stepName": {"type": "string", "nullable": True},
        "ackState": {"type": "string", "description": "one of the step's return states"},
        "uuid": {**TEXT, "description": "the step attempt's uuid from the dispatch"},
        "done": {"type": "boolean", "description": "false: progress only, keep waiting"},
        "data": {"type": "string", "nullable": True},
        "globalVariables": {"type": "object", "nullable": True, "additionalProperties": True},
    },
    ("uuid",),
)
RERUN_BODY = obj({"step": {**TEXT, "description": "step to re-run from"}}, ("step",))
MANUAL_ACK_BODY = obj({"step": TEXT, "state": TEXT, "data": STRING}, ("step", "state"))
RUN_FLOW_BODY = obj(
    {
        "run": {**TEXT, "description": "name of the new flow run"},
        "args": {
            "type": "object",
            "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        },
    },
    ("run",),
)
SHELL_BODY = obj(
    {
        "statement": {**TEXT, "description": "one shell statement"},
        "width": {"type": "integer", "description": "columns the reply's tables fit (120)"},
    },
    ("statement",),
)


async def read_body(request: Request, max_body: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `max_body` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise EchoerError("Content-Length is not a number", field="Content-Length")
        if int(declared) > max_body:
            raise PayloadTooLargeError(
                f"request body of {int(declared)} bytes is over the limit of {max_body} bytes"
            )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise PayloadTooLargeError(f"request body is over the limit of {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, schema: Schema, max_body: int) -> dict[str, Any]:
    """The body as a JSON object that satisfies `schema`; a 4xx EchoerError otherwise."""
    raw = await read_body(request, max_body)
    if not raw.strip():
        raise EchoerError("the request body is empty; expected a JSON object")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise EchoerError(f"the request body is not valid JSON: {error}") from None
    check(value, schema, "")
    assert isinstance(value, dict)
    return value


def check(value: Any, schema: Schema, where: str) -> None:
    """Raise an EchoerError naming the first field of `value` that does not fit `schema`."""
    if "oneOf" in schema:
        for option in schema["oneOf"]:
            try:
                check(value, option, where)
            except EchoerError:
                continue
            return
        kinds = " or ".join(o.get("type", "?") for o in schema["oneOf"])
        raise EchoerError(f"{where or 'body'}: expected {kinds}", field=where or None)
    expected = schema.get("type")
    if value is None and schema.get("nullable"):
        return
    if expected is not None:
        ok = isinstance(value, _JSON_TYPES[expected])
        if expected == "integer" and isinstance(value, bool):
            ok = False
        if not ok:
            article = "an" if expected[0] in "aeiou" else "a"
            label = where or "the request body"
            raise EchoerError(
                f"{label}: expected {article} {expected}, got {_json_type(value)}",
                field=where or None,
            )
    if isinstance(value, str):
        label = where or "the request body"
        if len(value) < schema.get("minLength", 0):
            raise EchoerError(f"{label}: empty", field=where or None)
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise EchoerError(f"{label}: blank", field=where or None)
    if expected == "object":
        for name in schema.get("required", ()):
            if name not in value:
                field = f"{where}.{name}" if where else name
                raise EchoerError(f"{field}: missing", field=field)
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            field = f"{where}.{name}" if where else name
            if name in properties:
                check(item, properties[name], field)
            elif isinstance(extra, dict):
                check(item, extra, field)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
