"""The storage summaries contract (tests/unit/storage/test_summaries.py) on PostgresStore."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from storage.test_summaries import (
    test_each_kind_summary_holds_its_list_fields_and_matches_the_resource,
    test_readers_get_summaries_they_may_change,
    test_summaries_select_as_list_does_and_follow_updates,
)

from echoer_tui.storage import Repository
from echoer_tui.storage.postgres import PostgresStore

__all__ = [
    "test_each_kind_summary_holds_its_list_fields_and_matches_the_resource",
    "test_readers_get_summaries_they_may_change",
    "test_summaries_select_as_list_does_and_follow_updates",
]


@pytest.fixture
async def repo(pg_store: PostgresStore) -> AsyncIterator[Repository]:
    assert isinstance(pg_store, Repository)
    yield pg_store
