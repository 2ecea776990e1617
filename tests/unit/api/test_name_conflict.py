"""A name already taken is a conflict with the store (409), not bad FSL (400)."""

from __future__ import annotations

import pytest

from echoer_tui.errors import EchoerError
from echoer_tui.service.remote import RemoteWorkbench
from tests.unit.api.conftest import FLOW, FLOW_RUN, Stack


async def _create(seeded: Stack, path: str, text: str) -> None:
    response = await seeded.client.post(path, json={"data": text})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["action", "flow", "flowrun"])
async def test_creating_a_taken_name_answers_409(seeded: Stack, kind: str) -> None:
    text = {
        "action": seeded.fsl_action(),
        "flow": FLOW,
        "flowrun": FLOW_RUN.format(name="r1"),
    }[kind]
    if kind == "flowrun":
        await _create(seeded, "/flowrun", text)
    seq = seeded.store.seq
    response = await seeded.client.post(f"/{kind}", json={"data": text})
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "NameConflictError"  # a ConflictError, saying which kind
    assert body["field"] == "data"
    assert "already exists" in body["message"]
    [diagnostic] = body["diagnostics"]
    assert diagnostic["code"] == "name-taken" and diagnostic["line"] == 1
    assert seeded.store.seq == seq  # nothing written

    # The shell's answer to the same statement is unchanged: an `E| …` reply.
    shell = await seeded.client.post("/shell", json={"statement": text.rstrip("\n")})
    assert shell.status_code == 200, shell.text
    assert shell.json()["rendered"].startswith("E| ")
    assert "already exist" in shell.json()["rendered"]


async def test_a_taken_name_with_other_errors_is_still_a_translation_error(
    seeded: Stack,
) -> None:
    broken = FLOW.replace('action = "ci"', 'action = "nope"')  # my_flow is taken too
    response = await seeded.client.post("/flow", json={"data": broken})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "TranslationError"
    codes = [d.get("code", "") for d in body["diagnostics"]]
    assert "name-taken" in codes and "" in codes


async def test_a_remote_workbench_creates_a_document_whole_or_not_at_all(api: Stack) -> None:
    remote = RemoteWorkbench(api.url)
    await remote.start()
    try:
        two = api.fsl_action("a1") + api.fsl_action("a2")
        created = await remote.create_fsl(two)
        assert [r["metadata"]["name"] for r in created] == ["a1", "a2"]
        # a3 is new, a2 is taken: the server refuses the whole document (409), a3 is not made.
        with pytest.raises(EchoerError, match='"a2" already exists'):
            await remote.create_fsl(api.fsl_action("a3") + api.fsl_action("a2"))
        assert (await api.client.get("/action/a3")).status_code == 404
        with pytest.raises(EchoerError, match="one kind of resource per request"):
            await remote.create_fsl(api.fsl_action("a4") + FLOW)
        assert await api.store.get("action", "a4") is None
    finally:
        await remote.close()
