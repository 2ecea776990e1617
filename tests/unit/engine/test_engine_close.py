"""Engine.close always ends, even when the store turns a cancellation into a StoreError.

Cancelled mid-query, psycopg rolls back or closes the connection on its way out, and a
failure there replaces the CancelledError: the claim loop then saw a StoreError, logged
it, went back to sleep on the ManualClock and close() waited for it forever (the
flaky teardown hang of the `[postgres]` engine tests). The store here leases timers
the same way but holds every claim open until it is cancelled, then fails just so.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Sequence
from typing import Any

from echoer_tui.engine import Engine, ManualClock
from echoer_tui.errors import StoreError
from echoer_tui.storage.memory import MemoryStore


class ClaimFailsWhenCancelled(MemoryStore):
    """A shared-timer store whose claim query only ends by being cancelled, then fails."""

    def __init__(self) -> None:
        super().__init__()
        self.claiming = asyncio.Event()
        self.claims_cancelled = 0

    async def claim_due_timers(
        self, now: float, owner: str, lease_seconds: float, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        self.claiming.set()
        try:
            await asyncio.Event().wait()  # a query that never answers
        except asyncio.CancelledError:
            self.claims_cancelled += 1
            raise StoreError("lost the connection while cancelling the claim") from None
        return []

    async def release_timers(self, owner: str, names: Sequence[str] | None = None) -> int:
        return 0

    async def next_timer_due(self) -> float | None:
        return None


async def test_close_ends_when_a_cancelled_claim_fails_instead() -> None:
    store = ClaimFailsWhenCancelled()
    engine = Engine(store, ack_url="http://127.0.0.1:9/step", clock=ManualClock())
    await engine.start()
    await asyncio.wait_for(store.claiming.wait(), 10)
    await asyncio.wait_for(engine.close(), 10)
    assert store.claims_cancelled == 1
