"""One name for one thing: the run label is the engine's, the statement kinds are the
translator's, and a server without an engine says so with its own error (503)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from echoer_tui.api.app import create_app
from echoer_tui.config import Listen
from echoer_tui.engine import Engine
from echoer_tui.errors import NoEngineError, StoreError
from echoer_tui.runtime import bind_socket, serve_asgi
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import open_store
from tests.unit.api.conftest import FLOW_RUN, WAIT, Stack

ACK = {"flowId": "r", "stepName": "A", "ackState": "SUCCESS", "uuid": "u", "done": True}


async def test_a_server_without_an_engine_answers_503_no_engine(tmp_path: Path) -> None:
    assert not issubclass(NoEngineError, StoreError)
    async with AsyncExitStack() as stack:
        store = await open_store(tmp_path / "data")
        stack.push_async_callback(store.close)
        sock = bind_socket(Listen("127.0.0.1", 0))
        url = Listen("127.0.0.1", sock.getsockname()[1]).url
        workbench = LocalWorkbench(store, Engine(store, ack_url=f"{url}/step"), url)
        app = create_app(workbench)  # no engine_ack: this API cannot take wire acks
        await stack.enter_async_context(serve_asgi(app, sock))
        stack.callback(app.state.api.closing.set)
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
            response = await client.post("/step", json=ACK)
    assert response.status_code == 503
    assert response.json()["error"] == "NoEngineError"
    assert "runs no engine" in response.json()["message"]


async def test_events_of_a_run_are_found_by_the_engines_label(seeded: Stack) -> None:
    response = await seeded.client.post("/flowrun", json={"data": FLOW_RUN.format(name="r1")})
    assert response.status_code == 200, response.text
    await seeded.actions.next_dispatch()
    events = await seeded.workbench.events("r1")
    assert events and all(e["metadata"]["labels"]["flowrun"] == "r1" for e in events)
    listed = await seeded.client.get("/event", params={"flowrun": "r1"})
    assert [e["metadata"]["name"] for e in listed.json()] == [e["metadata"]["name"] for e in events]


async def test_post_checks_statement_kinds_with_the_translators_table(seeded: Stack) -> None:
    response = await seeded.client.post("/flow", json={"data": FLOW_RUN.format(name="r2")})
    assert response.status_code == 400
    assert "`flow_run r2`" in response.json()["message"]
    assert (await seeded.client.get("/flowrun/r2")).status_code == 404
