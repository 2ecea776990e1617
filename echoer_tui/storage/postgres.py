"""The PostgreSQL backend: one database shared by several echoer processes.

Why: the embedded store belongs to one process (it locks its directory). A team that
runs several `echoer serve` processes, on several machines, needs the store to be a
database they already operate. Everything the embedded store guarantees holds here,
enforced by PostgreSQL itself rather than by one process's memory:

- the version check is part of the write statement (see pg_schema), so a stale write
  from any process is refused, whichever process's cache it came from;
- `commit()` is one transaction; its changes get consecutive seqs from one counter row,
  so seqs are store-wide, gap-free and become visible in order (the counter is taken
  by the last statement before COMMIT, sent with it, so it serialises only that tail);
- `watch()` is woken by LISTEN/NOTIFY (one notification per commit carrying its last
  seq and its kinds) and reads the changes from the bounded `echoer_change` table, so a
  watcher that was slow, or whose notification connection dropped, still sees every
  change in seq order or ends with WatchLagError, exactly as on the embedded store;
- the engine's delay queue (kind `timer`) can be shared: `claim_due_timers()` leases
  due timers with `FOR UPDATE SKIP LOCKED`, so concurrent engines never take the same
  one, and the lease of a process that died runs out and another takes over.

Reads go to the database every time (no cache), so every process sees every commit.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import sys
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.errors import TransactionRollback
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool

from echoer_tui.errors import (
    ConflictError,
    EchoerError,
    NotFoundError,
    StaleWriteError,
    StoreError,
)
from echoer_tui.storage import pg_schema as q
from echoer_tui.storage.memory import (
    WATCH_BACKLOG,
    CommitStore,
    WatchLagError,
    _stamp,
    _version,
    checked_metadata,
    encode_resource,
)
from echoer_tui.storage.repository import (
    SUMMARY_SPEC,
    Change,
    Delete,
    Put,
    Query,
    Resource,
    Write,
)
from echoer_tui.storage.urls import redact_url

CONNECT_TIMEOUT = 10
"""Seconds to wait for the database when opening, and for a free pooled connection."""

POOL_SIZE = 10

WATCH_BATCH = 500
"""Changes a watcher reads from the database per query."""

PRUNE_EVERY = 1_000
"""Prune `echoer_change` each time the seq crosses a multiple of this."""

CLOSE_GRACE = 2.0
"""Seconds close() lets open watches finish delivering what was committed."""

RECONNECT_DELAY = 1.0

CHECK_AFTER_IDLE = 2.0
"""Seconds a pooled connection may sit unused before it is checked (a round trip) again."""
"""Seconds between attempts to re-establish a lost LISTEN connection."""

TIMER_KIND = "timer"

log = logging.getLogger(__name__)

Connection = psycopg.AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a URL points, for messages: never the password."""

    url: str
    where: str
    password: str

    def reason(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split())
        if self.password:
            text = text.replace(self.password, "***")
        return text or type(exc).__name__


def parse_target(url: str) -> _Target:
    """Host, port and database of a PostgreSQL URL (StoreError if it is not one)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise StoreError(f"not a PostgreSQL connection URL: {redact_url(url)} ({exc})") from None
    host = str(info.get("host") or info.get("hostaddr") or "localhost")
    port = str(info.get("port") or "5432")
    database = str(info.get("dbname") or info.get("user") or "")
    where = f"{host}:{port}" + (f"/{database}" if database else "")
    return _Target(url, where, str(info.get("password") or ""))


@dataclass(frozen=True, slots=True)
class _Planned:
    """One write, checked and filled in Python, waiting for its seq."""

    op: str
    """"create", "update" or "delete"."""
    kind: str
    name: str
    expected: int | None
    doc: str | None = None
    """The resource as JSON, metadata stamped."""
    uuid: str = ""
    due: float | None = None

    def params(self, now: float) -> dict[str, Any]:
        params: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "expected": self.expected,
            "now": now,
        }
        if self.doc is not None:
            params["uuid"] = self.uuid
            params["doc"] = self.doc
            params["due"] = self.due
        return params


class _IdleCheck:
    """The pool's check before it lends a connection, skipped for one used moments ago.

    Checking every loan (an empty query) doubled the round trips of every read; a
    connection that just answered is alive, and one the server dropped while it sat
    idle (a restart, an idle timeout) is still caught and replaced before use.
    """

    def __init__(self) -> None:
        self._used: weakref.WeakKeyDictionary[Connection, float] = weakref.WeakKeyDictionary()

    def used(self, conn: Connection) -> None:
        self._used[conn] = time.monotonic()

    async def __call__(self, conn: Connection) -> None:
        if conn.closed or time.monotonic() - self._used.get(conn, 0.0) > CHECK_AFTER_IDLE:
            await AsyncConnectionPool.check_connection(conn)


def _list_statement(query: Query) -> tuple[str, dict[str, Any]]:
    """The LIST statement for the shape of `query`, and its parameters."""
    params: dict[str, Any] = {"kind": query.kind, "prefix": query.prefix}
    if query.labels:
        params["labels"] = orjson.dumps(dict(query.labels)).decode()
        return q.LIST_LABELS, params
    beyond = _prefix_end(query.prefix)
    if beyond is None:
        return q.LIST, params
    params["beyond"] = beyond
    return q.LIST_PREFIX, params


def _prefix_end(prefix: str) -> str | None:
    """The least string above every name that starts with `prefix` (names sort by code
    point: the "C" collation over UTF-8); None if there is none (no prefix, or one of
    only the last code point), when LIST's filter alone selects the names."""
    stem = prefix.rstrip(chr(sys.maxunicode))
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


def _timer_due(resource: Resource) -> float | None:
    if resource["metadata"]["kind"] != TIMER_KIND:
        return None
    spec = resource.get("spec")
    due = spec.get("due") if isinstance(spec, dict) else None
    if isinstance(due, bool) or not isinstance(due, int | float):
        return None
    return float(due)


def _plan(write: Write, now: float) -> _Planned:
    """Check one write's shape and fill its metadata, as MemoryStore does before storing."""
    if isinstance(write, Delete):
        return _Planned("delete", write.kind, write.name, write.version)
    if not isinstance(write, Put):
        raise StoreError(f"a commit takes Put and Delete writes, not {write!r}")
    kind, name, meta = checked_metadata(write.resource)
    expected = _version(meta.get("version"), kind, name)
    # An update gets the row's uuid and created_time back from the UPDATE statement.
    _stamp(meta, expected, now)
    doc = encode_resource(write.resource, meta).decode()
    op = "create" if expected == 0 else "update"
    return _Planned(
        op, kind, name, expected, doc, meta.get("uuid") or "", _timer_due(write.resource)
    )


_STATEMENTS = {"create": q.CREATE, "update": q.UPDATE, "delete": q.DELETE}


class StoreUnavailableError(StoreError):
    """The database did not answer (down, restarting, unreachable); worth trying again."""


class PostgresStore(CommitStore):
    """A Repository in a PostgreSQL database, shared safely by several processes."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Connection],
        target: _Target,
        channel: str,
        idle_check: _IdleCheck,
    ) -> None:
        self._pool = pool
        self._idle_check = idle_check
        self._target = target
        self._channel = channel
        self._seq = 0
        """The last seq this process knows committed (its own, or announced by NOTIFY)."""
        self._tick = asyncio.Event()
        """Set (and replaced) whenever `_seq` grows or the store closes."""
        self._listener: asyncio.Task[None] | None = None
        self._watchers = 0
        self._watchers_gone = asyncio.Event()
        self._watchers_gone.set()
        self._closed = False

    # --- open ----------------------------------------------------------------------------
    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PostgresStore:
        """Connect, create the tables if missing, and start listening for other writers."""
        target = parse_target(url)
        listen = await _connect(target)
        try:
            channel, seq = await _prepare(listen, target)
            idle_check = _IdleCheck()
            pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "application_name": "echoer"},
                # A pooled connection the server dropped (restart, idle timeout) is
                # replaced before use rather than failing the caller's request.
                check=idle_check,
                timeout=CONNECT_TIMEOUT,
                open=False,
                name="echoer",
            )
            try:
                await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            except psycopg.Error as exc:
                await pool.close()
                raise StoreError(
                    f"cannot reach PostgreSQL at {target.where}: {target.reason(exc)}"
                ) from None
        except BaseException:
            await listen.close()
            raise
        store = cls(pool, target, channel, idle_check)
        store._advance(seq)
        store._listener = asyncio.create_task(store._listen(listen), name="echoer-pg-listen")
        return store

    # --- reads ---------------------------------------------------------------------------
    async def get(self, kind: str, name: str) -> Resource | None:
        async with self._connection() as conn:
            row = await (await conn.execute(q.GET, (kind, name))).fetchone()
        return _doc(row[0]) if row else None

    async def list(self, query: Query) -> builtins.list[Resource]:
        statement, params = _list_statement(query)
        async with self._connection() as conn:
            rows = await (await conn.execute(statement, params)).fetchall()
        return [_doc(row[0]) for row in rows]

    async def summaries(self, query: Query) -> builtins.list[Resource]:
        statement, params = _list_statement(query)
        params["fields"] = list(SUMMARY_SPEC.get(query.kind, ()))
        async with self._connection() as conn:
            rows = await (await conn.execute(q.SUMMARY_OF[statement], params)).fetchall()
        return [_doc(row[0]) for row in rows]

    async def count(self, kind: str) -> int:
        async with self._connection() as conn:
            row = await (await conn.execute(q.COUNT, (kind,))).fetchone()
        return int(row[0]) if row else 0

    # --- writes --------------------------------------------------------------------------
    async def commit(self, writes: Sequence[Write]) -> builtins.list[Resource | None]:
        self._check_writable()
        now = time.time()
        planned = [_plan(write, now) for write in writes]
        if not planned:
            return []
        # Every commit writes its rows in (kind, name) order, so two commits that touch
        # the same rows wait for each other instead of deadlocking; seqs still follow
        # the caller's order.
        order = sorted(range(len(planned)), key=lambda i: (planned[i].kind, planned[i].name))
        stored: builtins.list[str] = [""] * len(planned)
        async with self._connection() as conn:
            try:
                async with conn.pipeline() as pipeline:
                    await conn.execute("BEGIN")
                    cursors = [
                        (i, await conn.execute(_STATEMENTS[planned[i].op], planned[i].params(now)))
                        for i in order
                    ]
                    await pipeline.sync()
                    for i, cursor in cursors:
                        row = await cursor.fetchone()
                        if row is None:
                            await self._refuse(conn, planned[i])
                        else:
                            stored[i] = row[0]
                tail = {
                    "ops": ["delete" if p.op == "delete" else "put" for p in planned],
                    "kinds": [p.kind for p in planned],
                    "names": [p.name for p in planned],
                    "docs": stored,
                    "channel": self._channel,
                    "notified": ",".join(sorted({p.kind for p in planned})),
                }
                # The tail and COMMIT in one message (simple protocol, so the parameters
                # are bound here): the server commits as soon as the tail has run, and
                # the counter row is never locked while this process's event loop is
                # busy elsewhere (sent apart, the COMMIT waited for it, convoying every
                # other commit behind the lock).
                logged = psycopg.AsyncClientCursor(conn)
                await logged.execute(q.LOG_CHANGES + ";\nCOMMIT", tail)
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):
                        await conn.execute("ROLLBACK")
                raise
        row = await logged.fetchone()
        assert row is not None
        last = int(row[0])
        first = last - len(planned) + 1
        self._advance(last)
        if last // PRUNE_EVERY != (first - 1) // PRUNE_EVERY:
            await self._prune(last)
        return [
            None if p.op == "delete" else _doc(doc) for p, doc in zip(planned, stored, strict=True)
        ]

    async def _refuse(self, conn: Connection, plan: _Planned) -> NoReturn:
        """Why the database refused one write (raising rolls the commit back)."""
        found = await (await conn.execute(q.VERSION_OF, (plan.kind, plan.name))).fetchone()
        have = int(found[0]) if found else None
        what = f"{plan.kind} {plan.name!r}"
        if plan.op == "create":
            raise ConflictError(f"{what} already exists")
        if have is None:
            if plan.op == "delete":
                raise NotFoundError(f"{what} does not exist")
            raise StaleWriteError(f"{what} no longer exists")
        action = "delete" if plan.op == "delete" else "write"
        raise StaleWriteError(
            f"{what} changed meanwhile (version {have}, the {action} was based on {plan.expected})"
        )

    async def _prune(self, last: int) -> None:
        """Keep `echoer_change` bounded: watchers further behind end with WatchLagError."""
        async with self._connection() as conn:
            await conn.execute(q.PRUNE_CHANGES, (last - WATCH_BACKLOG,))

    # --- delay queue shared by several engines -------------------------------------------
    async def claim_due_timers(
        self, now: float, owner: str, lease_seconds: float, limit: int = 100
    ) -> builtins.list[Resource]:
        """Lease up to `limit` timers due at `now` to `owner`, earliest first.

        A timer is taken by one claimer at a time: rows another transaction is claiming
        are skipped, and a leased timer is not handed out again until `now` passes its
        lease. The owner fires each timer and deletes it (a version-checked Delete) in
        the commit that handles it; if it dies first, the lease runs out and another
        owner claims the timer. A Put of a new version of the timer ends its lease.
        Claiming changes no version and emits no Change.
        """
        self._check_writable()
        params = {"now": now, "owner": owner, "lease": lease_seconds, "limit": limit}
        async with self._connection() as conn, conn.transaction():
            rows = await (await conn.execute(q.CLAIM_TIMERS, params)).fetchall()
        rows.sort(key=lambda row: (row[0], row[1]))
        return [_doc(row[2]) for row in rows]

    async def release_timers(self, owner: str, names: Sequence[str] | None = None) -> int:
        """End `owner`'s leases (all, or the named timers) so others may claim them now."""
        self._check_writable()
        params = {"owner": owner, "names": builtins.list(names) if names is not None else None}
        async with self._connection() as conn:
            cursor = await conn.execute(q.RELEASE_TIMERS, params)
        return cursor.rowcount

    async def next_timer_due(self) -> float | None:
        """When a timer may next be claimed (its due time, or its lease's end), or None."""
        async with self._connection() as conn:
            row = await (await conn.execute(q.NEXT_TIMER)).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    # --- watch ---------------------------------------------------------------------------
    async def watch(
        self, kinds: Sequence[str] | None = None, since: int = 0
    ) -> AsyncIterator[Change]:
        wanted = sorted(set(kinds)) if kinds else None
        self._watchers += 1
        self._watchers_gone.clear()
        try:
            last = since
            replayed = False
            while True:
                tick = self._tick
                upto = self._seq
                if upto > last:
                    # Only a watcher that has already replayed can lag: like the
                    # embedded store, a first replay starts from what is still kept.
                    if replayed and upto - last > WATCH_BACKLOG:
                        await self._check_kept(last)
                    try:
                        rows = await self._changes_after(last, upto, wanted)
                    except StoreUnavailableError as exc:
                        # A watch outlives a database restart: what it missed is kept
                        # in the changes table, so it reads on once the server is back.
                        log.warning("%s; the watch retries", exc.message)
                        await asyncio.sleep(RECONNECT_DELAY)
                        continue
                    replayed = True
                    for seq, op, kind, name, doc in rows:
                        last = seq
                        yield Change(seq, op, kind, name, _doc(doc) if doc else None)
                    if len(rows) < WATCH_BATCH:
                        last = max(last, upto)
                elif self._closed:
                    return
                else:
                    await tick.wait()
        finally:
            self._watchers -= 1
            if self._watchers == 0:
                self._watchers_gone.set()

    async def _changes_after(
        self, after: int, upto: int, kinds: builtins.list[str] | None
    ) -> builtins.list[tuple[Any, ...]]:
        params = {"after": after, "upto": upto, "kinds": kinds, "limit": WATCH_BATCH}
        async with self._connection() as conn:
            return await (await conn.execute(q.CHANGES_AFTER, params)).fetchall()

    async def _check_kept(self, last: int) -> None:
        async with self._connection() as conn:
            row = await (await conn.execute(q.OLDEST_CHANGE)).fetchone()
        oldest = int(row[0]) if row and row[0] is not None else self._seq + 1
        if oldest > last + 1:
            raise WatchLagError(
                f"this watcher fell more than {WATCH_BACKLOG} changes behind (it last saw "
                f"seq {last}; the oldest change kept is seq {oldest}); list the resources "
                f"again and watch from seq {self._seq}"
            )

    def _advance(self, seq: int) -> None:
        if seq > self._seq:
            self._seq = seq
            self._wake()

    def _wake(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    async def _listen(self, conn: Connection) -> None:
        """Follow other processes' commits; re-listen (and catch up) when the link drops."""
        try:
            while True:
                try:
                    async for note in conn.notifies():
                        head = note.payload.split(" ", 1)[0]
                        # Anyone may NOTIFY on the channel; only our "<seq> <kinds>" counts.
                        if head.isdigit():
                            self._advance(int(head))
                except psycopg.Error as exc:
                    _reraise_cancellation()
                    if self._closed:
                        return
                    log.warning(
                        "lost the LISTEN connection to PostgreSQL at %s: %s",
                        self._target.where,
                        self._target.reason(exc),
                    )
                with contextlib.suppress(psycopg.Error):
                    await conn.close()
                conn = await self._relisten()
        finally:
            with contextlib.suppress(psycopg.Error):
                await conn.close()

    async def _relisten(self) -> Connection:
        while True:
            await asyncio.sleep(RECONNECT_DELAY)
            try:
                conn = await _connect(self._target)
            except EchoerError as exc:
                log.warning("%s", exc.message)
                continue
            try:
                # Changes committed while the link was down are in the table; the
                # counter tells watchers how far to read.
                _, seq = await _prepare(conn, self._target)
            except EchoerError as exc:
                log.warning("%s", exc.message)
                with contextlib.suppress(psycopg.Error):
                    await conn.close()
                continue
            self._advance(seq)
            return conn

    # --- close ---------------------------------------------------------------------------
    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake()
        try:
            await asyncio.wait_for(self._watchers_gone.wait(), CLOSE_GRACE)
        except TimeoutError:
            log.warning(
                "closing the store with %d watch(es) still open after %g s",
                self._watchers,
                CLOSE_GRACE,
            )
        if self._listener is not None:
            self._listener.cancel()
            # Bounded: a listener that does not end must not keep close() waiting.
            done, _ = await asyncio.wait({self._listener}, timeout=CLOSE_GRACE)
            if not done:
                log.warning("the LISTEN task did not end within %g s of close", CLOSE_GRACE)
        # The pool waits this long for its workers, then closes anyway.
        await self._pool.close(timeout=CLOSE_GRACE)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; database failures become StoreError naming the server."""
        if self._pool.closed:
            raise StoreError("the store is closed")
        try:
            async with self._pool.connection() as conn:
                yield conn
                self._idle_check.used(conn)
        except psycopg.Error as exc:
            _reraise_cancellation()
            raise self._store_error(exc) from None

    def _store_error(self, exc: psycopg.Error) -> EchoerError:
        if isinstance(exc, TransactionRollback):
            # A deadlock or serialisation failure: the database rolled the commit back
            # because another writer held what it needed; trying again is the answer.
            return StaleWriteError(
                f"PostgreSQL at {self._target.where} rolled the commit back because "
                f"another writer changed the same resources meanwhile: "
                f"{self._target.reason(exc)}"
            )
        if isinstance(exc, psycopg.OperationalError):
            return StoreUnavailableError(
                f"lost the connection to PostgreSQL at {self._target.where}: "
                f"{self._target.reason(exc)}"
            )
        return StoreError(
            f"PostgreSQL at {self._target.where} refused the request: {self._target.reason(exc)}"
        )


def _reraise_cancellation() -> None:
    """Raise CancelledError if this task is being cancelled.

    Cancelled mid-query, psycopg cancels the query, rolls back or closes the connection
    on the way out, and an error from that replaces the CancelledError. Reported as a
    StoreError, the cancelled caller would log it, try again and never stop, and
    whoever cancelled it (a close()) would wait forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _connect(target: _Target) -> Connection:
    """The LISTEN connection (named so a DBA can tell it from the pooled ones)."""
    try:
        return await psycopg.AsyncConnection.connect(
            target.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name="echoer-listen",
        )
    except psycopg.Error as exc:
        raise StoreError(
            f"cannot reach PostgreSQL at {target.where}: {target.reason(exc)}"
        ) from None


async def _prepare(conn: Connection, target: _Target) -> tuple[str, int]:
    """Create the tables if missing, LISTEN on this schema's channel; (channel, seq)."""
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (q.SETUP_LOCK,))
            for statement in q.SETUP:
                await conn.execute(statement)
            row = await (await conn.execute(q.CURRENT_SEQ)).fetchone()
            schema = await (await conn.execute("SELECT current_schema()")).fetchone()
        assert row is not None and schema is not None
        if schema[0] is None:
            raise StoreError(
                f"no schema to create the echoer tables in at {target.where}: the "
                "search_path names no existing schema"
            )
        if int(row[1]) > q.SCHEMA_VERSION:
            raise StoreError(
                f"the echoer tables at {target.where} are of a newer echoer (schema version "
                f"{row[1]}, this echoer knows {q.SCHEMA_VERSION}); upgrade echoer"
            )
        # A channel per schema: installations sharing a database do not wake each other.
        channel = f"echoer.{schema[0]}"[:63]
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    except psycopg.Error as exc:
        raise StoreError(
            f"cannot prepare the echoer tables at {target.where}: {target.reason(exc)}"
        ) from None
    return channel, int(row[0])


def _doc(text: str) -> Resource:
    doc: Resource = orjson.loads(text)
    return doc
