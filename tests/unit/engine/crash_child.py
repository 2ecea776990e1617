"""An engine process for the crash test: durable store, ack receiver, two runs; killed with SIGKILL.

argv: DATA_DIR SERVICE_BASE DOWN_URL. Prints `ack-url URL` once listening, then one line
per committed change (`put step crash.B.2 ...`) so the test can wait on what it needs.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from echoer_tui.engine import Engine
from echoer_tui.storage import open_store
from tests.unit.engine.builders import action, flowrun, step, store_all
from tests.unit.engine.loopback import AckReceiver


def resources(base: str, down: str) -> list[dict[str, object]]:
    return [
        action("fast", [f"{base}/fast"], {}, ["OK"]),
        action("slow", [f"{base}/slow"], {}, ["OK"]),
        action("later", [down], {}, ["OK"]),
        flowrun(
            "crash",
            [
                step("A", "fast", {}, {"OK": "B"}),
                step("B", "slow", {}, {"OK": "C"}),
                step("C", "fast", {}, {"OK": "done"}),
            ],
        ),
        flowrun("retrying", [step("S", "later", {}, {"OK": "done"})]),
    ]


async def main(data_dir: str, base: str, down: str) -> None:
    store = await open_store(Path(data_dir))
    receiver = await AckReceiver(_never).start()
    engine = Engine(store, ack_url=receiver.url, retry_base=3600.0)
    receiver.handler = engine.ack
    print(f"ack-url {receiver.url}", flush=True)

    async def report() -> None:
        async for change in store.watch():
            state = ""
            if change.resource is not None and change.kind == "flowrun":
                state = change.resource["spec"]["current_state"]
            print(f"{change.op} {change.kind} {change.name} {state}", flush=True)

    reporter = asyncio.create_task(report())
    await engine.start()
    await store_all(store, resources(base, down))
    await engine.launch("crash")
    await engine.launch("retrying")
    await asyncio.Event().wait()  # until SIGKILL
    reporter.cancel()


async def _never(body: object) -> dict[str, object]:
    raise RuntimeError("the engine is not wired yet")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
