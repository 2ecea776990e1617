"""`embedded()` and `open_workbench()`: one loop for store, engine, facade and API, in order."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import httpx
import pytest

from echoer_tui.config import Listen, resolve_store
from echoer_tui.errors import NotFoundError, StoreError
from echoer_tui.runtime import ListenError, bind_socket, embedded, open_workbench
from echoer_tui.service.remote import RemoteWorkbench
from tests.unit.api.conftest import FLOW, WAIT, Stack

LOOPBACK = Listen("127.0.0.1", 0)


async def test_embedded_tells_the_real_port_and_stops_cleanly(tmp_path: Path) -> None:
    async with embedded(tmp_path / "data", LOOPBACK) as workbench:
        assert not workbench.api_url.endswith(":0")
        async with httpx.AsyncClient(base_url=workbench.api_url) as client:
            assert (await client.get("/healthz")).json()["api_url"] == workbench.api_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{workbench.api_url}/healthz", timeout=WAIT)
    # The store was released: the same data directory opens again.
    async with embedded(tmp_path / "data", LOOPBACK) as again:
        assert await again.list("action") == []


async def test_embedded_on_a_port_in_use_names_the_address(tmp_path: Path) -> None:
    taken = bind_socket(LOOPBACK)
    taken.listen()
    try:
        listen = Listen("127.0.0.1", taken.getsockname()[1])
        with pytest.raises(ListenError, match=f"{listen}.*in use"):
            async with embedded(tmp_path / "data", listen):
                pass
    finally:
        taken.close()


async def test_embedded_watch_streams_end_at_shutdown(tmp_path: Path) -> None:
    async with embedded(tmp_path / "data", LOOPBACK) as workbench:
        client = httpx.AsyncClient(base_url=workbench.api_url, timeout=WAIT)
        response = await client.send(client.build_request("GET", "/watch"), stream=True)
        assert response.status_code == 200
    # Leaving the block did not hang on the open stream, and the stream has ended.
    assert await asyncio.wait_for(_drain(response), WAIT)
    await client.aclose()


async def _drain(response: httpx.Response) -> bool:
    """True once the stream is over (a clean end or a cut connection)."""
    try:
        async for _ in response.aiter_bytes():
            pass
    except httpx.HTTPError:
        pass
    await response.aclose()
    return response.is_closed


async def test_remote_load_reads_the_client_file(api: Stack, tmp_path: Path) -> None:
    source = tmp_path / "flows.fsl"
    source.write_text(api.fsl_action() + FLOW)
    remote = RemoteWorkbench(api.url)
    await remote.start()
    try:
        reply = await remote.execute(f"load {source}")
        assert reply.status == "ok", reply.text
        assert [f["metadata"]["name"] for f in await remote.list("flow")] == ["my_flow"]
        missing = await remote.execute(f"load {tmp_path / 'nope.fsl'}")
        assert missing.status == "error" and "nope.fsl" in missing.text
    finally:
        await remote.close()


async def test_open_workbench_remote_speaks_the_facade(api: Stack) -> None:
    args = argparse.Namespace(server=api.url, token=None, data_dir=None, listen=None)
    async with open_workbench(args) as remote:
        assert isinstance(remote, RemoteWorkbench)
        replies = await remote.apply_fsl(api.fsl_action() + FLOW)
        assert [r.status for r in replies] == ["ok", "ok"]
        assert [a["metadata"]["name"] for a in await remote.list("action")] == ["ci"]
        assert remote.known_names("action") == ("ci",)
        assert (await remote.get("flow", "my_flow"))["metadata"]["kind"] == "flow"
        assert await remote.count("flow") == 1
        with pytest.raises(NotFoundError):
            await remote.get("flow", "nope")
        reply = await remote.execute("list flow")
        assert reply.status != "error" and "my_flow" in reply.text
        validation = await remote.validate(FLOW.replace("my_flow", "f2").replace('"ci"', '"no"'))
        assert not validation.ok
        assert any("no" in d.message and d.line >= 1 for d in validation.diagnostics)
        changes = remote.watch(["flow"], since=0)
        change = await asyncio.wait_for(anext(changes), WAIT)
        assert (change.kind, change.name, change.op) == ("flow", "my_flow", "put")
        await changes.aclose()
        await remote.delete("flow", "my_flow")
        assert await remote.count("flow") == 0


ACTION = """action ci
    addr = "http://127.0.0.1:1/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end
"""


async def test_open_workbench_opens_the_store_url_instead_of_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    args = argparse.Namespace(
        server=None,
        token=None,
        data_dir=str(tmp_path / "data"),
        listen="127.0.0.1:0",
        store=f"tinydb://{elsewhere}",
    )
    async with open_workbench(args) as workbench:
        assert [r.status for r in await workbench.apply_fsl(ACTION)] == ["ok"]
    assert not (tmp_path / "data").exists()
    async with embedded(elsewhere, LOOPBACK) as reopened:  # the same files, as a data dir
        assert [a["metadata"]["name"] for a in await reopened.list("action")] == ["ci"]

    # ECHOER_STORE does the same when --store is absent; memory:// keeps nothing.
    monkeypatch.setenv("ECHOER_STORE", "memory://")
    args.store = None
    for _ in range(2):
        async with open_workbench(args) as workbench:
            assert await workbench.list("action") == []
            assert [r.status for r in await workbench.apply_fsl(ACTION)] == ["ok"]
    assert not (tmp_path / "data").exists()
    assert resolve_store("tinydb://d") == "tinydb://d"  # the flag wins over the environment


async def test_a_bad_store_url_is_a_clear_error_that_hides_the_password(tmp_path: Path) -> None:
    args = argparse.Namespace(
        server=None, token=None, data_dir=None, listen="127.0.0.1:0", store="mongo://u:pw@h/db"
    )
    with pytest.raises(StoreError, match="unknown store URL") as caught:
        async with open_workbench(args):
            pass
    assert "pw" not in caught.value.message


async def test_a_remote_workbench_knows_the_seq_and_watches_from_it(api: Stack) -> None:
    remote = RemoteWorkbench(api.url)
    await remote.start()
    try:
        assert remote.seq == api.store.seq
        await remote.apply_fsl(api.fsl_action())
        await remote.list("action")  # an answer stamps the seq the server had
        assert remote.seq == api.store.seq > 0
        since = remote.seq
        changes = remote.watch(since=since)
        await remote.apply_fsl(FLOW)
        change = await asyncio.wait_for(anext(changes), WAIT)
        await changes.aclose()  # type: ignore[attr-defined]
        assert (change.kind, change.name) == ("flow", "my_flow") and change.seq > since
    finally:
        await remote.close()


async def test_a_remote_validate_allows_what_is_applied(api: Stack) -> None:
    remote = RemoteWorkbench(api.url)
    await remote.start()
    try:
        text = api.fsl_action() + FLOW
        assert [r.status for r in await remote.apply_fsl(text)] == ["ok", "ok"]
        assert not (await remote.validate(text)).ok
        lenient = await remote.validate(text, allow_applied=True)
        assert lenient.ok and lenient.applied == ("action ci", "flow my_flow")
        changed = await remote.validate(FLOW.replace("FAIL->A", "FAIL->done"), allow_applied=True)
        assert not changed.ok and changed.applied == ()
    finally:
        await remote.close()
    refused = await api.client.post(
        "/validate", params={"allow_applied": "maybe"}, json={"data": FLOW}
    )
    assert refused.status_code == 400 and "allow_applied" in refused.text
