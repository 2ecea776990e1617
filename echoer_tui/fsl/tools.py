"""`echoer fmt`: the language toolchain on files, offline (and the file reading that
`echoer check`, in echoer_tui.checking, shares with it).

Kept light on purpose (no Textual, no engine, no store): these run in CI and in
editors' save hooks, where start-up time is felt.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from echoer_tui.errors import EchoerError, FslSyntaxError, NotFoundError
from echoer_tui.fsl.formatter import format_text

MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""The largest FSL file read; a bigger one is surely not FSL (and would stall the reader)."""


def read_fsl_file(path: str) -> str:
    """The text of an FSL file, or a NotFoundError / EchoerError that says, naming the path,
    why it cannot be: missing, not a regular file (a directory, a device such as
    /dev/urandom, a pipe — reading those may never end), over MAX_SOURCE_BYTES, unreadable,
    or not UTF-8."""
    file = Path(path).expanduser()
    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise EchoerError(f"{path}: is a directory, not an FSL file", field="path")
        if not stat.S_ISREG(info.st_mode):
            raise EchoerError(
                f"{path}: not a regular file (a device, pipe or socket); "
                "echoer reads FSL from regular files only",
                field="path",
            )
        if info.st_size > MAX_SOURCE_BYTES:
            raise EchoerError(_too_big(path, info.st_size), field="path")
        with file.open("rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:  # it grew while we looked
            raise EchoerError(_too_big(path, len(data)), field="path")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file", field="path") from None
    except PermissionError:
        raise EchoerError(f"{path}: permission denied", field="path") from None
    except UnicodeDecodeError as error:
        raise EchoerError(f"{path}: not UTF-8 text (byte {error.start})", field="path") from None
    except OSError as error:
        raise EchoerError(f"{path}: cannot be read ({error.strerror})", field="path") from None


def _too_big(path: str, size: int) -> str:
    return (
        f"{path}: {size} bytes, over the {MAX_SOURCE_BYTES // (1024 * 1024)} MiB limit "
        "for an FSL file"
    )


def read_source(path: str, err: TextIO) -> str | None:
    """The file's text, or None after telling `err` in one line why it cannot be read."""
    try:
        return read_fsl_file(path)
    except EchoerError as error:
        print(error.message, file=err)
        return None


def for_each_source(paths: Sequence[str], handle: Callable[[str, str], bool], err: TextIO) -> int:
    """The file loop of `echoer check` and `echoer fmt`: `handle(path, text)` for each file
    that can be read (it answers whether the file passed); an unreadable file is told to
    `err` in one line. Exit status 1 when any file was unreadable or did not pass."""
    status = 0
    for path in paths:
        text = read_source(path, err)
        if text is None or not handle(path, text):
            status = 1
    return status


def _write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves either the old or the new file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):  # keep the file's mode where we can
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def format_files(
    paths: Sequence[str],
    check_only: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Rewrite each file in the canonical layout (or, with check_only, list those that
    would change). Exit status 1 when a file would change (check_only) or cannot be
    formatted; files that do not parse are left untouched."""
    out = out or sys.stdout
    err = err or sys.stderr

    def format_one(path: str, text: str) -> bool:
        try:
            formatted = format_text(text)
        except FslSyntaxError as error:
            print(f"{path}: not formatted: {error.message}", file=err)
            return False
        if formatted == text:
            return True
        if check_only:
            print(f"{path}: would be reformatted", file=out)
            return False
        try:
            _write_atomically(Path(path), formatted)
        except OSError as error:
            print(f"{path}: cannot be written ({error.strerror})", file=err)
            return False
        print(f"{path}: reformatted", file=out)
        return True

    return for_each_source(paths, format_one, err)
