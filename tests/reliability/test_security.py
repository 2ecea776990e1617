"""Nobody gets in without the token, no secret leaks, nothing on disk is readable by others.

tests/unit/api/test_security.py already checks an in-process API route by route
with a missing or wrong token and the fingerprint of `GET /action`; this file goes
further: a real `echoer serve` process, near-miss tokens, every body-taking route
over the size limit, the ca_pem on every way out (the dispatch a real https service
receives, the shell, /watch), and file modes of a server run under umask 0.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import ssl
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from echoer_tui.config import DEFAULT_LISTEN, Listen, resolve_listen
from echoer_tui.demo.actions import DemoActions
from echoer_tui.errors import StoreError
from echoer_tui.storage import open_store
from tests.reliability.harness import ROOT, STARTUP, ServeProcess, action_fsl, wait_until
from tests.reliability.stack import Stack, start_stack
from tests.support.certs import self_signed
from tests.unit.engine.loopback import ActionService

TOKEN = "correct-horse-battery-staple"
NEAR_MISSES = (
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": TOKEN},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer  {TOKEN}"},
    {"Authorization": f"Basic {base64.b64encode(f'echoer:{TOKEN}'.encode()).decode()}"},
    {"Authorization": "Bearer wrong"},
)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ECHOER_LISTEN", "ECHOER_TOKEN", "ECHOER_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_the_api_binds_to_loopback_by_default(no_env: None) -> None:
    listen = resolve_listen(None)
    assert listen == Listen.parse(DEFAULT_LISTEN)
    assert listen.host == "127.0.0.1" and listen.is_loopback


@pytest.mark.parametrize("token", [None, TOKEN])
def test_a_public_address_without_a_token_is_warned_about(
    tmp_path: Path, token: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOER_")}
    command = [sys.executable, "-m", "echoer_tui", "serve", "--data-dir", str(tmp_path / "d")]
    command += ["--listen", "0.0.0.0:0", *(["--token", token] if token else [])]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=STARTUP)
    if token is None:
        assert "warning: listening on 0.0.0.0 without a token" in err
    else:
        assert "warning" not in err


async def test_a_real_server_with_a_token_refuses_near_misses_on_every_route(
    tmp_path: Path,
) -> None:
    server = ServeProcess(tmp_path / "data", extra=("--token", TOKEN))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            authorized = {"Authorization": f"Bearer {TOKEN}"}
            document = (await client.get("/openapi.json", headers=authorized)).json()
            refused = 0
            for path, operations in document["paths"].items():
                concrete = re.sub(r"{\w+}", "x", path)
                for method in operations:
                    for headers in NEAR_MISSES:
                        response = await client.request(
                            method, concrete, headers=headers, json={"data": "", "uuid": "u"}
                        )
                        assert response.status_code == 401, (method, path, headers)
                        assert "token" in response.json()["message"]
                        refused += 1
                    # The token in the query string is not a token.
                    response = await client.request(method, concrete, params={"token": TOKEN})
                    assert response.status_code == 401, (method, path)
            # A body over any limit is refused for want of a token, before it is read.
            huge = await client.post(
                "/step", content=b"x" * (2 << 20), headers={"Content-Type": "application/json"}
            )
            assert huge.status_code == 401
            assert refused >= len(NEAR_MISSES) * 20
            listed = await client.get("/flowrun", headers=authorized)
            assert listed.status_code == 200 and listed.json() == []
    finally:
        server.terminate()


async def test_action_services_with_the_token_drive_a_run_to_done(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / "data", extra=("--token", TOKEN))
    services = DemoActions(engine_url=server.url, delay=0.0, token=TOKEN)
    await services.start()
    await server.start()
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as client:
            created = await client.post(
                "/action", json={"data": action_fsl("fast", services.url("fast"))}
            )
            assert created.status_code == 200, created.text
            run = (
                "flow_run r\n"
                ' step A => (SUCCESS->done) { action = "fast"; args = (n = 1); };\n'
                "flow_run_end\n"
            )
            assert (await client.post("/flowrun", json={"data": run})).status_code == 200

            async def done() -> bool:
                got = (await client.get("/flowrun/r")).json()
                return bool(got["spec"]["current_state"] == "done")

            await wait_until(done, 10.0, "run r done")
        assert [a.status for a in services.acks] == [200]
    finally:
        server.terminate()
        await services.stop()


async def test_every_body_route_refuses_an_oversize_body_and_changes_nothing(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        api = await start_stack(stack, tmp_path / "data", max_body=1024)
        document = (await api.client.get("/openapi.json")).json()
        seq = api.store.seq
        checked = 0
        oversize = b'{"data": "' + b"a" * 2048 + b'"}'
        for path, operations in document["paths"].items():
            concrete = re.sub(r"{\w+}", "x", path)
            for method, operation in operations.items():
                if "requestBody" not in operation:
                    continue
                declared = await api.client.request(
                    method, concrete, content=oversize, headers={"Content-Type": "application/json"}
                )
                assert declared.status_code == 413, (method, path, declared.text)
                streamed = await api.client.request(
                    method,
                    concrete,
                    content=_chunks(oversize),
                    headers={"Content-Type": "application/json"},
                )
                assert streamed.status_code == 413, (method, path, streamed.text)
                checked += 1
        assert checked >= 5
        assert api.store.seq == seq


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 256):
        yield data[start : start + 256]


async def test_ca_pem_never_leaves_for_a_service_nor_shows_in_full(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "service")
    pem = cert.read_text()
    capem = base64.b64encode(pem.encode()).decode()
    secrets = (capem, pem.strip(), "BEGIN CERTIFICATE", capem[:40])
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    async with AsyncExitStack() as stack:
        api: Stack = await start_stack(stack, tmp_path / "data")
        secure = await ActionService(ack_url=f"{api.url}/step").start(tls=tls)
        stack.push_async_callback(secure.close)
        await api.fsl(
            "/action",
            f'action secure\n addr = "https://127.0.0.1:{secure.port}/job";\n method = https;\n'
            f' secret = (capem = "{capem}");\n args = (int n);\n return = (OK);\naction_end\n',
        )
        await api.fsl(
            "/flowrun",
            'flow_run r\n step S => (OK->done) { action = "secure"; args = (n = 1); };\n'
            "flow_run_end\n",
        )
        await api.run_in("r", "done")
        stored = await api.store.get("action", "secure")
        assert stored is not None and stored["spec"]["ca_pem"] == capem  # the engine has it

        # What the https service received: the wire format, no CA anywhere in it.
        ((path, body),) = secure.received
        raw = repr(body)
        assert path == "job" and "ca_pem" not in body
        assert not any(s in raw for s in secrets)

        shown: list[str] = []
        for url in ("/action", "/action/secure", "/event", "/step", "/flowrun/r"):
            shown.append((await api.client.get(url)).text)
        for statement in ("list action", "get action secure", "get action"):
            shown.append((await api.client.post("/shell", json={"statement": statement})).text)
        shown.append(await _watch_text(api, "secure"))
        for text in shown:
            leaked = [s[:20] for s in secrets if s in text]
            assert not leaked, (leaked, text[:300])
        assert any("sha256:" in text for text in shown)


async def _watch_text(api: Stack, needle: str) -> str:
    """/watch from the start until a line mentions `needle`."""
    lines: list[str] = []
    async with asyncio.timeout(10):
        async with api.client.stream("GET", "/watch", params={"version": 0}) as response:
            async for line in response.aiter_lines():
                lines.append(line)
                if needle in line:
                    break
    return "\n".join(lines)


def test_files_of_a_server_run_under_umask_0_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOER_")}
    code = (
        "import os, sys; os.umask(0); from echoer_tui.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "serve",
            "--data-dir",
            str(data_dir),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"(http://\S+)", process.stdout.readline())
        assert url is not None
        reply = httpx.post(
            f"{url.group(1)}/action", json={"data": action_fsl("a", "http://127.0.0.1:1/a")}
        )
        assert reply.status_code == 200, reply.text
    finally:
        process.terminate()  # a clean stop compacts: the snapshot files are written too
        process.communicate(timeout=STARTUP)
    assert process.returncode == 0
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data_dir.iterdir()}
    assert "action.json" in files
    assert files == {name: 0o600 for name in files}


async def test_an_existing_world_writable_data_dir_is_refused_or_made_private(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    os.chmod(data_dir, 0o777)
    try:
        store = await open_store(data_dir)
    except StoreError:
        return  # refusing, as PostgreSQL refuses a data dir others can enter, is fine
    await store.close()
    assert stat.S_IMODE(data_dir.stat().st_mode) & 0o077 == 0


async def test_the_embedded_shell_shows_ca_pem_as_a_fingerprint(tmp_path: Path) -> None:
    cert, _key = self_signed(tmp_path, "service")
    capem = base64.b64encode(cert.read_bytes()).decode()
    async with AsyncExitStack() as stack:
        api = await start_stack(stack, tmp_path / "data")
        await api.fsl(
            "/action",
            'action secure\n addr = "https://127.0.0.1:1/job";\n method = https;\n'
            f' secret = (capem = "{capem}");\n args = (int n);\n return = (OK);\naction_end\n',
        )
        # `echoer repl` and the workbench answer from the facade, not through the API.
        listed = (await api.workbench.execute("list action")).render()
        got = (await api.workbench.execute("get action secure")).render()
    assert capem not in listed
    assert capem not in got and "sha256:" in got
