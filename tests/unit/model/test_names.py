"""The name rule: FSL statement and step names and run names given from outside FSL."""

from __future__ import annotations

import pytest

import echoer_tui.fsl as fsl
from echoer_tui.errors import TranslationError
from echoer_tui.model.diagnose import check_document
from echoer_tui.model.names import MAX_NAME_LENGTH, name_problem
from echoer_tui.model.translate import (
    BAD_NAME,
    DEFINED_TWICE,
    NAME_TAKEN,
    ActionSignature,
    Catalog,
    instantiate,
    translate,
)

ACTION = (
    'action {name}\n    addr = "http://127.0.0.1:1/x";\n    method = http;\n'
    "    return = (OK);\naction_end\n"
)
FLOW = 'flow f\n    step {step} => (OK->done) {{\n        action = "a";\n    }};\nflow_end\n'


@pytest.mark.parametrize(
    "bad",
    ["a/b", "", "   ", "tab\there", "bell\x07", "x" * (MAX_NAME_LENGTH + 1), 'q"and`'],
)
def test_name_rule_refuses(bad: str) -> None:
    assert name_problem(bad)


@pytest.mark.parametrize("good", ["a", "my run 1", "pipe-1.2", "x" * MAX_NAME_LENGTH, "né"])
def test_name_rule_accepts(good: str) -> None:
    assert name_problem(good) == ""


def test_quoted_statement_name_with_a_slash_is_an_error_at_the_name() -> None:
    text = ACTION.format(name='"a/b"')
    document = fsl.parse(text)
    [error] = [d for d in check_document(document) if d.severity == "error"]
    assert error.code == BAD_NAME
    assert "'/'" in error.message
    assert text[error.span.start : error.span.end] == '"a/b"'


def test_quoted_step_name_over_the_length_limit_is_an_error_at_the_step() -> None:
    long = "s" * (MAX_NAME_LENGTH + 1)
    text = ACTION.format(name="a") + "/\n" + FLOW.format(step=f'"{long}"')
    document = fsl.parse(text)
    [error] = [d for d in check_document(document) if d.severity == "error"]
    assert error.code == BAD_NAME
    assert f"at most {MAX_NAME_LENGTH} characters" in error.message
    assert text[error.span.start : error.span.end] == f'"{long}"'


def _flow_and_actions() -> tuple[dict[str, object], dict[str, ActionSignature]]:
    document = fsl.parse(ACTION.format(name="a") + "/\n" + FLOW.format(step="A"))
    result = translate(document.statements, Catalog())
    assert result.ok
    action, flow = result.resources
    return flow, {"a": ActionSignature.from_resource(action)}


@pytest.mark.parametrize("run", ["a/b", " ", "x\ny", "z" * (MAX_NAME_LENGTH + 1)])
def test_instantiate_refuses_a_bad_run_name_naming_the_field(run: str) -> None:
    flow, actions = _flow_and_actions()
    with pytest.raises(TranslationError) as caught:
        instantiate(flow, run, {}, actions)
    assert caught.value.field == "run"
    assert caught.value.to_dict()["field"] == "run"


def test_instantiate_accepts_a_good_run_name() -> None:
    flow, actions = _flow_and_actions()
    run = instantiate(flow, "run 1", {}, actions)
    assert run["metadata"]["name"] == "run 1"


def test_a_name_defined_twice_in_one_document_is_not_called_taken() -> None:
    text = ACTION.format(name="dup1") + "/\n" + ACTION.format(name="dup1")
    document = fsl.parse(text)
    [error] = [d for d in check_document(document) if d.severity == "error"]
    assert error.message == "action dup1 is defined twice in this document (first at 1:8)"
    assert error.code == DEFINED_TWICE != NAME_TAKEN
    assert "del action" not in error.hint
    assert error.span.line == 7


def test_a_stored_name_is_still_taken() -> None:
    document = fsl.parse(ACTION.format(name="dup1"))
    stored = translate(document.statements, Catalog()).resources
    [error] = check_document(document, Catalog.from_resources(stored))
    assert error.code == NAME_TAKEN
    assert "del action dup1" in error.hint
