"""`echoer migrate`: copy a workbench's data from one store into another.

The way a team moves from the embedded store of one machine to the shared PostgreSQL
database (`echoer migrate --from tinydb://DIR --to postgresql://…`), or back. Every
resource of every kind is copied with its uuid, labels, spec and times, so step
attempts still point at their runs and the delay queue (kind `timer`) comes along:
runs waiting in the source keep waiting in the target. Versions start again at 1 in
the target (a version is a store's own write counter).

Nothing is overwritten unless asked: if the target already holds a name of the same
kind, the whole migration is refused before anything is written. With `--force` such
resources are replaced (deleted and created again, in the same commit).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from echoer_tui.errors import ConflictError, EchoerError
from echoer_tui.model.resources import KINDS
from echoer_tui.storage.repository import Delete, Put, Query, Repository, Resource, Write
from echoer_tui.storage.urls import open_store_url, redact_url

TIMER_KIND = "timer"
"""The engine's delay queue kind (see storage/repository.py)."""

MIGRATED_KINDS: tuple[str, ...] = (*KINDS, TIMER_KIND)

BATCH = 500
"""Writes per commit: big enough to be fast, small enough for one transaction."""


@dataclass(frozen=True, slots=True)
class KindCopied:
    """What the migration did to one kind."""

    kind: str
    copied: int
    replaced: int


def run_migrate(args: argparse.Namespace) -> int:
    """The `echoer migrate` subcommand (args.source, args.target, args.force)."""
    copied = asyncio.run(
        migrate(args.source, args.target, force=bool(getattr(args, "force", False)))
    )
    report(copied, args.source, args.target, sys.stdout)
    return 0


async def migrate(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    kinds: Sequence[str] = MIGRATED_KINDS,
) -> list[KindCopied]:
    """Copy every resource of `kinds` from one store URL to another."""
    if source_url.strip() == target_url.strip():
        raise EchoerError("--from and --to name the same store; nothing to migrate")
    source = await open_store_url(source_url)
    try:
        target = await open_store_url(target_url)
        try:
            return await copy_resources(source, target, force=force, kinds=kinds)
        finally:
            await target.close()
    finally:
        await source.close()


async def copy_resources(
    source: Repository,
    target: Repository,
    *,
    force: bool = False,
    kinds: Sequence[str] = MIGRATED_KINDS,
) -> list[KindCopied]:
    """Copy between two open stores; refuse (writing nothing) if names are taken."""
    plan: list[tuple[str, list[Resource], set[str]]] = []
    for kind in kinds:
        resources = await source.list(Query(kind))
        taken = {r["metadata"]["name"] for r in await target.list(Query(kind))}
        plan.append((kind, resources, taken & {r["metadata"]["name"] for r in resources}))
    clashes = [(kind, sorted(names)) for kind, _, names in plan if names]
    if clashes and not force:
        listed = "; ".join(f"{kind}: {_some(names)}" for kind, names in clashes)
        raise ConflictError(
            f"the target already holds resources of these names ({listed}); nothing was "
            "copied. Use --force to replace them"
        )
    done = []
    for kind, resources, taken in plan:
        batch: list[Write] = []
        for resource in resources:
            name = resource["metadata"]["name"]
            # A Delete and the Put that replaces it always share a commit.
            group: list[Write] = [Delete(kind, name)] if name in taken else []
            group.append(Put(_fresh(resource)))
            if len(batch) + len(group) > BATCH:
                await target.commit(batch)
                batch = []
            batch += group
        if batch:
            await target.commit(batch)
        done.append(KindCopied(kind, len(resources), len(taken)))
    return done


def _some(names: Sequence[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _fresh(resource: Resource) -> Resource:
    """The resource as a create in the target: same uuid and times, version 0."""
    metadata = {**resource["metadata"], "version": 0}
    return {**resource, "metadata": metadata}


def report(copied: Sequence[KindCopied], source: str, target: str, out: TextIO) -> None:
    print(f"migrated {redact_url(source)} -> {redact_url(target)}", file=out)
    for item in copied:
        extra = f" ({item.replaced} replaced)" if item.replaced else ""
        print(f"  {item.kind:<8} {item.copied:>7}{extra}", file=out)
    print(f"  {'total':<8} {sum(item.copied for item in copied):>7}", file=out)
