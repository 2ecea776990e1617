"""The embedded durable store: the in-memory index, a journal, and TinyDB snapshots.

Why this shape: plain TinyDB rewrites its whole file on every write (cost grows with
the store, and a crash mid-rewrite truncates it). Here a commit is checked against
memory, appended to the journal as one line and fsync'd, and only then applied and
acknowledged; its cost does not depend on how much is stored. Commits that arrive
while an fsync is running share the next one (group commit). The fsync runs on a
dedicated thread, so the event loop never waits on the disk.

When the journal outgrows the snapshots, compaction starts a new journal segment,
writes the kinds that changed as TinyDB files on another thread (in chunks, so the
event loop keeps running), and removes the segments they cover; its cost is spread
over the writes that filled the journal, so a write's amortised cost stays flat.
`close()` compacts, so a store at rest is plain TinyDB files.

At open: snapshots load, the journal replays what came after them, a half-written
last line and stale temp files are dropped. Anything else that does not read back is
reported as CorruptStoreError (path and byte offset) and nothing on disk is touched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from echoer_tui.errors import CorruptStoreError, StoreError
from echoer_tui.heap import gc_paused
from echoer_tui.storage.files import DIR_MODE, fsync_dir
from echoer_tui.storage.journal import (
    JournalWriter,
    Segment,
    encode_logged,
    list_segments,
    read_segment,
    segment_path,
)
from echoer_tui.storage.lock import DirectoryLock
from echoer_tui.storage.memory import WATCH_BACKLOG, Logged, MemoryStore, Stored
from echoer_tui.storage.repository import Resource, Write
from echoer_tui.storage.snapshot import (
    list_snapshots,
    read_snapshot,
    stale_temp_files,
    write_snapshot,
)

COMPACT_MIN_BYTES = 16 * 1024 * 1024
"""Compact once the journal holds this much and at least as much as the snapshots."""

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(eq=False)
class _Pending:
    """A staged commit waiting for its fsync."""

    changes: list[Logged]
    line: bytes
    done: asyncio.Future[None]


@dataclass
class _Recovered:
    """What open found on disk, before anything on disk is changed."""

    tables: dict[str, dict[str, Stored]] = field(default_factory=dict)
    snapshot_sizes: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    replayed: deque[Logged] = field(default_factory=lambda: deque(maxlen=WATCH_BACKLOG))
    replayed_kinds: set[str] = field(default_factory=set)
    last_segment: Segment | None = None
    journal_bytes: int = 0


class JournalStore(MemoryStore):
    """A Repository whose acknowledged writes survive a kill -9 at any instant."""

    def __init__(self, directory: Path, lock: DirectoryLock, compact_bytes: int) -> None:
        super().__init__()
        self.directory = directory
        self._dir_lock = lock
        self._compact_bytes = compact_bytes
        self._io = ThreadPoolExecutor(1, thread_name_prefix="echoer-journal")
        self._compactor = ThreadPoolExecutor(1, thread_name_prefix="echoer-compact")
        self._writer = JournalWriter(directory)
        self._queue: list[_Pending] = []
        self._queued = asyncio.Event()
        self._io_lock = asyncio.Lock()
        """Held while a group is written and applied, so compaction cuts between groups."""
        self._flusher: asyncio.Task[None] | None = None
        self._compaction: asyncio.Task[None] | None = None
        self._failure: StoreError | None = None
        self._closing = False
        self._journal_bytes = 0
        self._snapshot_sizes: dict[str, int] = {}
        self._dirty: set[str] = set()
        """Kinds changed since the journal segment the next snapshot will retire."""

    # --- open --------------------------------------------------------------------------
    @classmethod
    async def open(cls, data_dir: Path, *, compact_bytes: int = COMPACT_MIN_BYTES) -> JournalStore:
        directory = Path(data_dir).expanduser()
        _make_private_dir(directory)
        lock = DirectoryLock.acquire(directory)
        store: JournalStore | None = None
        try:
            recovered = await asyncio.to_thread(_recover, directory)
            store = cls(directory, lock, compact_bytes)
            store._restore(recovered)
            await store._run(store._io, store._start_journal, recovered.last_segment)
        except BaseException:
            if store is not None:
                store._stop_threads()
            lock.release()
            raise
        store._flusher = asyncio.create_task(store._flush_loop(), name="echoer-journal")
        return store

    def _restore(self, recovered: _Recovered) -> None:
        self._data = recovered.tables
        self._seq = self._reserved = recovered.seq
        self._backlog.extend(recovered.replayed)
        self._dirty = set(recovered.replayed_kinds)
        self._snapshot_sizes = dict(recovered.snapshot_sizes)
        self._journal_bytes = recovered.journal_bytes

    def _start_journal(self, last: Segment | None) -> None:
        """Clean up after a crash (only once everything read back) and open the journal."""
        for temp in stale_temp_files(self.directory):
            temp.unlink(missing_ok=True)
        if last is not None:
            if last.torn:
                log.warning(
                    "%s: dropped %d bytes of a journal record cut short by a crash",
                    last.path,
                    last.size - last.good_length,
                )
            self._writer.open(last.path, last.good_length if last.torn else None)
        else:
            self._writer.open(segment_path(self.directory, self._seq + 1))
        fsync_dir(self.directory)

    # --- writes ------------------------------------------------------------------------
    async def commit(self, writes: Sequence[Write]) -> list[Resource | None]:
        self._check_writable()
        changes, results = self._stage(writes)
        if not changes:
            return results
        pending = _Pending(
            changes, encode_logged(changes), asyncio.get_running_loop().create_future()
        )
        self._queue.append(pending)
        self._queued.set()
        # If the caller is cancelled, this future is cancelled but the commit still lands
        # (or fails) as a whole: the flusher applies it regardless.
        await pending.done
        return results

    def _check_writable(self) -> None:
        if self._failure is not None:
            raise StoreError(self._failure.message)
        if self._closing:
            raise StoreError("the store is closed")
        super()._check_writable()

    async def _flush_loop(self) -> None:
        """Write queued commits a group at a time: one write, one fsync, then acknowledge."""
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._queued.clear()
                await self._queued.wait()
                continue
            async with self._io_lock:
                group, self._queue = self._queue, []
                data = b"".join(p.line for p in group)
                try:
                    await self._run(self._io, self._writer.append, data)
                except Exception as exc:
                    self._fail(exc, group)
                    return
                for pending in group:
                    self._apply(pending.changes)
                    self._dirty.update(c.kind for c in pending.changes)
                    if not pending.done.done():
                        pending.done.set_result(None)
                self._journal_bytes += len(data)
                if self._compaction is None and self._journal_bytes >= max(
                    self._compact_bytes, sum(self._snapshot_sizes.values())
                ):
                    await self._start_compaction()

    def _fail(self, exc: Exception, group: list[_Pending]) -> None:
        self._failure = StoreError(
            f"cannot write the journal in {self.directory}: {exc}; the store stopped taking "
            "writes so that what it holds stays consistent (every acknowledged write is on "
            "disk); restart echoer once the disk is fixed"
        )
        for pending in [*group, *self._queue]:
            if not pending.done.done():
                pending.done.set_exception(StoreError(self._failure.message))
        self._queue = []
        self._unstage_all()

    # --- compaction --------------------------------------------------------------------
    async def compact(self) -> None:
        """Write snapshots of what changed now and drop the journal they cover."""
        if self._compaction is not None:
            await self._compaction
        async with self._io_lock:
            if self._failure is None:
                await self._start_compaction()
        if self._compaction is not None:
            await self._compaction

    async def _start_compaction(self) -> None:
        """Cut the journal at the current seq and snapshot on the side (io lock held)."""
        seq = self._seq
        # Entries are replaced, never mutated, so a shallow copy of each table is a
        # consistent view at `seq` that the compaction thread can read at leisure.
        view = {kind: dict(self._data.get(kind, {})) for kind in self._dirty}
        try:
            older = await self._run(self._io, self._writer.rotate, seq + 1)
        except OSError as exc:
            # The writer stays on the current segment; compaction waits for the next try.
            log.warning("cannot start a new journal file in %s: %s", self.directory, exc)
            self._journal_bytes = 0
            return
        self._dirty = set()
        self._journal_bytes = 0
        self._compaction = asyncio.create_task(
            self._compact(view, seq, older), name="echoer-compaction"
        )

    async def _compact(
        self, view: dict[str, dict[str, Stored]], seq: int, older: list[Path]
    ) -> None:
        try:
            sizes = await self._run(
                self._compactor, _write_snapshots, self.directory, view, seq, older
            )
            self._snapshot_sizes.update(sizes)
        except Exception as exc:
            # The journal still holds everything; the next compaction tries again.
            self._dirty.update(view)
            log.warning("compaction of %s failed, the journal is kept: %s", self.directory, exc)
        finally:
            self._compaction = None

    # --- close -------------------------------------------------------------------------
    async def close(self) -> None:
        if self._closed or self._closing:
            return
        self._closing = True
        self._queued.set()
        try:
            if self._flusher is not None:
                await self._flusher
            if self._compaction is not None:
                await self._compaction
            await self._run(self._io, self._writer.close)
            if self._failure is None:
                await self._final_snapshot()
        finally:
            self._stop_threads()
            self._dir_lock.release()
            await super().close()

    async def _final_snapshot(self) -> None:
        """Leave plain TinyDB files and no journal behind (unless that fails: then keep it)."""
        view = {kind: dict(self._data.get(kind, {})) for kind in self._dirty}
        try:
            await self._run(
                self._compactor,
                _write_snapshots,
                self.directory,
                view,
                self._seq,
                list_segments(self.directory),
            )
        except Exception as exc:
            log.warning(
                "final compaction of %s failed, the journal is kept: %s", self.directory, exc
            )

    # --- helpers -----------------------------------------------------------------------
    def _stop_threads(self) -> None:
        self._io.shutdown(wait=True)
        self._compactor.shutdown(wait=True)
        self._writer.close()

    async def _run(self, executor: ThreadPoolExecutor, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)


async def open_store(data_dir: Path, *, compact_bytes: int = COMPACT_MIN_BYTES) -> JournalStore:
    """Open (creating if needed) the store in `data_dir`, owning it until `close()`.

    StoreLockedError if another process holds it; CorruptStoreError if a file in it
    does not read back (nothing is changed then).
    """
    return await JournalStore.open(data_dir, compact_bytes=compact_bytes)


def _make_private_dir(directory: Path) -> None:
    try:
        if not directory.exists():
            directory.mkdir(parents=True, mode=DIR_MODE)
            os.chmod(directory, DIR_MODE)  # mkdir's mode passes through the umask
        elif not directory.is_dir():
            raise StoreError(f"the data directory {directory} is a file, not a directory")
        else:
            _make_existing_dir_private(directory)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {directory}: {exc.strerror}") from None


def _make_existing_dir_private(directory: Path) -> None:
    """Others must not read or plant files in a store: close an open directory we own,
    refuse one that belongs to someone else (as PostgreSQL refuses such a data dir)."""
    info = directory.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 == 0:
        return
    if info.st_uid != os.getuid():
        raise StoreError(
            f"the data directory {directory} is open to other users and belongs to uid "
            f"{info.st_uid}; use a directory of your own (mode 0700)"
        )
    os.chmod(directory, DIR_MODE)


def _recover(directory: Path) -> _Recovered:
    """Read snapshots and journal; raise CorruptStoreError without touching anything."""
    with gc_paused():
        found = _read_store(directory)
    return found


def _read_store(directory: Path) -> _Recovered:
    found = _Recovered()
    kind_seqs: dict[str, int] = {}
    for path in list_snapshots(directory):
        snapshot = read_snapshot(path)
        found.tables[snapshot.kind] = snapshot.entries
        found.snapshot_sizes[snapshot.kind] = snapshot.size
        kind_seqs[snapshot.kind] = snapshot.seq
    base = max(kind_seqs.values(), default=0)
    segments = [read_segment(path) for path in list_segments(directory)]
    for segment in segments[:-1]:
        if segment.torn:
            raise CorruptStoreError(
                f"{segment.path}: the journal record at byte {segment.good_length} is cut "
                "short although later journal files exist; the store was not opened and "
                "nothing was changed"
            )
    expected: int | None = None
    seq = base
    for record in (r for s in segments for r in s.records):
        if expected is None and record.first_seq > base + 1:
            raise CorruptStoreError(
                f"{record.path}: the journal starts at seq {record.first_seq} (byte "
                f"{record.offset}) but the snapshots end at seq {base}: records are missing; "
                "the store was not opened and nothing was changed"
            )
        if expected is not None and record.first_seq != expected:
            raise CorruptStoreError(
                f"{record.path}: the journal record at byte {record.offset} has seq "
                f"{record.first_seq} where {expected} was expected: records are missing or "
                "repeated; the store was not opened and nothing was changed"
            )
        expected = record.last_seq + 1
        seq = max(seq, record.last_seq)
        for change in record.changes:
            if change.seq <= kind_seqs.get(change.kind, 0):
                continue  # the snapshot already holds it
            table = found.tables.setdefault(change.kind, {})
            entry: Stored | None
            if change.op == "put":
                assert change.resource is not None
                entry = table[change.name] = Stored.of(change.resource)
            else:
                table.pop(change.name, None)
                entry = Stored.of(change.resource) if change.resource is not None else None
            found.replayed.append(Logged(change.seq, change.op, change.kind, change.name, entry))
            found.replayed_kinds.add(change.kind)
    found.seq = seq
    found.last_segment = segments[-1] if segments else None
    found.journal_bytes = sum(s.good_length for s in segments)
    return found


def _write_snapshots(
    directory: Path, view: dict[str, dict[str, Stored]], seq: int, older: list[Path]
) -> dict[str, int]:
    """Snapshot each kind, make the renames durable, then retire the covered segments."""
    sizes = {kind: write_snapshot(directory, kind, seq, table) for kind, table in view.items()}
    fsync_dir(directory)
    for path in older:
        path.unlink(missing_ok=True)
    if older:
        fsync_dir(directory)
    return sizes
