"""The append-only journal: one orjson line per commit, fsync'd before it is acknowledged.

A record is `{"seq": <seq of its first change>, "changes": [{"op", "kind", "name",
"resource"}, …]}`; the changes of one commit carry consecutive seqs. Replaying a record
sets or removes whole resources, so replaying it twice is harmless: records that a
snapshot already holds are skipped by seq, not undone.

The journal is a series of segment files `journal-<first seq>.log`. Compaction starts
a new segment, writes the snapshots, then removes the older segments; until then a
crash simply replays them.

At open a last line without its newline (a write cut short by a crash, never
acknowledged because its fsync never returned) is dropped. A bad line anywhere else
was not written by us: it is reported with the file and byte offset, and nothing is
changed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from echoer_tui.errors import CorruptStoreError
from echoer_tui.storage.files import FILE_MODE, byte_offset, fsync_dir, write_all
from echoer_tui.storage.memory import KIND_PATTERN, Logged, Stored
from echoer_tui.storage.repository import Change

SEGMENT_PREFIX = "journal-"
SEGMENT_SUFFIX = ".log"


def segment_path(directory: Path, first_seq: int) -> Path:
    return directory / f"{SEGMENT_PREFIX}{first_seq:020d}{SEGMENT_SUFFIX}"


def list_segments(directory: Path) -> list[Path]:
    """Segment files in seq order."""
    found = []
    for path in directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}"):
        digits = path.name[len(SEGMENT_PREFIX) : -len(SEGMENT_SUFFIX)]
        if digits.isdigit():
            found.append((int(digits), path))
    return [path for _, path in sorted(found)]


def _first_seq(path: Path) -> int:
    return int(path.name[len(SEGMENT_PREFIX) : -len(SEGMENT_SUFFIX)])


def encode_record(changes: Sequence[Change]) -> bytes:
    """One commit as one journal line (with its newline)."""
    return encode_logged(
        [
            Logged(
                c.seq, c.op, c.kind, c.name, None if c.resource is None else Stored.of(c.resource)
            )
            for c in changes
        ]
    )


def encode_logged(changes: Sequence[Logged]) -> bytes:
    """One commit as one journal line, from the store's entries.

    Each resource is already JSON bytes (`Stored.blob`), so the line is joined around
    them rather than encoded again (a flow run is 5 KB; this was a second full pass).
    """
    parts = [b'{"seq":%d,"changes":[' % changes[0].seq]
    for i, c in enumerate(changes):
        parts.append(
            b'%s{"op":"%s","kind":%s,"name":%s,"resource":%s}'
            % (
                b"," if i else b"",
                c.op.encode(),
                orjson.dumps(c.kind),
                orjson.dumps(c.name),
                c.entry.blob if c.entry is not None else b"null",
            )
        )
    parts.append(b"]}\n")
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class Record:
    """One replayed commit and where its line starts."""

    path: Path
    offset: int
    changes: tuple[Change, ...]

    @property
    def first_seq(self) -> int:
        return self.changes[0].seq

    @property
    def last_seq(self) -> int:
        return self.changes[-1].seq


@dataclass(frozen=True, slots=True)
class Segment:
    """A scanned segment: its records and how many bytes of it are whole lines."""

    path: Path
    records: tuple[Record, ...]
    good_length: int
    size: int

    @property
    def torn(self) -> bool:
        return self.good_length < self.size


def read_segment(path: Path) -> Segment:
    """Parse every line; CorruptStoreError (path, byte offset) on a bad complete line."""
    data = path.read_bytes()
    records: list[Record] = []
    pos = 0
    good = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end == -1:
            break  # a write cut short: never acknowledged
        line = data[pos:end]
        if line.strip(b" \t\r"):
            if not line.strip(b"\0 \t\r") and not data[end:].strip(b"\0\n \t\r"):
                break  # a zero-filled tail left by a crash of the machine
            records.append(_decode(path, pos, line))
        pos = end + 1
        good = pos
    return Segment(path, tuple(records), good, len(data))


def _decode(path: Path, offset: int, line: bytes) -> Record:
    def bad(why: str) -> CorruptStoreError:
        return CorruptStoreError(
            f"{path}: the journal record at byte {offset} {why}; the store was not opened "
            "and nothing was changed (move the file away to open the rest)"
        )

    try:
        body: Any = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        at = offset + byte_offset(line, exc.pos)
        raise bad(f"is not valid JSON ({exc.msg} at byte {at})") from None
    if not isinstance(body, dict):
        raise bad("is not an object")
    seq, raw = body.get("seq"), body.get("changes")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise bad("has no positive seq")
    if not isinstance(raw, list) or not raw:
        raise bad("has no changes")
    changes = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bad(f"has change {i} that is not an object")
        op, kind, name, resource = (item.get(k) for k in ("op", "kind", "name", "resource"))
        if op not in ("put", "delete"):
            raise bad(f"has change {i} with op {op!r} (expected put or delete)")
        if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
            raise bad(f"has change {i} with kind {kind!r}")
        if not isinstance(name, str) or not name:
            raise bad(f"has change {i} without a name")
        if op == "put" and not _names(resource, kind, name):
            raise bad(f"has change {i} whose resource is not {kind} {name!r}")
        changes.append(Change(seq + i, op, kind, name, resource))
    return Record(path, offset, tuple(changes))


def _names(resource: Any, kind: str, name: str) -> bool:
    if not isinstance(resource, dict):
        return False
    meta = resource.get("metadata")
    return isinstance(meta, dict) and meta.get("kind") == kind and meta.get("name") == name


class JournalWriter:
    """Appends to the current segment. Runs only on the store's single I/O thread."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path: Path | None = None
        self._fd: int | None = None

    def open(self, path: Path, keep_bytes: int | None = None) -> None:
        """Append to `path` (created if missing), cut to `keep_bytes` if given."""
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
        if keep_bytes is not None:
            os.ftruncate(fd, keep_bytes)
            os.fsync(fd)
        if created:
            fsync_dir(self.directory)
        self.close()
        self.path, self._fd = path, fd

    def append(self, data: bytes) -> None:
        """Write whole lines and fsync: on return they survive a crash."""
        assert self._fd is not None, "the journal is not open"
        write_all(self._fd, data)
        os.fsync(self._fd)

    def rotate(self, first_seq: int) -> list[Path]:
        """Start segment `first_seq`; return the segments before it (for compaction)."""
        older = [p for p in list_segments(self.directory) if _first_seq(p) < first_seq]
        self.open(segment_path(self.directory, first_seq))
        return older

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
