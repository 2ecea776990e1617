"""Response schemas published in `/openapi.json` (request schemas live in `body.py`)."""

from __future__ import annotations

from echoer_tui.api.body import Schema

METADATA: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "uuid": {"type": "string"},
        "version": {"type": "integer"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
RESOURCE: Schema = {
    "type": "object",
    "description": "a resource in the original echoer JSON shape",
    "properties": {"metadata": METADATA, "spec": {"type": "object"}},
    "required": ["metadata", "spec"],
}
RESOURCE_LIST: Schema = {"type": "array", "items": RESOURCE}
DIAGNOSTIC: Schema = {
    "type": "object",
    "properties": {
        "line": {"type": "integer"},
        "column": {"type": "integer"},
        "end_line": {"type": "integer"},
        "end_column": {"type": "integer"},
        "start": {"type": "integer", "description": "0-based character offset"},
        "end": {"type": "integer"},
        "message": {"type": "string"},
        "hint": {"type": "string"},
        "severity": {"type": "string", "enum": ["error", "warning"]},
    },
    "required": ["line", "column", "message"],
}
ERROR: Schema = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "error": {"type": "string"},
        "field": {"type": "string"},
        "diagnostics": {"type": "array", "items": DIAGNOSTIC},
    },
    "required": ["message", "error"],
}
REPLY: Schema = {
    "type": "object",
    "description": "what one shell statement answered",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "result", "error"]},
        "text": {"type": "string"},
        "rendered": {"type": "string", "description": "as the shell prints it: OK, R| …, E| …"},
        "diagnostics": {"type": "array", "items": DIAGNOSTIC},
        "data": {},
    },
    "required": ["status", "text", "diagnostics"],
}
VALIDATION: Schema = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean"},
        "statements": {"type": "integer"},
        "diagnostics": {"type": "array", "items": DIAGNOSTIC},
        "applied": {
            "type": "array",
            "items": {"type": "string"},
            "description": "with allow_applied: statements the store holds as written",
        },
    },
    "required": ["ok", "statements", "diagnostics"],
}
OBJECT: Schema = {"type": "object"}
HEALTH: Schema = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "api_url": {"type": "string"}},
    "required": ["status"],
}
