"""Every file in examples/ parses, and translates cleanly against its own actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from echoer_tui.demo.main import EXAMPLE_BASE_URL, example_fsl
from echoer_tui.fsl import parse
from echoer_tui.fsl.ast import ActionDecl, Document, FlowDecl, FlowRunDecl
from echoer_tui.model.translate import Catalog, pem_problem, translate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FILES = sorted(EXAMPLES.glob("*.fsl"))


def load(path: Path) -> Document:
    document = parse(path.read_text("utf-8"))
    assert document.ok, [str(d) for d in document.errors]
    return document


def test_there_is_an_example_for_each_feature() -> None:
    names = {path.stem for path in FILES}
    assert {
        "readme",
        "retries_and_timeouts",
        "decision",
        "https_action",
        "globals",
        "several_runs",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_parses_and_translates_without_errors(path: Path) -> None:
    document = load(path)
    translation = translate(document.statements, Catalog())
    problems = [str(d) for d in translation.diagnostics]
    assert translation.ok, problems
    assert not problems, problems  # not even a warning: examples show clean FSL
    assert len(translation.resources) == len(document.statements)


def test_readme_example_is_the_demo_example() -> None:
    assert (EXAMPLES / "readme.fsl").read_text("utf-8") == example_fsl(EXAMPLE_BASE_URL)


def test_demo_example_points_every_action_at_the_given_services() -> None:
    document = parse(example_fsl("http://127.0.0.1:4242"))
    actions = [s for s in document.statements if isinstance(s, ActionDecl)]
    assert [a.name for a in actions] == ["ci", "approval", "deploy_1", "approval_2", "notify"]
    assert [a.addrs for a in actions] == [(f"http://127.0.0.1:4242/{a.name}",) for a in actions]
    kinds = [type(s) for s in document.statements]
    assert kinds.count(FlowDecl) == 1 and kinds.count(FlowRunDecl) == 1
    (run,) = [s for s in document.statements if isinstance(s, FlowRunDecl)]
    assert run.name == "my_flow_run"
    assert [step.name for step in run.steps] == ["A", "D", "B", "E", "C"]


def test_retries_and_timeouts_example_sets_both_extensions() -> None:
    document = load(EXAMPLES / "retries_and_timeouts.fsl")
    build = next(s for s in document.statements if isinstance(s, ActionDecl) and s.name == "build")
    assert (build.retry, build.timeout) == (5, 30)
    resources = translate(document.statements, Catalog()).resources
    spec = next(r["spec"] for r in resources if r["metadata"]["name"] == "build")
    assert (spec["retry"], spec["timeout"]) == (5, 30)


def test_decision_example_has_deci_steps() -> None:
    document = load(EXAMPLES / "decision.fsl")
    (run,) = [s for s in document.statements if isinstance(s, FlowRunDecl)]
    assert [step.kind for step in run.steps].count("deci") == 2


def test_https_example_carries_a_real_ca_certificate() -> None:
    document = load(EXAMPLES / "https_action.fsl")
    (action,) = [s for s in document.statements if isinstance(s, ActionDecl)]
    assert action.method == "https"
    assert action.capem is not None
    assert pem_problem(action.capem) == ""
    assert "PRIVATE KEY" not in (EXAMPLES / "https_action.fsl").read_text("utf-8")


def test_several_runs_example_defines_a_flow_without_runs() -> None:
    document = load(EXAMPLES / "several_runs.fsl")
    assert [type(s) for s in document.statements].count(FlowDecl) == 1
    assert not any(isinstance(s, FlowRunDecl) for s in document.statements)


def test_the_readme_shows_the_example_the_demo_loads() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text("utf-8")
    example = (EXAMPLES / "readme.fsl").read_text("utf-8")
    assert example[example.index("action ci") :].rstrip() in readme
