"""`echoer fmt`: the language toolchain on files, offline (and the file reading that
`echoer check`, in echoer_tui.checking, shares with it).

Kept light on purpose (no Textual, no engine, no store): these run in CI and in
editors' save hooks, where start-up time is felt.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from echoer_tui.errors import FslSyntaxError
from echoer_tui.fsl.formatter import format_text


def read_source(path: str, err: TextIO) -> str | None:
    """The file's text, or None after telling `err` in one line why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"{path}: no such file", file=err)
    except IsADirectoryError:
        print(f"{path}: is a directory, not an FSL file", file=err)
    except PermissionError:
        print(f"{path}: permission denied", file=err)
    except UnicodeDecodeError as error:
        print(f"{path}: not UTF-8 text (byte {error.start})", file=err)
    except OSError as error:
        print(f"{path}: cannot be read ({error.strerror})", file=err)
    return None


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
    status = 0
    for path in paths:
        text = read_source(path, err)
        if text is None:
            status = 1
            continue
        try:
            formatted = format_text(text)
        except FslSyntaxError as error:
            print(f"{path}: not formatted: {error.message}", file=err)
            status = 1
            continue
        if formatted == text:
            continue
        if check_only:
            print(f"{path}: would be reformatted", file=out)
            status = 1
            continue
        try:
            _write_atomically(Path(path), formatted)
        except OSError as error:
            print(f"{path}: cannot be written ({error.strerror})", file=err)
            status = 1
            continue
        print(f"{path}: reformatted", file=out)
    return status
