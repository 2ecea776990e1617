"""The few file-system moves that make a write durable.

A rename is only durable once the directory holding it is fsync'd, and a new file is
only durable once its data and its directory entry are; these helpers do both, and
create every file owner-only (0o600) because flow runs carry their args and secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"
SYNC_EVERY = 8 * 1024 * 1024
"""A large file is fsync'd as it is written, so that no single flush holds up the
journal's fsyncs on the same disk for long."""


def fsync_dir(directory: Path) -> None:
    """Make the directory's entries (new, renamed, removed files) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a regular file may take fewer at a time)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def temp_path(path: Path) -> Path:
    """Where `path` is written before its rename; a leftover one is stale at open."""
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


def write_file_atomic(path: Path, chunks: list[bytes]) -> int:
    """Replace `path` with `chunks` all or nothing: temp + fsync + rename.

    The caller fsyncs the directory once after a set of renames. Returns the size.
    """
    temp = temp_path(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    size = unsynced = 0
    try:
        for chunk in chunks:
            write_all(fd, chunk)
            size += len(chunk)
            unsynced += len(chunk)
            if unsynced >= SYNC_EVERY:
                os.fdatasync(fd)
                unsynced = 0
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temp, path)
    return size


def byte_offset(data: bytes, char_pos: int) -> int:
    """The byte offset of a decoder's character position (they differ past non-ASCII)."""
    return len(data.decode("utf-8", "replace")[:char_pos].encode("utf-8"))
