"""The README example of the original project parses to the expected tree."""

from __future__ import annotations

from echoer_tui.fsl import (
    DONE,
    ActionDecl,
    FlowDecl,
    FlowRunDecl,
    parse,
)
from tests.support.fsl_samples import (
    EXAMPLE_FLOW,
    EXAMPLE_STATEMENTS,
    README_ACTIONS,
    README_FLOW_RUN,
)

README = README_ACTIONS + "\n" + EXAMPLE_FLOW + "\n" + README_FLOW_RUN
"""The README's actions, the example's `flow my_flow`, then the README's flow_run."""


def test_readme_example_parses_without_diagnostics() -> None:
    document = parse(README)
    assert document.diagnostics == ()
    assert [(s.kind, s.name) for s in document.statements] == EXAMPLE_STATEMENTS


def test_readme_actions() -> None:
    actions = {s.name: s for s in parse(README).statements if isinstance(s, ActionDecl)}
    ci = actions["ci"]
    assert ci.addrs == ("http://localhost:18080/ci",)
    assert ci.method == "http"
    assert [(p.name, p.type) for p in ci.params] == [
        ("project", "str"),
        ("version", "str"),
        ("retry_count", "int"),
    ]
    assert [s.name for s in ci.returns] == ["SUCCESS", "FAIL"]
    assert ci.capem is None and ci.retry is None and ci.timeout is None
    assert [s.name for s in actions["approval"].returns] == ["AGREE", "REJECT", "NEXT", "FAIL"]
    assert [(p.name, p.type) for p in actions["approval"].params] == [
        ("work_order", "str"),
        ("version", "int"),
    ]
    assert [s.name for s in actions["approval_2"].returns] == ["AGREE", "REJECT", "FAIL"]
    assert actions["deploy_1"].addrs == ("http://localhost:18080/deploy",)
    assert actions["notify"].span.line == 33
    assert actions["notify"].name_span.column == 8


def test_readme_flow_graph() -> None:
    flow = next(s for s in parse(README).statements if isinstance(s, FlowDecl))
    graph = {
        step.name: (step.kind, step.action, [(e.state, e.target) for e in step.edges])
        for step in flow.steps
    }
    assert graph == {
        "A": ("step", "ci", [("SUCCESS", "D"), ("FAIL", "A")]),
        "D": (
            "deci",
            "approval",
            [("AGREE", "B"), ("REJECT", "C"), ("NEXT", "E"), ("FAIL", "D")],
        ),
        "B": ("step", "deploy_1", [("FAIL", "B"), ("SUCCESS", "C")]),
        "E": ("step", "approval_2", [("REJECT", "C"), ("AGREE", "B"), ("FAIL", "E")]),
        "C": ("step", "notify", [("FAIL", "C")]),
    }
    assert all(step.args == () for step in flow.steps)


def test_readme_flow_run_args_and_positions() -> None:
    run = next(s for s in parse(README).statements if isinstance(s, FlowRunDecl))
    assert [step.name for step in run.steps] == ["A", "D", "B", "E", "C"]
    first = run.steps[0]
    assert [(a.name, a.value) for a in first.args] == [
        ("project", "https://github.com/yametech/compass.git"),
        ("version", "v0.1.0"),
        ("retry_count", 10),
    ]
    assert isinstance(first.args[2].value, int)
    last = run.steps[-1]
    assert [(e.state, e.target) for e in last.edges] == [("SUCCESS", DONE), ("FAIL", "C")]
    assert [(a.name, a.value) for a in last.args] == [("project", "nz00001"), ("version", 12343)]
    # positions are 1-based line/column as editors show them
    assert (first.name_span.line, first.name_span.column) == (61, 7)
    assert (first.action_span.line, first.action_span.column) == (62, 12)
    assert README[first.span.start : first.span.end].startswith("step A =>")
    assert README[first.span.start : first.span.end].endswith("};")
