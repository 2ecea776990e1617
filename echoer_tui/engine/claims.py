"""Timers on a store shared by several engines: each due timer is leased by one process
(`claim_due_timers`), fired there, and taken over by another once the lease runs out
if that process dies. A watch on stored timers wakes the loop early.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from echoer_tui.engine.delay_queue import TIMER_KIND, DelayedOp, TimerClaims
from echoer_tui.engine.ledger import RunLedger
from echoer_tui.errors import StoreError

log = logging.getLogger("echoer_tui.engine.engine")

LEASE_SECONDS = 30.0
"""On a shared store: how long a claimed timer is this process's alone, and how long an
entered step may wait for its creator's dispatch before any process sends it."""

CLAIM_BATCH = 100
"""Timers claimed per query on a shared store."""

STOP_GRACE = 5.0
"""Seconds close waits for each part of the claiming to end before it gives up on it."""


def lease_from_env() -> float:
    """`ECHOER_CLAIM_LEASE` (seconds) when set to a positive number, else LEASE_SECONDS.

    How soon a dead process's work is taken over is an operator's trade-off against
    sending a slow dispatch twice, so it can be tuned without code.
    """
    text = os.environ.get("ECHOER_CLAIM_LEASE", "")
    try:
        value = float(text)
    except ValueError:
        if text:
            log.warning("ECHOER_CLAIM_LEASE=%r is not a number; using %g s", text, LEASE_SECONDS)
        return LEASE_SECONDS
    return value if value > 0 else LEASE_SECONDS


class TimerClaimer:
    """Leases due timers from a shared store and hands each to `fire`."""

    def __init__(
        self,
        ledger: RunLedger,
        claims: TimerClaims,
        *,
        owner: str,
        lease: float,
        fire: Callable[[DelayedOp], None],
    ) -> None:
        self._ledger = ledger
        self._claims = claims
        self._owner = owner
        self._lease = lease
        self._fire = fire
        self._running = False
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._running = True
        loop = asyncio.get_running_loop()
        self._loops = [
            loop.create_task(self._claim_loop(), name="echoer-claim-timers"),
            loop.create_task(self._watch_timers(), name="echoer-watch-timers"),
        ]

    async def stop(self) -> None:
        """Claim no more timers (waiting at most STOP_GRACE for the loops to end)."""
        self._running = False
        self._ledger.claim_wake.set()
        for task in self._loops:
            task.cancel()
        if self._loops:
            _, stuck = await asyncio.wait(self._loops, timeout=STOP_GRACE)
            if stuck:
                log.warning(
                    "timer claim loop(s) %s did not stop within %g s; left behind",
                    ", ".join(task.get_name() for task in stuck),
                    STOP_GRACE,
                )
        self._loops = []

    async def release(self) -> None:
        """What this process held is free for the others at once, not when leases end."""
        try:
            await asyncio.wait_for(self._claims.release_timers(self._owner), STOP_GRACE)
        except StoreError:
            pass
        except TimeoutError:
            log.warning("could not release the claimed timers within %g s", STOP_GRACE)

    async def _claim_loop(self) -> None:
        """Lease due timers, fire them, sleep until the next may be due."""
        clock, wake = self._ledger.clock, self._ledger.claim_wake
        while self._running:
            wake.clear()
            now = clock.now()
            try:
                claimed = await self._claims.claim_due_timers(
                    now, self._owner, self._lease, CLAIM_BATCH
                )
                for raw in claimed:
                    self._fire(DelayedOp.from_resource(raw))
                if len(claimed) >= CLAIM_BATCH:
                    continue
                due = await self._claims.next_timer_due()
            except StoreError as exc:
                log.warning("cannot claim timers: %s", exc.message)
                due = now + 1.0
            except Exception:  # the loop must outlive any one failure, or no timer fires again
                log.exception("claiming timers failed")
                due = now + 1.0
            if _stopping(self._running):
                return  # a failure above may have swallowed the cancellation of stop()
            if due is not None and due <= now:
                # Due but not claimable yet (another process is taking it): look again soon.
                await asyncio.sleep(0.01)
                continue
            if due is not None and due <= clock.now():
                continue  # time moved on while we asked
            # Another process's timers are announced by the watch; this cap covers a
            # missed announcement.
            wake_at = min(due if due is not None else now + self._lease, now + self._lease)
            handle = clock.call_at(wake_at, wake.set)
            try:
                await wake.wait()
            finally:
                handle.cancel()

    async def _watch_timers(self) -> None:
        """Wake the claim loop whenever any process stores a timer."""
        repo = self._ledger.repo
        while self._running:
            try:
                async for change in repo.watch([TIMER_KIND], repo.seq):
                    if change.op == "put":
                        self._ledger.claim_wake.set()
            except StoreError as exc:  # fell behind: nothing to replay, just watch on
                if _stopping(self._running):
                    return
                log.warning("timer watch restarts: %s", exc.message)
            except Exception:  # the claim loop's lease cap still wakes it meanwhile
                if _stopping(self._running):
                    return
                log.exception("timer watch failed; watching again in 1 s")
                await asyncio.sleep(1.0)


def _stopping(running: bool) -> bool:
    """Stopped, or this task is being cancelled (even if a failure swallowed the cancel)."""
    task = asyncio.current_task()
    return not running or (task is not None and task.cancelling() > 0)
