"""A real PostgreSQL for the backend's tests: one throwaway server per session.

The server is started by the suite itself (tests/pg_server.py), so `make test` needs no
setup; `ECHOER_TEST_PG_URL` points the tests at a server that is already running
instead (as `.ci/with-postgres` and a CI service container provide). Without the
binaries the tests are skipped with the reason, except in CI (the `CI` environment
variable is set), where a missing PostgreSQL fails the run: a backend that CI never
exercised must not pass as tested. Each test gets its own schema, so tests never see
each other's rows or notifications."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from echoer_tui.storage.postgres import PostgresStore
from tests.pg_server import URL_VARIABLE, PgUnavailable, start_server

_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    """The URL of the session's database (a throwaway server unless one is given)."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    try:
        server = start_server()
    except PgUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI (CI is set): {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield server.dsn()
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_base_url: str) -> str:
    """A store URL of a fresh, empty schema in the session's database."""
    schema = f"test_{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(pg_base_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in pg_base_url else "?"
    return f"{pg_base_url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[PostgresStore]:
    store = await PostgresStore.open(pg_url)
    yield store
    await store.close()
