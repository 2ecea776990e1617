"""The session's throwaway PostgreSQL server (shared with tests/unit/postgres)."""

from __future__ import annotations

import sys

import tests.pg_server

# The postgres conftest imports `pg_server` as a top-level module (tests/ on sys.path);
# give it the same module under that name however this folder was imported.
sys.modules.setdefault("pg_server", tests.pg_server)

from tests.unit.postgres.conftest import pg_base_url, pg_url  # noqa: E402

__all__ = ["pg_base_url", "pg_url"]
