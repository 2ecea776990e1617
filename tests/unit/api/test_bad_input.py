"""Every class of bad input gets a 4xx JSON refusal and changes nothing in the store."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.conftest import FLOW, Stack

JSON = {"Content-Type": "application/json"}

# (method, path, raw body or None, expected status, field named or None)
BAD_REQUESTS: list[tuple[str, str, bytes | None, int, str | None]] = [
    ("POST", "/action", b"{not json", 400, None),
    ("POST", "/action", b"", 400, None),
    ("POST", "/action", b"[1, 2]", 400, None),
    ("POST", "/action", b'{"data": 42}', 400, "data"),
    ("POST", "/action", b'{"fsl": "action x action_end"}', 400, "data"),
    ("POST", "/flow", b'{"data": null}', 400, "data"),
    ("POST", "/step", b"{}", 400, "uuid"),
    ("POST", "/step", b'{"uuid": "  ", "ackState": "SUCCESS"}', 400, "uuid"),
    ("POST", "/action", b'{"data": ""}', 400, "data"),
    ("POST", "/step", b'{"uuid": 7, "ackState": "SUCCESS"}', 400, "uuid"),
    ("POST", "/step", b'{"uuid": "nope", "ackState": "SUCCESS", "done": "yes"}', 400, "done"),
    (
        "POST",
        "/step",
        b'{"uuid": "no-such-attempt", "ackState": "SUCCESS", "done": true}',
        404,
        "uuid",
    ),
    ("POST", "/flowrun/nope/pause", None, 404, None),
    ("POST", "/flowrun/nope/rerun", b'{"step": 3}', 400, "step"),
    ("POST", "/flowrun/nope/ack", b'{"step": "A"}', 400, "state"),
    ("POST", "/flow/my_flow/run", b'{"run": "x", "args": {"project": [1]}}', 400, "args.project"),
    ("POST", "/flow/my_flow/run", b'{"args": {}}', 400, "run"),
    ("POST", "/flow/nope/run", b'{"run": "x"}', 404, None),
    ("POST", "/shell", b'{"statement": false}', 400, "statement"),
    # `load` would read the server's files for any caller.
    ("POST", "/shell", b'{"statement": "load /etc/passwd"}', 400, "statement"),
    ("GET", "/action/nope", None, 404, None),
    ("GET", "/gadget", None, 404, None),
    ("GET", "/gadget/x", None, 404, None),
    ("DELETE", "/action/nope", None, 404, None),
    ("DELETE", "/step/x", None, 405, None),
    ("PUT", "/action", b"{}", 405, None),
    ("GET", "/watch?resource=gadget", None, 400, "resource"),
    ("GET", "/watch?version=-1", None, 400, "version"),
    ("GET", "/step?flowrun=nope", None, 404, None),
]


def _assert_refusal(status: int, body: Any, expected: int, field: str | None) -> None:
    assert status == expected, body
    assert isinstance(body, dict)
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["error"], str) and body["error"]
    if field is not None:
        assert body.get("field") == field, body
    assert "Traceback" not in body["message"]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), BAD_REQUESTS)
async def test_bad_request_is_refused_and_changes_nothing(
    seeded: Stack, method: str, path: str, body: bytes | None, status: int, field: str | None
) -> None:
    seq = seeded.store.seq
    headers = JSON if body is not None else {}
    response = await seeded.client.request(method, path, content=body, headers=headers)
    assert response.headers["content-type"].startswith("application/json")
    _assert_refusal(response.status_code, response.json(), status, field)
    assert seeded.store.seq == seq


FSL_ERRORS = [
    # A syntax error: the diagnostic points at the line.
    ("/action", "action broken\n    addr = ;\naction_end\n", "addr", 2),
    # Translation: the flow's action does not exist.
    ("/flow", FLOW.replace('"ci"', '"nosuch"'), "nosuch", None),
    # The name is taken already.
    ("/flow", FLOW, "my_flow", None),
    # A statement of another kind than the route creates (no diagnostics: a plain refusal).
    ("/action", FLOW.replace("my_flow", "f2"), None, None),
]


@pytest.mark.parametrize(("path", "text", "mentions", "line"), FSL_ERRORS)
async def test_fsl_errors_come_with_positions(
    seeded: Stack, path: str, text: str, mentions: str | None, line: int | None
) -> None:
    seq = seeded.store.seq
    response = await seeded.client.post(path, json={"data": text})
    body = response.json()
    assert 400 <= response.status_code < 500, body
    _assert_refusal(response.status_code, body, response.status_code, None)
    if mentions is not None:
        diagnostics = body["diagnostics"]
        assert any(mentions in d["message"] for d in diagnostics), diagnostics
        lines = text.splitlines()
        for diagnostic in diagnostics:
            assert {"message", "hint"} <= set(diagnostic)
            assert 1 <= diagnostic["line"] <= len(lines)
            assert 1 <= diagnostic["column"] <= len(lines[diagnostic["line"] - 1]) + 1
        if line is not None:
            assert diagnostics[0]["line"] == line
    assert seeded.store.seq == seq


async def test_declared_oversize_body_is_refused_before_reading(seeded: Stack) -> None:
    seq = seeded.store.seq
    big = b'{"data": "' + b"x" * (1 << 20) + b'"}'
    response = await seeded.client.post("/action", content=big, headers=JSON)
    _assert_refusal(response.status_code, response.json(), 413, None)
    assert seeded.store.seq == seq


async def test_streamed_oversize_body_is_counted(seeded: Stack) -> None:
    async def chunks():  # no Content-Length: chunked transfer encoding
        yield b'{"data": "'
        for _ in range(40):
            yield b"x" * 32_768
        yield b'"}'

    seq = seeded.store.seq
    response = await seeded.client.post("/action", content=chunks(), headers=JSON)
    _assert_refusal(response.status_code, response.json(), 413, None)
    assert seeded.store.seq == seq


async def test_step_in_use_action_cannot_be_deleted(seeded: Stack) -> None:
    seq = seeded.store.seq
    response = await seeded.client.delete("/action/ci")
    _assert_refusal(response.status_code, response.json(), 409, None)
    assert seeded.store.seq == seq


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/action", {"GET", "POST"}),
        ("PUT", "/action/x", {"GET", "DELETE"}),
        ("GET", "/flowrun/x/pause", {"POST"}),
        ("GET", "/flow/x/run", {"POST"}),
        ("POST", "/watch", {"GET"}),
    ],
)
async def test_wrong_method_lists_the_allowed_ones(
    api: Stack, method: str, path: str, allowed: set[str]
) -> None:
    response = await api.client.request(method, path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allowed


async def test_an_unknown_run_operation_is_a_404_naming_the_valid_ones(seeded: Stack) -> None:
    response = await seeded.client.post("/flowrun/x/frob")
    assert response.status_code == 404
    body = response.json()
    assert body["field"] == "operation"
    assert "'frob'" in body["message"]
    assert "pause, continue, stop, rerun, ack" in body["message"]
    # The real operations still reach their handlers (x does not exist: its own 404).
    paused = await seeded.client.post("/flowrun/x/pause")
    assert paused.status_code == 404 and "flow run x does not exist" in paused.json()["message"]
