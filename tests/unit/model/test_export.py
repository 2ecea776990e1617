"""Flows and flow runs as DOT and Mermaid text."""

from __future__ import annotations

import pytest

from echoer_tui.errors import EchoerError
from echoer_tui.model.export import export
from echoer_tui.model.resources import FlowSpec, Metadata, Resource
from echoer_tui.model.translate import Catalog, translate
from tests.unit.model.builders import action, flow_run, seed_actions, seed_flow, step


def seed_flow_resource() -> dict:  # type: ignore[type-arg]
    result = translate([*seed_actions(), seed_flow()], Catalog())
    resource = result.statements[-1].resource
    assert resource is not None
    return resource


def test_flow_as_dot() -> None:
    dot = export(seed_flow_resource(), "dot")
    assert dot.startswith('digraph "my_flow" {')
    assert 's0 [label="A\\nci", shape=box, style="rounded"];' in dot
    assert 's1 [label="D\\napproval", shape=diamond];' in dot
    assert 's0 -> s1 [label="SUCCESS"];' in dot
    assert 's0 -> s0 [label="FAIL"];' in dot
    assert "done_" not in dot  # nothing in my_flow reaches done
    assert dot.rstrip().endswith("}")


def test_flow_run_as_mermaid_with_done_and_current_step() -> None:
    result = translate(
        [
            action("a", {}, ["OK", "KO"]),
            flow_run(
                "r",
                step("first step", "a", "OK->chk | KO->done"),
                step("chk", "a", "", kind="deci"),
            ),
        ],
        Catalog(),
    )
    run = result.statements[-1].resource
    assert run is not None
    run["spec"]["current_state"] = "chk"
    text = export(run, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '  s0["first step<br/>a"]' in lines
    assert '  s1{"chk<br/>a"}' in lines
    assert "  done_((done))" in lines
    assert '  s0 -->|"OK"| s1' in lines
    assert '  s0 -->|"KO"| done_' in lines
    assert '  s1 -->|"any"| done_' in lines
    assert "  class s1 current;" in lines

    dot = export(run, "dot")
    assert 'fillcolor="#ffe08a"' in dot
    assert 'done_ [label="done", shape=doublecircle];' in dot


def test_export_refuses_other_kinds_and_formats() -> None:
    with pytest.raises(EchoerError, match="only a flow or a flow run"):
        export({"metadata": {"kind": "action", "name": "a"}, "spec": {}}, "dot")
    with pytest.raises(EchoerError, match="expected dot or mermaid"):
        export(seed_flow_resource(), "png")


def test_flow_without_steps_still_draws() -> None:
    # Translation refuses a flow without steps; one stored before that rule still draws.
    empty = Resource(Metadata("empty", "flow"), FlowSpec([])).to_dict()
    assert export(empty, "mermaid") == "flowchart TD\n"
