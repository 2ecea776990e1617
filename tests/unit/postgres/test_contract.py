"""The storage engineer's Repository and watch contract, run as written on PostgresStore.

The test functions are theirs (imported, not copied); only the fixtures they ask for
(`repo`, `store`) are provided here, as a PostgresStore on a fresh schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from storage.test_repository import (
    test_a_closed_store_refuses_writes,
    test_a_commit_sees_its_own_earlier_writes,
    test_a_failing_write_leaves_the_whole_commit_undone,
    test_a_malformed_resource_is_refused_with_the_reason,
    test_a_stale_write_is_refused_and_changes_nothing,
    test_create_sets_uuid_once_and_each_write_grows_the_version,
    test_creating_a_name_that_exists_is_refused,
    test_delete_checks_the_version_when_given,
    test_every_kind_round_trips_through_the_model,
    test_list_filters_by_prefix_and_labels_sorted_by_name,
    test_readers_get_copies_they_may_change,
    test_updating_a_missing_resource_is_refused,
)
from storage.test_watch import (
    test_a_stalled_watcher_blocks_no_commit_and_catches_up,
    test_a_watcher_beyond_the_backlog_ends_with_a_clear_error,
    test_a_watcher_gets_copies_and_the_deleted_resource,
    test_close_ends_every_watch,
    test_many_watchers_each_see_every_change_in_order,
)

from echoer_tui.storage import Repository
from echoer_tui.storage.postgres import PostgresStore

__all__ = [
    "test_a_closed_store_refuses_writes",
    "test_a_commit_sees_its_own_earlier_writes",
    "test_a_failing_write_leaves_the_whole_commit_undone",
    "test_a_malformed_resource_is_refused_with_the_reason",
    "test_a_stale_write_is_refused_and_changes_nothing",
    "test_a_stalled_watcher_blocks_no_commit_and_catches_up",
    "test_a_watcher_beyond_the_backlog_ends_with_a_clear_error",
    "test_a_watcher_gets_copies_and_the_deleted_resource",
    "test_close_ends_every_watch",
    "test_create_sets_uuid_once_and_each_write_grows_the_version",
    "test_creating_a_name_that_exists_is_refused",
    "test_delete_checks_the_version_when_given",
    "test_every_kind_round_trips_through_the_model",
    "test_list_filters_by_prefix_and_labels_sorted_by_name",
    "test_many_watchers_each_see_every_change_in_order",
    "test_readers_get_copies_they_may_change",
    "test_updating_a_missing_resource_is_refused",
]


@pytest.fixture
async def repo(pg_store: PostgresStore) -> AsyncIterator[Repository]:
    assert isinstance(pg_store, Repository)
    yield pg_store


@pytest.fixture
async def store(pg_store: PostgresStore) -> AsyncIterator[PostgresStore]:
    yield pg_store
