"""The session's throwaway PostgreSQL server (shared with tests/unit/postgres)."""

from __future__ import annotations

from tests.unit.postgres.conftest import pg_base_url, pg_url

__all__ = ["pg_base_url", "pg_url"]
