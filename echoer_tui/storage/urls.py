"""Store URLs: one string (`--store`, `ECHOER_STORE`, `echoer migrate`) names a backend.

- `tinydb://DIR` or a plain path: the embedded journal + TinyDB store in DIR
  (`tinydb:///abs/dir` and `tinydb://~/dir` work too);
- `postgresql://user@host:port/db` (or `postgres://…`): the shared PostgreSQL store;
- `memory://`: a store that forgets everything on exit.

The PostgreSQL backend is imported only when asked for, so the embedded store does not
pay for loading the database driver.
"""

from __future__ import annotations

import re
from pathlib import Path

from echoer_tui.errors import StoreError
from echoer_tui.storage.memory import MemoryStore
from echoer_tui.storage.repository import Repository
from echoer_tui.storage.store import open_store

POSTGRES_SCHEMES = ("postgresql", "postgres")


async def open_store_url(url: str) -> Repository:
    """Open the store a URL names (StoreError for an unknown scheme or a bad URL)."""
    if not url.strip():
        raise StoreError("the store URL is empty; use tinydb://DIR, postgresql://… or memory://")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return await open_store(Path(url).expanduser())
    scheme = scheme.lower()
    if scheme == "tinydb":
        if not rest:
            raise StoreError("tinydb:// needs a directory, e.g. tinydb://~/.local/share/echoer")
        return await open_store(Path(rest).expanduser())
    if scheme in POSTGRES_SCHEMES:
        from echoer_tui.storage.postgres import PostgresStore

        return await PostgresStore.open(url)
    if scheme == "memory":
        return MemoryStore()
    raise StoreError(
        f"unknown store URL {redact_url(url)!r}: use tinydb://DIR, postgresql://… or memory://"
    )


def redact_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***, fit for messages and logs."""
    url = re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, hostpart = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostpart}"
