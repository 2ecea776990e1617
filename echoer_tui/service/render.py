"""How replies look as text: compact JSON as the original printed it, plain tables, and
FSL diagnostics with their position and a caret under the offending text.

Kept apart from `local.py` so that a remote workbench and the API format the same
data the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import orjson

from echoer_tui.fsl import caret_excerpt
from echoer_tui.fsl.ast import Diagnostic
from echoer_tui.model.resources import SPEC_TYPES

LIST_HEADERS = ("name", "kind", "uuid", "version")


def compact_json(value: Any) -> str:
    """JSON as the original's `get` printed it: no spaces, keys sorted (Go sorted map keys)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


ORIGINAL_SPEC_KEYS: dict[str, frozenset[str]] = {
    "action": frozenset(
        {"system", "serve_type", "endpoints", "ca_pem", "params", "return_states"}
        | {"reference_count"}
    ),
    "flowrun": frozenset(
        {"steps", "history_states", "last_state", "current_state", "last_event", "last_err"}
        | {"global_variable"}
    ),
    "step": frozenset(
        {"flow_id", "flow_run_uuid", "action_run", "response", "data", "retry_count"}
        | {"global_variables"}
    ),
}
"""The spec keys of the original's objects (ARCHITECTURE.md, "Resource JSON")."""


def _added_to(kind: str) -> frozenset[str]:
    """The spec keys echoer added to a kind: every field of its spec the original lacked,
    so a new field prints after the original's keys without being listed twice."""
    names = {f.name for f in fields(SPEC_TYPES[kind])}
    return frozenset(names - ORIGINAL_SPEC_KEYS[kind])


ADDITIVE_KEYS: dict[str, frozenset[str]] = {
    "metadata": frozenset({"labels", "created_time", "updated_time"}),
    "flow.step": frozenset({"name", "type"}),
    **{kind: _added_to(kind) for kind in ORIGINAL_SPEC_KEYS},
}
"""Keys echoer added to the original's objects; they print after the original's keys."""


def resource_json(resource: Mapping[str, Any]) -> str:
    """A resource as the original's `get` printed it: compact, its own keys sorted first
    (Go sorted map keys), then the keys echoer added, so old readers see what they knew."""
    return orjson.dumps(_shape_resource(resource), option=orjson.OPT_NON_STR_KEYS).decode()


def _shape_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    meta = resource.get("metadata") or {}
    kind = str(meta.get("kind", ""))
    spec = dict(resource.get("spec") or {})
    if kind == "flow" and isinstance(spec.get("steps"), list):
        spec["steps"] = [_ordered(s, ADDITIVE_KEYS["flow.step"]) for s in spec["steps"]]
    if kind == "flowrun" and isinstance(spec.get("steps"), list):
        spec["steps"] = [_shape_resource(s) for s in spec["steps"]]
    out: dict[str, Any] = {
        "metadata": _ordered(meta, ADDITIVE_KEYS["metadata"]),
        "spec": _ordered(spec, ADDITIVE_KEYS.get(kind, frozenset()), shaped={"steps"}),
    }
    for key in sorted(k for k in resource if k not in out):
        out[key] = _ordered(resource[key])
    return out


def _ordered(
    value: Any,
    additive: frozenset[str] = frozenset(),
    shaped: frozenset[str] | set[str] = frozenset(),
) -> Any:
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: (str(k) in additive, str(k)))
        return {k: value[k] if k in shaped else _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


DEFAULT_TABLE_WIDTH = 120
"""Columns a table is fitted to when the caller does not know its terminal's width."""

MIN_CELL = 3
"""No column is cut narrower than this (room for two characters and the `…`)."""

FLEX_COLUMN = "MESSAGE"
"""The column that gives up room first when a table is too wide."""

FLEX_FLOOR = 20
"""The flexible column gives up room only down to this; then the widest columns do."""


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], width: int | None = None) -> str:
    """A boxed text table with upper-case headers, as the original's tablewriter drew it.

    With `width`, the table fits in that many columns: the message column takes what
    the others leave, the widest columns give way after it, and cells too long are cut
    with `…` — so a long event message never wraps the table into an unreadable one.
    """
    body = [[_cell(v) for v in row] for row in rows]
    head = [h.upper() for h in headers]
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(head)]
    if width is not None:
        flex = head.index(FLEX_COLUMN) if FLEX_COLUMN in head else None
        widths = fit_widths(widths, width, flex)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule, *_row_lines(head, widths), rule]
    for row in body:
        out.extend(_row_lines(row, widths))
    if body:
        out.append(rule)
    return "\n".join(out)


def fit_widths(natural: Sequence[int], width: int, flex: int | None = None) -> list[int]:
    """Column widths whose table (borders included) fits `width`, as far as MIN_CELL
    allows: the `flex` column gives way first (down to FLEX_FLOOR), then the widest
    column, one character at a time, so the others keep as much as they can."""
    budget = width - (3 * len(natural) + 1)  # "| " before each cell, " |" closing the row
    widths = list(natural)
    if sum(widths) <= budget:
        return widths
    if flex is not None:
        others = sum(widths) - widths[flex]
        widths[flex] = max(min(FLEX_FLOOR, widths[flex]), budget - others)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_CELL:
            break  # too narrow a terminal for this many columns: overflow, do not vanish
        widths[widest] -= 1
    return widths


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return compact_json(value)
    return str(value)


def _width(cell: str) -> int:
    return max((len(line) for line in cell.splitlines()), default=0)


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def _row_lines(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    split = [c.splitlines() or [""] for c in cells]
    height = max(len(s) for s in split)
    lines = []
    for i in range(height):
        parts = [
            _fit(s[i] if i < len(s) else "", w).ljust(w) for s, w in zip(split, widths, strict=True)
        ]
        lines.append("| " + " | ".join(parts) + " |")
    return lines


def resource_rows(
    kind: str, resources: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of `list <kind>`: name, kind, uuid, version (+ state for a flow run)."""
    headers = list(LIST_HEADERS)
    if kind == "flowrun":
        headers.append("state")
    rows: list[list[Any]] = []
    for resource in resources:
        meta = resource.get("metadata") or {}
        row: list[Any] = [
            meta.get("name", ""),
            meta.get("kind", kind),
            meta.get("uuid", ""),
            meta.get("version", 0),
        ]
        if kind == "flowrun":
            row.append((resource.get("spec") or {}).get("current_state", ""))
        rows.append(row)
    return headers, rows


def event_rows(events: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of `events`: when, which step, which state, what happened."""
    rows: list[list[Any]] = []
    for event in events:
        spec = event.get("spec") or {}
        when = spec.get("time") or (event.get("metadata") or {}).get("created_time") or 0
        rows.append(
            [
                format_time(float(when)),
                spec.get("resource_name", ""),
                spec.get("step_name", ""),
                spec.get("state", ""),
                spec.get("message", ""),
            ]
        )
    return ["time", "flowrun", "step", "state", "message"], rows


def format_time(epoch: float) -> str:
    if not epoch:
        return ""
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def diagnostic_text(source: str, diagnostic: Diagnostic) -> str:
    """`line:col: message`, the source line with a caret under the span, then the hint."""
    head = f"{diagnostic.line}:{diagnostic.column}: {diagnostic.message}"
    lines = [f"warning {head}" if diagnostic.severity == "warning" else head]
    excerpt = caret_excerpt(source, diagnostic)
    if excerpt:
        lines.append(excerpt)
    if diagnostic.hint:
        lines.append(f"hint: {diagnostic.hint}")
    return "\n".join(lines)


def diagnostics_text(source: str, diagnostics: Iterable[Diagnostic]) -> str:
    return "\n".join(diagnostic_text(source, d) for d in diagnostics)
