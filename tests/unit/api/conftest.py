"""A real stack for API tests: durable store, engine, LocalWorkbench and the API on loopback.

An action service (a small Starlette app on its own free port) records every
dispatch, so a test can ack the step it was asked to run, as a real service would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from echoer_tui.api.app import create_app
from echoer_tui.config import Listen
from echoer_tui.engine import Engine
from echoer_tui.runtime import bind_socket, serve_asgi
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import Repository, open_store

LOOPBACK = Listen("127.0.0.1", 0)
WAIT = 10.0


@dataclass
class ActionService:
    """Records dispatch bodies; answers 200 and leaves the ack to the test."""

    url: str = ""
    dispatches: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    async def next_dispatch(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.dispatches.get(), WAIT)


@dataclass
class Stack:
    store: Repository
    workbench: LocalWorkbench
    client: httpx.AsyncClient
    url: str
    actions: ActionService

    def fsl_action(self, name: str = "ci", extra: str = "") -> str:
        return (
            f"action {name}\n"
            f'    addr = "{self.actions.url}/{name}";\n'
            "    method = http;\n"
            "    args = (str project, int retry_count);\n"
            "    return = (SUCCESS | FAIL);\n"
            f"{extra}"
            "action_end\n"
        )


FLOW = """flow my_flow
    step A => (SUCCESS->done | FAIL->A) { action = "ci"; };
flow_end
"""

FLOW_RUN = """flow_run {name}
    step A => (SUCCESS->done | FAIL->A) {{
        action = "ci";
        args = (project = "https://example.invalid/p", retry_count = 10);
    }};
flow_run_end
"""


async def start_action_service(stack: AsyncExitStack) -> ActionService:
    service = ActionService()

    async def dispatched(request: Request) -> JSONResponse:
        await service.dispatches.put(await request.json())
        return JSONResponse({})

    app = Starlette(routes=[Route("/{action}", dispatched, methods=["POST"])])
    sock = bind_socket(LOOPBACK)
    service.url = Listen("127.0.0.1", sock.getsockname()[1]).url
    await stack.enter_async_context(serve_asgi(app, sock))
    return service


async def start_stack(
    stack: AsyncExitStack, data_dir: Path, token: str | None = None, max_body: int = 1 << 20
) -> Stack:
    actions = await start_action_service(stack)
    store = await open_store(data_dir)
    stack.push_async_callback(store.close)
    sock = bind_socket(LOOPBACK)
    url = Listen("127.0.0.1", sock.getsockname()[1]).url
    engine = Engine(store, ack_url=f"{url}/step")
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
    return Stack(store, workbench, client, url, actions)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        yield await start_stack(stack, tmp_path / "data")


@pytest.fixture
async def seeded(api: Stack) -> Stack:
    """The API with action `ci` and flow `my_flow` created through it."""
    for path, text in (("/action", api.fsl_action()), ("/flow", FLOW)):
        response = await api.client.post(path, json={"data": text})
        assert response.status_code == 200, response.text
    return api
