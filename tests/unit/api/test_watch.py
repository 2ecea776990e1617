"""`GET /watch`: changes as server-sent events, each with id = seq, resumable after a version."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.unit.api.conftest import FLOW, WAIT, Stack


async def _events(
    client: httpx.AsyncClient, params: dict[str, Any], count: int, headers: Any = None
) -> list[dict[str, Any]]:
    """The first `count` SSE events of /watch (id, event, parsed data)."""
    events: list[dict[str, Any]] = []
    async with client.stream("GET", "/watch", params=params, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                    if len(events) == count:
                        return events
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
    return events


async def test_watch_delivers_a_live_change(api: Stack) -> None:
    since = api.store.seq
    listener = asyncio.create_task(_events(api.client, {"resource": "flow", "version": since}, 1))
    # Whether the stream opens before or after these writes, `version` makes it see them.
    response = await api.client.post("/action", json={"data": api.fsl_action()})
    assert response.status_code == 200
    response = await api.client.post("/flow", json={"data": FLOW})
    assert response.status_code == 200
    (event,) = await asyncio.wait_for(listener, WAIT)
    assert event["event"] == "put"
    assert event["data"]["kind"] == "flow" and event["data"]["name"] == "my_flow"
    assert int(event["id"]) == event["data"]["seq"] > since
    assert event["data"]["resource"]["metadata"]["name"] == "my_flow"


async def test_watch_resumes_after_version(seeded: Stack) -> None:
    first = await asyncio.wait_for(_events(seeded.client, {"version": 0}, 2), WAIT)
    assert [e["data"]["name"] for e in first] == ["ci", "my_flow"]
    after = int(first[0]["id"])
    (resumed,) = await asyncio.wait_for(_events(seeded.client, {"version": after}, 1), WAIT)
    assert resumed["id"] == first[1]["id"]
    # The original's `resource=KIND?version=N` form, and Last-Event-ID, resume the same way.
    (original,) = await asyncio.wait_for(
        _events(seeded.client, {"resource": f"flow?version={after}"}, 1), WAIT
    )
    assert original["id"] == first[1]["id"]
    assert original["data"]["metadata"]["name"] == "my_flow"  # the original's framing
    (by_header,) = await asyncio.wait_for(
        _events(seeded.client, {}, 1, headers={"Last-Event-ID": str(after)}), WAIT
    )
    assert by_header["id"] == first[1]["id"]


async def test_the_original_query_form_streams_the_original_framing(seeded: Stack) -> None:
    """`resource=KIND?version=N`: unnamed events whose data is the resource itself, so an
    `EventSource.onmessage` client of the Go server gets them; a delete sends the last
    stored resource."""
    since = seeded.store.seq
    listener = asyncio.create_task(_events(seeded.client, {"resource": f"flow?version={since}"}, 2))
    assert (
        await seeded.client.post("/flow", json={"data": FLOW.replace("my_flow", "f2")})
    ).status_code == 200
    assert (await seeded.client.delete("/flow/f2")).status_code == 200
    put, deleted = await asyncio.wait_for(listener, WAIT)
    for event in (put, deleted):
        assert "event" not in event  # unnamed: delivered to onmessage
        assert set(event["data"]) == {"metadata", "spec"}
        assert event["data"]["metadata"]["name"] == "f2"
        assert event["data"]["metadata"]["kind"] == "flow"
    assert int(deleted["id"]) > int(put["id"]) > since


async def test_our_query_form_keeps_the_named_wrapped_events(seeded: Stack) -> None:
    since = seeded.store.seq
    params = {"resource": "flow", "version": since}
    listener = asyncio.create_task(_events(seeded.client, params, 2))
    assert (
        await seeded.client.post("/flow", json={"data": FLOW.replace("my_flow", "f3")})
    ).status_code == 200
    assert (await seeded.client.delete("/flow/f3")).status_code == 200
    put, deleted = await asyncio.wait_for(listener, WAIT)
    assert (put["event"], deleted["event"]) == ("put", "delete")
    assert set(put["data"]) == {"seq", "op", "kind", "name", "resource"}
    assert (deleted["data"]["op"], deleted["data"]["name"]) == ("delete", "f3")
