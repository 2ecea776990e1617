"""The in-memory index every backend keeps: version checks, atomic commits, watch.

`MemoryStore` is a complete Repository that forgets everything on exit (handy for
`--store memory://` and fast engine tests). Durable backends reuse it as their index
and add persistence by overriding `_persist()`, which runs before a commit becomes
visible, so a write is acknowledged only once it is durable.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any

from echoer_tui.errors import ConflictError, NotFoundError, StaleWriteError, StoreError
from echoer_tui.model.resources import new_uuid
from echoer_tui.storage.repository import Change, Delete, Put, Query, Resource, Write

WATCH_BACKLOG = 10_000
"""How many recent changes `watch(since=…)` can replay."""


class MemoryStore:
    """A Repository held in dicts: `{kind: {name: resource}}`."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Resource]] = {}
        self._seq = 0
        self._backlog: deque[Change] = deque(maxlen=WATCH_BACKLOG)
        self._watchers: set[asyncio.Queue[Change]] = set()
        self._lock = asyncio.Lock()
        self._closed = False

    # --- reads -------------------------------------------------------------------------
    async def get(self, kind: str, name: str) -> Resource | None:
        found = self._data.get(kind, {}).get(name)
        return copy.deepcopy(found) if found is not None else None

    async def list(self, query: Query) -> list[Resource]:
        table = self._data.get(query.kind, {})
        out = []
        for name in sorted(table):
            if query.prefix and not name.startswith(query.prefix):
                continue
            resource = table[name]
            if query.labels:
                labels = resource["metadata"].get("labels") or {}
                if any(labels.get(k) != v for k, v in query.labels.items()):
                    continue
            out.append(copy.deepcopy(resource))
        return out

    async def count(self, kind: str) -> int:
        return len(self._data.get(kind, {}))

    @property
    def seq(self) -> int:
        return self._seq

    # --- writes ------------------------------------------------------------------------
    async def put(self, resource: Resource) -> Resource:
        stored = (await self.commit([Put(resource)]))[0]
        assert stored is not None
        return stored

    async def delete(self, kind: str, name: str, version: int | None = None) -> None:
        await self.commit([Delete(kind, name, version)])

    async def commit(self, writes: Sequence[Write]) -> list[Resource | None]:
        if self._closed:
            raise StoreError("the store is closed")
        async with self._lock:
            changes, results = self._prepare(writes)
            await self._persist(changes)
            self._apply(changes)
        return results

    def _prepare(self, writes: Sequence[Write]) -> tuple[list[Change], list[Resource | None]]:
        """Check every write against the current state (and earlier writes of the batch)."""
        pending: dict[tuple[str, str], Resource | None] = {}
        changes: list[Change] = []
        results: list[Resource | None] = []
        now = time.time()
        seq = self._seq
        for write in writes:
            if isinstance(write, Put):
                resource = copy.deepcopy(write.resource)
                meta = resource.get("metadata")
                if not isinstance(meta, dict) or not meta.get("name") or not meta.get("kind"):
                    raise StoreError("a resource needs metadata.name and metadata.kind")
                kind, name = str(meta["kind"]), str(meta["name"])
                key = (kind, name)
                current = pending[key] if key in pending else self._data.get(kind, {}).get(name)
                expected = int(meta.get("version") or 0)
                if current is None and expected != 0:
                    raise StaleWriteError(f"{kind} {name!r} no longer exists")
                if current is not None:
                    have = int(current["metadata"]["version"])
                    if expected == 0:
                        raise ConflictError(f"{kind} {name!r} already exists")
                    if expected != have:
                        raise StaleWriteError(
                            f"{kind} {name!r} changed meanwhile (version {have}, "
                            f"the write was based on {expected})"
                        )
                    meta["uuid"] = current["metadata"].get("uuid") or new_uuid()
                    meta["created_time"] = current["metadata"].get("created_time", now)
                else:
                    meta["uuid"] = meta.get("uuid") or new_uuid()
                    meta["created_time"] = meta.get("created_time") or now
                meta["version"] = expected + 1
                meta["updated_time"] = now
                meta.setdefault("labels", {})
                pending[key] = resource
                seq += 1
                changes.append(Change(seq, "put", kind, name, resource))
                results.append(copy.deepcopy(resource))
            else:
                key = (write.kind, write.name)
                current = pending[key] if key in pending else self._data.get(write.kind, {}).get(
                    write.name
                )
                if current is None:
                    raise NotFoundError(f"{write.kind} {write.name!r} does not exist")
                have = int(current["metadata"]["version"])
                if write.version is not None and write.version != have:
                    raise StaleWriteError(
                        f"{write.kind} {write.name!r} changed meanwhile (version {have}, "
                        f"the delete was based on {write.version})"
                    )
                pending[key] = None
                seq += 1
                changes.append(Change(seq, "delete", write.kind, write.name, current))
                results.append(None)
        return changes, results

    async def _persist(self, changes: list[Change]) -> None:
        """Make the changes durable before they become visible; nothing to do in memory."""

    def _apply(self, changes: Sequence[Change]) -> None:
        """Make committed changes visible and tell the watchers."""
        for change in changes:
            table = self._data.setdefault(change.kind, {})
            if change.op == "put":
                assert change.resource is not None
                table[change.name] = change.resource
            else:
                table.pop(change.name, None)
            self._seq = change.seq
            self._backlog.append(change)
            for queue in self._watchers:
                queue.put_nowait(change)

    # --- watch -------------------------------------------------------------------------
    async def watch(
        self, kinds: Sequence[str] | None = None, since: int = 0
    ) -> AsyncIterator[Change]:
        wanted = set(kinds) if kinds else None
        queue: asyncio.Queue[Change] = asyncio.Queue()
        self._watchers.add(queue)
        try:
            last = since
            for change in list(self._backlog):
                if change.seq > since and (wanted is None or change.kind in wanted):
                    last = change.seq
                    yield _snapshot(change)
            while True:
                change = await queue.get()
                if change.seq <= last or (wanted is not None and change.kind not in wanted):
                    continue
                last = change.seq
                yield _snapshot(change)
        finally:
            self._watchers.discard(queue)

    async def close(self) -> None:
        self._closed = True

    # --- for durable subclasses --------------------------------------------------------
    def _load(self, resources: Sequence[Resource], seq: int) -> None:
        """Fill the index from disk at open (no watchers, no checks)."""
        for resource in resources:
            meta: dict[str, Any] = resource["metadata"]
            self._data.setdefault(str(meta["kind"]), {})[str(meta["name"])] = resource
        self._seq = seq


def _snapshot(change: Change) -> Change:
    resource = copy.deepcopy(change.resource) if change.resource is not None else None
    return Change(change.seq, change.op, change.kind, change.name, resource)
