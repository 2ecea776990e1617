"""One process owns a data directory at a time.

Two echoer processes appending to one journal would interleave records and corrupt
it, so the store takes an exclusive `flock` on `echoer.lock` for as long as it is
open. The kernel drops the lock when the process dies, even by SIGKILL, so a crash
never leaves a directory locked. The file records the holder's pid so that a second
opener can say who is in the way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from echoer_tui.errors import StoreError, StoreLockedError

LOCK_NAME = "echoer.lock"
FILE_MODE = 0o600


class DirectoryLock:
    """An exclusive, process-wide claim on a data directory."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> DirectoryLock:
        """Take the lock or raise StoreLockedError naming the holder's pid."""
        path = data_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        except OSError as exc:
            raise StoreError(f"cannot open the lock file {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise StoreLockedError(
                f"the data directory {data_dir} is in use by {who} (pid {holder or '?'}); "
                "stop that echoer first or choose another --data-dir"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Give the directory back (also done by the OS when the process dies)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):  # the lock goes with the descriptor anyway
            os.ftruncate(fd, 0)
        os.close(fd)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
