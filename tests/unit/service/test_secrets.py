"""A CA PEM shows as a fingerprint wherever the workbench hands a resource out."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from echoer_tui.model.secrets import fingerprint, redact
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage.memory import MemoryStore
from tests.support.certs import https_action, self_signed_pem


def test_fingerprint_is_a_short_sha256_and_redact_copies_only_what_holds_a_secret() -> None:
    shown = fingerprint("PEM")
    assert shown.startswith("sha256:") and shown.endswith("…") and len(shown) == 7 + 16 + 1
    action = {"metadata": {"name": "a"}, "spec": {"ca_pem": "PEM", "endpoints": ["x"]}}
    flow = {"metadata": {"name": "f"}, "spec": {"steps": []}}
    out = redact([action, flow])
    assert out[0]["spec"]["ca_pem"] == shown
    assert out[0]["spec"]["endpoints"] is action["spec"]["endpoints"]
    assert out[1] is flow  # nothing secret: not copied
    assert action["spec"]["ca_pem"] == "PEM"  # the original is untouched
    assert redact(out) is out  # a fingerprint is not fingerprinted again
    assert redact({"spec": {"ca_pem": ""}})["spec"]["ca_pem"] == ""


async def test_every_way_out_of_the_local_workbench_shows_the_fingerprint(
    workbench: LocalWorkbench, store: MemoryStore, tmp_path: Path
) -> None:
    pem = self_signed_pem(tmp_path)
    capem = base64.b64encode(pem.encode()).decode()
    changes = workbench.watch(["action"])
    first_change = asyncio.ensure_future(anext(changes))

    (applied,) = await workbench.apply_fsl(https_action(capem))
    assert applied.status == "ok", applied.text
    replies = [
        await workbench.execute("get action secure"),
        await workbench.execute("list action"),
        await workbench.execute(https_action(capem).replace("secure", "other")),
    ]
    shown = [
        applied.data,
        await workbench.get("action", "secure"),
        await workbench.list("action"),
        await workbench.summaries("action"),
        (await asyncio.wait_for(first_change, 10)).resource,
        *(r.render() for r in replies),
        *(r.data for r in replies),
    ]
    await changes.aclose()  # type: ignore[attr-defined]
    for item in shown:
        text = repr(item)
        assert capem not in text and "BEGIN CERTIFICATE" not in text, text[:200]
    assert fingerprint(capem) in replies[0].render()
    assert (await workbench.get("action", "secure"))["spec"]["ca_pem"] == fingerprint(capem)
    # The engine reads the store, which keeps the whole PEM.
    stored = await store.get("action", "secure")
    assert stored is not None and stored["spec"]["ca_pem"] == capem
