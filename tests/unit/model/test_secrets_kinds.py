"""Only actions carry a secret; other kinds pass through `redact` untouched and uncopied."""

from __future__ import annotations

from echoer_tui.model.secrets import redact


def test_a_flow_run_passes_through_as_the_same_object() -> None:
    run = {
        "metadata": {"kind": "flowrun", "name": "r"},
        "spec": {"steps": [{"metadata": {"kind": "step", "name": "A"}, "spec": {}}] * 500},
    }
    assert redact(run) is run
    assert redact([run, run])[0] is run


def test_an_action_in_a_list_beside_runs_is_still_fingerprinted() -> None:
    run = {"metadata": {"kind": "flowrun", "name": "r"}, "spec": {}}
    action = {"metadata": {"kind": "action", "name": "a"}, "spec": {"ca_pem": "PEMTEXT"}}
    shown = redact([run, action])
    assert shown[0] is run
    assert shown[1]["spec"]["ca_pem"].startswith("sha256:")
    assert action["spec"]["ca_pem"] == "PEMTEXT"
