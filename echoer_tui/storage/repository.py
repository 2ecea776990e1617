"""The repository interface every storage backend implements.

The engine, the service facade and the screens depend on this interface only,
never on TinyDB or PostgreSQL. Resources travel as plain dicts in the resource
JSON shape (`{"metadata": {...}, "spec": {...}}`); `model/` gives them types.

Writes carry the version the writer read in `metadata.version` (0 for a resource
that must not exist yet). The store refuses a write whose version is not the
current one (StaleWriteError, or ConflictError when creating a name that exists),
sets `metadata.uuid` once on create, and stores the resource with version + 1.
`commit()` applies several writes atomically: all of them or none, in one journal
record, so a run's transition, its step attempt, its event and its timers never
disagree after a crash.

Kinds are free strings; besides the resource kinds, the engine keeps its delay
queue as kind `timer` (spec: `{"due": epoch seconds, "op": str, "run": str, "attempt": str}`).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Resource = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Put:
    """Write `resource` (its metadata.version is the version the writer read)."""

    resource: Resource


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove kind/name; `version` None deletes whatever is there (no check)."""

    kind: str
    name: str
    version: int | None = None


Write = Put | Delete


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change, as `watch()` streams it; `seq` grows across the whole store."""

    seq: int
    op: Literal["put", "delete"]
    kind: str
    name: str
    resource: Resource | None = None
    """The stored resource after a put; the last stored one for a delete."""


@dataclass(frozen=True, slots=True)
class Query:
    """What `list()` selects: a kind, optionally a name prefix and labels that must match."""

    kind: str
    prefix: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


SUMMARY_SPEC: Mapping[str, tuple[str, ...]] = {
    "action": ("endpoints", "return_states"),
    "flow": ("steps",),
    "flowrun": ("current_state", "last_state", "last_err"),
    "step": ("flow_id", "step_name", "response", "retry_count"),
    "event": ("time", "resource_kind", "resource_name", "message"),
}
"""The spec fields a list of each kind shows (the resource browser's columns); a
summary holds the whole metadata and only these, so listing 10,000 flow runs does not
decode every step of every run. Other kinds summarize to their metadata alone."""


def summary_of(resource: Resource) -> Resource:
    """`resource` as `summaries()` answers it: its metadata and its kind's SUMMARY_SPEC
    fields of its spec (those it has). Shares the values of `resource`, copies nothing."""
    meta = resource["metadata"]
    spec = resource.get("spec")
    fields = SUMMARY_SPEC.get(meta.get("kind"), ())
    picked = {key: spec[key] for key in fields if key in spec} if isinstance(spec, dict) else {}
    return {"metadata": meta, "spec": picked}


@runtime_checkable
class Repository(Protocol):
    """get, list, put with version check, delete, atomic commit, and watch."""

    async def get(self, kind: str, name: str) -> Resource | None:
        """The stored resource, or None."""

    async def list(self, query: Query) -> list[Resource]:
        """Matching resources sorted by name."""

    async def summaries(self, query: Query) -> builtins.list[Resource]:
        """What `list(query)` selects, each as its `summary_of` (metadata + a few spec
        fields), without decoding whole documents."""

    async def count(self, kind: str) -> int:
        """How many resources of a kind are stored."""

    async def put(self, resource: Resource) -> Resource:
        """Write one resource with the version check; return it as stored (read it,
        do not change it: it may share objects with `resource`)."""

    async def delete(self, kind: str, name: str, version: int | None = None) -> None:
        """Remove one resource (NotFoundError if absent, StaleWriteError on a version mismatch)."""

    async def commit(self, writes: Sequence[Write]) -> builtins.list[Resource | None]:
        """Apply all writes atomically and durably; per write, the stored resource.

        (None for deletes.) The results are to read, not to change: a backend may hand
        back the written document with its stamped metadata rather than a copy.
        """

    def watch(self, kinds: Sequence[str] | None = None, since: int = 0) -> AsyncIterator[Change]:
        """Changes committed after `since` (replayed if still kept), then live ones, for ever."""

    @property
    def seq(self) -> int:
        """The seq of the last committed change."""

    async def close(self) -> None:
        """Flush and release the store (and its lock)."""
