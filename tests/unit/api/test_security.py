"""The bearer token guards every route of the OpenAPI document; secrets show as fingerprints."""

from __future__ import annotations

import asyncio
import base64
import re
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from openapi_spec_validator import validate

from tests.support.certs import https_action, self_signed_pem
from tests.unit.api.conftest import FLOW_RUN, WAIT, Stack, start_stack

TOKEN = "s3cret-token"
BAD_CREDENTIALS = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN})


async def test_openapi_document_is_valid_and_lists_the_routes(api: Stack) -> None:
    document = (await api.client.get("/openapi.json")).json()
    validate(document)
    paths = document["paths"]
    for path in ("/action", "/flow", "/flowrun", "/step", "/event", "/watch", "/healthz"):
        assert path in paths
    assert "post" in paths["/step"] and "requestBody" in paths["/step"]["post"]
    assert {"pause", "continue", "stop", "rerun", "ack"} <= {
        p.rsplit("/", 1)[1] for p in paths if p.startswith("/flowrun/{name}/")
    }


async def test_token_required_on_every_documented_route(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        api = await start_stack(stack, tmp_path / "data", token=TOKEN)
        document = (await api.client.get("/openapi.json")).json()
        seq = api.store.seq
        checked = 0
        async with httpx.AsyncClient(base_url=api.url) as anonymous:
            for path, operations in document["paths"].items():
                concrete = re.sub(r"{\w+}", "x", path)
                for method in operations:
                    for headers in (
                        {},
                        {"Authorization": "Bearer wrong"},
                        {"Authorization": TOKEN},
                    ):
                        response = await anonymous.request(
                            method, concrete, headers=headers, json={"data": ""}
                        )
                        assert response.status_code == 401, (method, path, headers)
                        assert response.json()["error"] == "UnauthorizedError"
                        checked += 1
            # Unknown paths are refused the same way (nothing to probe without the token).
            assert (await anonymous.get("/no/such/route")).status_code == 401
        assert checked >= 3 * 20
        assert api.store.seq == seq
        # With the token the same client gets in.
        assert (await api.client.get("/healthz")).status_code == 200


async def test_ca_pem_is_shown_as_a_fingerprint(api: Stack, tmp_path: Path) -> None:
    pem = self_signed_pem(tmp_path)
    capem = base64.b64encode(pem.encode()).decode()
    text = https_action(capem) + "\n"
    response = await api.client.post("/action", json={"data": text})
    assert response.status_code == 200, response.text
    stored = await api.store.get("action", "secure")
    assert stored is not None and stored["spec"]["ca_pem"]
    shown = [
        (await api.client.get("/action/secure")).json(),
        *(await api.client.get("/action")).json(),
        (await api.client.post("/shell", json={"statement": "get action secure"})).json(),
    ]
    for body in shown:
        raw = httpx.Response(200, json=body).text
        assert capem not in raw and "BEGIN CERTIFICATE" not in raw and pem not in raw
    assert shown[0]["spec"]["ca_pem"].startswith("sha256:")


async def test_a_remote_workbench_shows_the_fingerprint_too(api: Stack, tmp_path: Path) -> None:
    from echoer_tui.model.secrets import fingerprint
    from echoer_tui.service.remote import RemoteWorkbench

    capem = base64.b64encode(self_signed_pem(tmp_path).encode()).decode()
    remote = RemoteWorkbench(api.url)
    await remote.start()
    try:
        changes = remote.watch(["action"])
        replies = await remote.apply_fsl(https_action(capem) + "\n")
        assert [r.status for r in replies] == ["ok"], replies
        change = await asyncio.wait_for(anext(changes), 10)
        await changes.aclose()  # type: ignore[attr-defined]
        shown = [
            replies[0].data,
            change.resource,
            await remote.get("action", "secure"),
            await remote.list("action"),
            (await remote.execute("get action secure")).render(),
        ]
    finally:
        await remote.close()
    for item in shown:
        assert capem not in repr(item) and "BEGIN CERTIFICATE" not in repr(item)
    assert fingerprint(capem) in shown[-1]
    stored = await api.store.get("action", "secure")
    assert stored is not None and stored["spec"]["ca_pem"] == capem


async def test_an_ack_without_the_token_is_told_why(tmp_path: Path) -> None:
    """The original's action services ack without Authorization: the 401 says what to do."""
    async with AsyncExitStack() as stack:
        api = await start_stack(stack, tmp_path / "data", token=TOKEN)
        for path, text in (("/action", api.fsl_action()), ("/flowrun", FLOW_RUN.format(name="r"))):
            assert (await api.client.post(path, json={"data": text})).status_code == 200
        dispatch = await asyncio.wait_for(api.actions.next_dispatch(), WAIT)
        ack = {
            "flowId": dispatch["flowId"],
            "stepName": dispatch["stepName"],
            "ackState": "SUCCESS",
            "uuid": dispatch["uuid"],
            "done": True,
        }
        async with httpx.AsyncClient(base_url=api.url) as action_service:
            refused = await action_service.post("/step", json=ack)
        assert refused.status_code == 401
        assert refused.json()["message"] == (
            "this server requires a bearer token on every route, /step included; give your "
            "action service the token (Authorization: Bearer …) or run without --token on "
            "loopback"
        )
        run = (await api.client.get("/flowrun/r")).json()
        assert run["spec"]["current_state"] == "A"  # the refused ack changed nothing
        # With the token, the same ack goes through.
        assert (await api.client.post("/step", json=ack)).status_code == 200
