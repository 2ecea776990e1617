"""A whole echoer in the test's process: durable store, engine, LocalWorkbench, the HTTP API
on a free loopback port, and an httpx client for it.

The API tests and the reliability tests both need this stack; they differ only in the
engine's timings and in what they put around it (an action service, a fault service).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from echoer_tui.api.app import create_app
from echoer_tui.config import Listen
from echoer_tui.engine import Engine
from echoer_tui.runtime import bind_socket, serve_asgi
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import Repository, open_store

WAIT = 10.0
"""The client's timeout: how long a test waits for the API to answer."""


@dataclass
class ServedEchoer:
    store: Repository
    engine: Engine
    workbench: LocalWorkbench
    client: httpx.AsyncClient
    url: str


async def serve_echoer(
    stack: AsyncExitStack,
    data_dir: Path,
    *,
    token: str | None = None,
    max_body: int = 1 << 20,
    **engine_options: Any,
) -> ServedEchoer:
    """Start the stack; `stack` stops it. `engine_options` go to `Engine` (e.g. retry_base).

    The client carries the bearer `token` when there is one.
    """
    store = await open_store(data_dir)
    stack.push_async_callback(store.close)
    sock = bind_socket(Listen("127.0.0.1", 0))
    url = Listen("127.0.0.1", sock.getsockname()[1]).url
    engine = Engine(store, ack_url=f"{url}/step", **engine_options)
    workbench = LocalWorkbench(store, engine, url)
    app = create_app(workbench, engine.ack, token=token, max_body=max_body)
    stack.push_async_callback(workbench.close)
    await stack.enter_async_context(serve_asgi(app, sock))
    stack.callback(app.state.api.closing.set)
    await workbench.start()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = await stack.enter_async_context(
        httpx.AsyncClient(base_url=url, headers=headers, timeout=WAIT)
    )
    return ServedEchoer(store, engine, workbench, client, url)
