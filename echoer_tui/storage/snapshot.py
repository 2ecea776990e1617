"""Snapshots: one TinyDB-format JSON file per kind, the store's readable form at rest.

`flowrun.json` is `{"_default": {"1": {...}, "2": {...}}, "_echoer": {"1": {"kind":
"flowrun", "seq": N}}}`: `tinydb.TinyDB("flowrun.json").all()` lists the flow runs,
and the `_echoer` table says up to which journal seq the file is complete, so that
at open the journal replays only what came after it, kind by kind. Each file is
replaced atomically (temp + fsync + rename, then a directory fsync by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from echoer_tui.errors import CorruptStoreError
from echoer_tui.storage.files import byte_offset, write_file_atomic
from echoer_tui.storage.memory import KIND_PATTERN
from echoer_tui.storage.repository import Resource

DOCUMENTS_TABLE = "_default"
META_TABLE = "_echoer"
FORMAT = 1
CHUNK_DOCUMENTS = 500
"""Documents encoded per orjson call: small enough that the encoding thread lets the
event loop run between chunks (orjson holds the GIL for a whole call)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One kind's resources as of `seq`."""

    kind: str
    seq: int
    resources: dict[str, Resource]
    size: int


def snapshot_path(directory: Path, kind: str) -> Path:
    return directory / f"{kind}.json"


def list_snapshots(directory: Path) -> list[Path]:
    """Files that are snapshots by their name (`<kind>.json`)."""
    return sorted(p for p in directory.glob("*.json") if KIND_PATTERN.match(p.stem))


def write_snapshot(directory: Path, kind: str, seq: int, resources: dict[str, Resource]) -> int:
    """Replace `<kind>.json` with `resources` as of `seq`; returns the file size."""
    chunks = [b'{"' + DOCUMENTS_TABLE.encode() + b'":{']
    names = sorted(resources)
    for start in range(0, len(names), CHUNK_DOCUMENTS):
        part = names[start : start + CHUNK_DOCUMENTS]
        # One orjson call per chunk: the dict keys are the TinyDB document ids.
        body = orjson.dumps({str(start + i + 1): resources[n] for i, n in enumerate(part)})
        chunks.append((b"," if start else b"") + body[1:-1])
    meta = {"1": {"kind": kind, "seq": seq, "format": FORMAT}}
    chunks.append(b'},"' + META_TABLE.encode() + b'":' + orjson.dumps(meta) + b"}")
    return write_file_atomic(snapshot_path(directory, kind), chunks)


def read_snapshot(path: Path) -> Snapshot:
    """Load one snapshot; CorruptStoreError with the path and byte offset if it is bad."""
    data = path.read_bytes()
    kind = path.stem

    def bad(offset: int, why: str) -> CorruptStoreError:
        return CorruptStoreError(
            f"{path}: {why} at byte {offset}; the store was not opened and the file was "
            "left as it is (restore it, or move it away to start that kind afresh)"
        )

    try:
        body: Any = orjson.loads(data) if data.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise bad(byte_offset(data, exc.pos), f"not valid JSON ({exc.msg})") from None
    if not isinstance(body, dict):
        raise bad(0, "not a TinyDB document (expected an object of tables)")
    seq = 0
    meta_table = body.get(META_TABLE)
    if meta_table is not None:
        meta = meta_table.get("1") if isinstance(meta_table, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("seq"), int):
            raise bad(_find(data, META_TABLE), f"table {META_TABLE} has no seq")
        seq = meta["seq"]
    table = body.get(DOCUMENTS_TABLE, {})
    if not isinstance(table, dict):
        raise bad(_find(data, DOCUMENTS_TABLE), f"table {DOCUMENTS_TABLE} is not an object")
    resources: dict[str, Resource] = {}
    for doc_id, resource in table.items():
        meta = resource.get("metadata") if isinstance(resource, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        where = _find(data, doc_id)
        if not isinstance(name, str) or not name or meta is None:
            raise bad(where, f"document {doc_id} has no metadata.name")
        if meta.get("kind") != kind:
            raise bad(where, f"document {doc_id} is of kind {meta.get('kind')!r}, not {kind!r}")
        if name in resources:
            raise bad(where, f"document {doc_id} repeats the name {name!r}")
        resources[name] = resource
    return Snapshot(kind, seq, resources, len(data))


def _find(data: bytes, key: str) -> int:
    """Roughly where a key is in the file, for the error message."""
    at = data.find(orjson.dumps(key) + b":")
    return max(at, 0)


def stale_temp_files(directory: Path) -> list[Path]:
    """Leftovers of writes a crash interrupted (`.<name>.tmp`)."""
    return sorted(directory.glob(".*.tmp"))
