"""https actions: the action's own CA (base64 PEM) is the only trust root."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

from echoer_tui.model.resources import SERVE_TYPES, ActionSpec, Metadata, Resource
from tests.support.certs import self_signed
from tests.unit.engine.builders import flowrun, state_is, step, store_all, wait_run
from tests.unit.engine.conftest import Rig
from tests.unit.engine.loopback import ActionService


def https_action(name: str, port: int, ca_pem: str) -> dict[str, object]:
    spec = ActionSpec(
        serve_type=SERVE_TYPES["https"],
        endpoints=[f"127.0.0.1:{port}/job"],
        ca_pem=ca_pem,
        return_states=["OK"],
        retry=0,
    )
    return Resource(Metadata(name, "action"), spec).to_dict()


async def test_https_action_trusts_its_own_ca_only(rig: Rig, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "service")
    other, _ = self_signed(tmp_path, "other")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    secure = await ActionService(ack_url=rig.receiver.url).start(tls=tls)
    try:
        good = base64.b64encode(cert.read_bytes()).decode()
        wrong = base64.b64encode(other.read_bytes()).decode()
        await store_all(
            rig.repo,
            [
                https_action("trusted", secure.port, good),
                https_action("mistrusted", secure.port, wrong),
                https_action("garbled", secure.port, "not base64!"),
                flowrun("ok", [step("S", "trusted", {}, {"OK": "done"})]),
                flowrun("bad_ca", [step("S", "mistrusted", {}, {"OK": "done"})]),
                flowrun("bad_pem", [step("S", "garbled", {}, {"OK": "done"})]),
            ],
        )
        for name in ("ok", "bad_ca", "bad_pem"):
            await rig.engine.launch(name)
        run = await wait_run(rig.repo, "ok", state_is("done"))
        assert run["spec"]["history_states"] == ["ready", "S", "done"]
        assert "ca_pem" not in secure.received[0][1]

        bad_ca = await wait_run(rig.repo, "bad_ca", state_is("stopped"))
        assert "certificate" in bad_ca["spec"]["last_err"].lower()
        bad_pem = await wait_run(rig.repo, "bad_pem", state_is("stopped"))
        assert "ca_pem is not base64-encoded PEM" in bad_pem["spec"]["last_err"]
        assert len(secure.received) == 1  # only the trusted dispatch got through
    finally:
        await secure.close()
