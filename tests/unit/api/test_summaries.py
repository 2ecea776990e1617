"""`GET /<kind>?fields=summary` and the workbenches' `summaries`, over a real API."""

from __future__ import annotations

from echoer_tui.service.remote import RemoteWorkbench
from echoer_tui.storage.repository import summary_of
from tests.unit.api.conftest import FLOW_RUN, Stack

KINDS = ("action", "flow", "flowrun", "step", "event")


async def test_every_kind_lists_as_summaries_matching_the_full_resources(seeded: Stack) -> None:
    response = await seeded.client.post("/flowrun", json={"data": FLOW_RUN.format(name="r1")})
    assert response.status_code == 200, response.text
    remote = RemoteWorkbench(seeded.url)
    await remote.start()
    try:
        for kind in KINDS:
            full = (await seeded.client.get(f"/{kind}")).json()
            summaries = (await seeded.client.get(f"/{kind}", params={"fields": "summary"})).json()
            # The run moves on meanwhile (attempts and events are added, the run's
            # version grows): compare what did not change between the two reads.
            assert full or kind == "step", kind
            by_name = {s["metadata"]["name"]: s for s in summaries}
            for resource in full:
                summary = by_name[resource["metadata"]["name"]]
                if resource["metadata"]["version"] == summary["metadata"]["version"]:
                    assert summary == summary_of(resource)
            local = await seeded.workbench.summaries(kind)
            assert {s["metadata"]["name"] for s in local} >= set(by_name)
            remote_summaries = await remote.summaries(kind)
            assert {s["metadata"]["name"] for s in remote_summaries} >= {
                s["metadata"]["name"] for s in summaries
            }
        (run,) = await remote.summaries("flowrun", prefix="r")
        assert "steps" not in run["spec"] and "current_state" in run["spec"]
        assert remote.known_names("flowrun") == ("r1",)
        steps = await seeded.client.get("/step", params={"flowrun": "r1", "fields": "summary"})
        assert steps.status_code == 200
        assert all(set(s) == {"metadata", "spec"} for s in steps.json())
    finally:
        await remote.close()


async def test_an_unknown_fields_value_is_refused_naming_the_choice(seeded: Stack) -> None:
    response = await seeded.client.get("/flow", params={"fields": "everything"})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "fields"
    assert "fields=summary" in body["message"]
