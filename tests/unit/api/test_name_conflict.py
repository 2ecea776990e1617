"""A name already taken is a conflict with the store (409), not bad FSL (400)."""

from __future__ import annotations

import pytest

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
