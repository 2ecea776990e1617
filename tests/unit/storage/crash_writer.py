"""The child process of the crash tests: commits for ever, printing each acknowledged write.

Each of several concurrent writers owns a flow run, an event and one timer. One commit
moves all three on by one `counter` (and replaces the timer), so after a crash they
must still agree; a line `ack <writer> <counter>` is printed only once commit() returned.
A small compaction threshold makes kills land during compactions too.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from echoer_tui.storage import Delete, Put, open_store


def writer_doc(kind: str, name: str, counter: int, version: int) -> dict[str, Any]:
    return {
        "metadata": {"kind": kind, "name": name, "version": version},
        "spec": {"counter": counter, "pad": "x" * 700},
    }


async def main(data_dir: Path, writers: int) -> None:
    store = await open_store(data_dir, compact_bytes=32_000)
    print(f"open {store.seq}", flush=True)

    async def write(name: str) -> None:
        run = await store.get("flowrun", name)
        event = await store.get("event", name)
        counter = run["spec"]["counter"] if run else 0
        while True:
            counter += 1
            writes = [
                Put(writer_doc("flowrun", name, counter, run["metadata"]["version"] if run else 0)),
                Put(
                    writer_doc("event", name, counter, event["metadata"]["version"] if event else 0)
                ),
                Put(writer_doc("timer", f"{name}-{counter}", counter, 0)),
            ]
            if counter > 1:
                writes.append(Delete("timer", f"{name}-{counter - 1}"))
            run, event, *_ = await store.commit(writes)
            sys.stdout.write(f"ack {name} {counter}\n")
            sys.stdout.flush()

    await asyncio.gather(*(write(f"w{i}") for i in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
