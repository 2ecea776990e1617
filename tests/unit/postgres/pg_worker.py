"""Another echoer process on the same database, for the cross-process tests.

    python pg_worker.py URL claim OWNER NOW LEASE   claim (and fire) due timers until none
                                                    is left; print the names as JSON
    python pg_worker.py URL hold OWNER NOW LEASE    claim once, print the names, then wait
                                                    on stdin (the test kills it)
    python pg_worker.py URL bump KIND NAME          update one resource; print its version

Each mode prints `ready` once its store is open and then waits for a `go` line, so that
several workers start claiming at the same moment.
"""

from __future__ import annotations

import asyncio
import json
import sys

from echoer_tui.storage import Delete
from echoer_tui.storage.postgres import PostgresStore


async def main(url: str, mode: str, *args: str) -> None:
    store = await PostgresStore.open(url, pool_size=2)
    try:
        print("ready", flush=True)
        sys.stdin.readline()
        if mode == "bump":
            kind, name = args
            current = await store.get(kind, name)
            assert current is not None
            current["spec"]["bumped_by"] = "worker"
            print((await store.put(current))["metadata"]["version"], flush=True)
            return
        owner, now, lease = args[0], float(args[1]), float(args[2])
        claimed: list[str] = []
        while True:
            timers = await store.claim_due_timers(now, owner, lease, limit=3)
            if not timers:
                break
            if mode == "hold":
                claimed += [t["metadata"]["name"] for t in timers]
                break
            for timer in timers:
                meta = timer["metadata"]
                # Firing a timer ends with its version-checked delete, as in the engine.
                await store.commit([Delete("timer", meta["name"], meta["version"])])
                claimed.append(meta["name"])
        print(json.dumps(claimed), flush=True)
        if mode == "hold":
            sys.stdin.readline()
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
