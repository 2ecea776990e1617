"""Snapshots: one TinyDB-format JSON file per kind, the store's readable form at rest.

`flowrun.json` is `{"_default": {"1": {...}, "2": {...}}, "_echoer": {"1": {"kind":
"flowrun", "seq": N}}}`: `tinydb.TinyDB("flowrun.json").all()` lists the flow runs,
and the `_echoer` table says up to which journal seq the file is complete, so that
at open the journal replays only what came after it, kind by kind. Each file is
replaced atomically (temp + fsync + rename, then a directory fsync by the caller).

We write one document per line, so that open can take each document's bytes as they
are (checking each with one small parse) instead of building the whole file as
objects. A file in any other layout (say, saved by TinyDB itself) is read the slow
way, and the next compaction writes it back in ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from echoer_tui.errors import CorruptStoreError
from echoer_tui.storage.files import byte_offset, write_file_atomic
from echoer_tui.storage.memory import KIND_PATTERN, Stored

DOCUMENTS_TABLE = "_default"
META_TABLE = "_echoer"
FORMAT = 1
HEAD = b'{"_default":{'
TAIL = b'},"_echoer":'
DOC_LINE = re.compile(rb'"[0-9]+":')


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One kind's resources as of `seq`."""

    kind: str
    seq: int
    entries: dict[str, Stored]
    size: int


def snapshot_path(directory: Path, kind: str) -> Path:
    return directory / f"{kind}.json"


def list_snapshots(directory: Path) -> list[Path]:
    """Files that are snapshots by their name (`<kind>.json`)."""
    return sorted(p for p in directory.glob("*.json") if KIND_PATTERN.match(p.stem))


def write_snapshot(directory: Path, kind: str, seq: int, table: Mapping[str, Stored]) -> int:
    """Replace `<kind>.json` with `table` as of `seq`; returns the file size.

    The documents are already JSON bytes: writing is joining, no encoding.
    """
    lines = [HEAD]
    names = sorted(table)
    for doc_id, name in enumerate(names, 1):
        lines.append(
            b'"%d":%s%s' % (doc_id, table[name].blob, b"," if doc_id < len(names) else b"")
        )
    meta = {"1": {"kind": kind, "seq": seq, "format": FORMAT}}
    lines.append(TAIL + orjson.dumps(meta) + b"}")
    chunks = [b"\n".join(lines[i : i + 1000]) + b"\n" for i in range(0, len(lines), 1000)]
    return write_file_atomic(snapshot_path(directory, kind), chunks)


def read_snapshot(path: Path) -> Snapshot:
    """Load one snapshot; CorruptStoreError with the path and byte offset if it is bad."""
    data = path.read_bytes()
    fast = _read_our_layout(path.stem, data)
    if fast is not None:
        return fast
    return _read_any_layout(path, data)


def _read_our_layout(kind: str, data: bytes) -> Snapshot | None:
    """One document per line, as write_snapshot lays it out; None if the file is not so."""
    lines = data.split(b"\n")
    if len(lines) < 3 or lines[0] != HEAD or lines[-1] != b"" or not lines[-2].startswith(TAIL):
        return None
    entries: dict[str, Stored] = {}
    docs = lines[1:-2]
    try:
        for i, line in enumerate(docs):
            match = DOC_LINE.match(line)
            last = i == len(docs) - 1
            if match is None or line.endswith(b",") == last:
                return None
            blob = line[match.end() : None if last else -1]
            resource = orjson.loads(blob)
            meta = resource.get("metadata") if isinstance(resource, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            if (
                not isinstance(meta, dict)
                or not isinstance(name, str)
                or meta.get("kind") != kind
                or name in entries
            ):
                return None  # the slow path says exactly what is wrong
            entries[name] = Stored.of_meta(blob, meta, resource.get("spec"))
        tail = orjson.loads(b"{" + lines[-2][2:])
    except orjson.JSONDecodeError:
        return None
    seq = _seq_of(tail)
    return None if seq is None else Snapshot(kind, seq, entries, len(data))


def _seq_of(body: dict[str, Any]) -> int | None:
    meta_table = body.get(META_TABLE)
    if meta_table is None:
        return 0
    meta = meta_table.get("1") if isinstance(meta_table, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("seq"), int):
        return None
    seq: int = meta["seq"]
    return seq


def _read_any_layout(path: Path, data: bytes) -> Snapshot:
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
    seq = _seq_of(body)
    if seq is None:
        raise bad(_find(data, META_TABLE), f"table {META_TABLE} has no seq")
    table = body.get(DOCUMENTS_TABLE, {})
    if not isinstance(table, dict):
        raise bad(_find(data, DOCUMENTS_TABLE), f"table {DOCUMENTS_TABLE} is not an object")
    entries: dict[str, Stored] = {}
    for doc_id, resource in table.items():
        meta = resource.get("metadata") if isinstance(resource, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name or meta is None:
            raise bad(_find(data, doc_id), f"document {doc_id} has no metadata.name")
        if meta.get("kind") != kind:
            raise bad(
                _find(data, doc_id),
                f"document {doc_id} is of kind {meta.get('kind')!r}, not {kind!r}",
            )
        if name in entries:
            raise bad(_find(data, doc_id), f"document {doc_id} repeats the name {name!r}")
        entries[name] = Stored.of(resource)
    return Snapshot(kind, seq, entries, len(data))


def _find(data: bytes, key: str) -> int:
    """Roughly where a key is in the file, for the error message."""
    at = data.find(orjson.dumps(key) + b":")
    return max(at, 0)


def stale_temp_files(directory: Path) -> list[Path]:
    """Leftovers of writes a crash interrupted (`.<name>.tmp`)."""
    return sorted(directory.glob(".*.tmp"))
