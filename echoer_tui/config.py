"""Where echoer keeps its data and where it listens: flags, then environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from echoer_tui.errors import EchoerError

DEFAULT_LISTEN = "127.0.0.1:8080"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class Listen:
    """A HOST:PORT the API binds to."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise EchoerError(
                f"--listen {text!r}: expected HOST:PORT, for example {DEFAULT_LISTEN}"
            )
        return cls(host.strip("[]") or "127.0.0.1", int(port))

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def user_data_dir() -> Path:
    """The platform's per-user data directory for echoer."""
    from platformdirs import user_data_path

    return user_data_path("echoer", appauthor=False)


def user_state_dir() -> Path:
    """Where shell history and similar per-user state live."""
    from platformdirs import user_state_path

    return user_state_path("echoer", appauthor=False)


def private_state_dir() -> Path:
    """The user state directory, created owner-only: shell history may hold FSL secrets."""
    directory = user_state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    return directory


def private_file(path: Path) -> Path:
    """`path`, created empty with owner-only permissions if missing, and made owner-only."""
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return path


def resolve_data_dir(flag: str | None) -> Path:
    """--data-dir, else ECHOER_DATA_DIR, else the platform's user data directory."""
    chosen = flag or os.environ.get("ECHOER_DATA_DIR")
    return Path(chosen).expanduser() if chosen else user_data_dir()


def resolve_listen(flag: str | None) -> Listen:
    """--listen, else ECHOER_LISTEN, else 127.0.0.1:8080 (the original's port)."""
    return Listen.parse(flag or os.environ.get("ECHOER_LISTEN") or DEFAULT_LISTEN)


def resolve_token(flag: str | None) -> str | None:
    """--token, else ECHOER_TOKEN; None means no bearer token is required."""
    return flag or os.environ.get("ECHOER_TOKEN") or None


def resolve_store(flag: str | None) -> str | None:
    """--store, else ECHOER_STORE: a store URL (storage.urls); None means the data dir's store."""
    return flag or os.environ.get("ECHOER_STORE") or None
