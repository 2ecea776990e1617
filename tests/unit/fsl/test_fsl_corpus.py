"""Every file of the original project's FSL corpus parses as its README says."""

from __future__ import annotations

from pathlib import Path

from echoer_tui.fsl import ActionDecl, FlowDecl, FlowRunDecl, parse, split_statements
from tests.support.fsl_samples import EXAMPLE_STATEMENTS


def test_upper_example(corpus: Path) -> None:
    document = parse((corpus / "upper_example.fss").read_text())
    assert document.ok
    assert [(s.kind, s.name) for s in document.statements] == [
        *EXAMPLE_STATEMENTS,
        ("action", "ci_https"),
    ]
    flow = document.statements[5]
    assert isinstance(flow, FlowDecl)
    # the upper-case `STEP E` is a step like any other
    assert [(step.name, step.kind) for step in flow.steps] == [
        ("A", "step"),
        ("D", "deci"),
        ("B", "step"),
        ("E", "step"),
        ("C", "step"),
    ]
    run = document.statements[6]
    assert isinstance(run, FlowRunDecl)
    # `deploy` and `env` are unknown to the actions: a translation matter, not syntax
    assert run.steps[2].action == "deploy"
    assert run.steps[2].args[0].name == "env"
    https = document.statements[7]
    assert isinstance(https, ActionDecl)
    assert (https.method, https.capem) == ("https", "xxadsa")
    # the capem is not base64: a warning pointing at the value, not an error
    (warning,) = document.diagnostics
    assert warning.severity == "warning"
    assert (warning.line, warning.column) == (82, 18)
    assert warning.message == "capem is not valid base64"


def test_string_bug_backtick_json(corpus: Path) -> None:
    document = parse((corpus / "20201123_string_bug.fss").read_text())
    assert document.diagnostics == ()
    (run,) = document.statements
    assert isinstance(run, FlowRunDecl) and run.name == "flow_cd_1"
    (step,) = run.steps
    args = dict((arg.name, arg.value) for arg in step.args)
    assert args["artifactInfo"] == (
        '{"servicePorts":[{"name":"test","protocol":"TCP","port":80,"targetPort":80}]}'
    )
    assert args["replicas"] == 2
    assert [(e.state, e.target) for e in step.edges] == [("SUCCESS", "done"), ("FAIL", "done")]


def test_e2e_slash_separated(corpus: Path) -> None:
    text = (corpus / "e2e_action_impl_test.fsl").read_text()
    document = parse(text)
    assert document.ok
    assert [(s.kind, s.name) for s in document.statements] == [
        ("action", "my_action"),
        ("flow_run", "my_flow_run_6"),
        ("flow_run", "my_flow_run_6"),
        ("flow_run", "my_flow_run_28"),
    ]
    run = document.statements[1]
    assert isinstance(run, FlowRunDecl)
    assert run.steps[0].action == "my_action"  # an identifier action name
    # the name used twice is only a warning here; the store refuses the second
    (warning,) = document.diagnostics
    assert warning.severity == "warning"
    assert "my_flow_run_6 is defined again" in warning.message
    assert len(split_statements(text)) == 4
