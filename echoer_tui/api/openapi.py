"""`GET /openapi.json`: an OpenAPI 3.0 document generated from the endpoint table."""

from __future__ import annotations

import re
from typing import Any

from echoer_tui import __version__
from echoer_tui.api.routing import Endpoint
from echoer_tui.api.schemas import ERROR

_PATH_PARAM = re.compile(r"{(\w+)}")
ERROR_STATUSES = {
    "400": "bad input: invalid JSON, wrong types, missing fields, FSL errors",
    "401": "missing or wrong bearer token (when the server requires one)",
    "404": "no such resource or route",
    "409": "the resource is in a state or use that forbids this",
    "413": "request body over the limit",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PATH_PARAM.findall(endpoint.path)
    ]
    for param in endpoint.query:
        schema = {"type": "array", "items": param.schema} if param.repeated else param.schema
        entry: dict[str, Any] = {
            "name": param.name,
            "in": "query",
            "required": False,
            "description": param.description,
            "schema": schema,
        }
        if param.repeated:
            entry["style"] = "form"
            entry["explode"] = True
        parameters.append(entry)
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": f"{endpoint.method.lower()}"
        + re.sub(r"\W+", "_", endpoint.path).rstrip("_"),
        "responses": {
            "200": {
                "description": "OK",
                "content": {endpoint.media_type: {"schema": endpoint.answer}},
            },
            **{code: _error(text) for code, text in ERROR_STATUSES.items()},
            "default": _error("any other refusal, in the same JSON shape"),
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": endpoint.body}},
        }
    return operation


def build_document(endpoints: list[Endpoint]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "echoer",
            "version": __version__,
            "description": "Flows written in FSL, driven by an embedded engine "
            "(compatible with yametech/echoer's HTTP API).",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }
