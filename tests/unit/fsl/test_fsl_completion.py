"""What the cursor is in, for the shell's and the editor's completers."""

from __future__ import annotations

import pytest

from echoer_tui.fsl import completion_context

FLOW_HEAD = "flow_run r\n    step A => (SUCCESS->B | FAIL->A) {\n        action = ci;\n"


@pytest.mark.parametrize(
    ("text", "kind", "prefix"),
    [
        ("", "statement", ""),
        ("fl", "statement", "fl"),
        ("action a\n    method = ", "method", ""),
        ("action a\n    method = ht", "method", "ht"),
        ("action a\n    args = (str a, ", "param_type", ""),
        ("action a\n    return = (", "state_name", ""),
        ("flow f\n    step A => (SUCCESS->", "step_name", ""),
        ("flow f\n    step A => (SUCCESS->do", "step_name", "do"),
        ("flow f\n    step A => (SUCCESS->B | FA", "state_name", "FA"),
        ("flow f\n    step A => (OK->B) {\n        action = ", "action_name", ""),
        (FLOW_HEAD + "        args = (pro", "arg_name", "pro"),
        (FLOW_HEAD + "        args = (project=", "value", ""),
        (FLOW_HEAD + "    };\n    ", "keyword", ""),
        ("action a\n    ", "keyword", ""),
    ],
)
def test_context_kinds(text: str, kind: str, prefix: str) -> None:
    context = completion_context(text, len(text))
    assert (context.kind, context.prefix) == (kind, prefix)


def test_keywords_offered_in_a_flow_run_body() -> None:
    text = FLOW_HEAD + "    };\n    "
    context = completion_context(text, len(text))
    assert context.keywords == ("deci", "flow_run_end", "step")
    assert context.statement == "flow_run"


def test_step_names_and_action_of_the_current_statement() -> None:
    text = (
        "flow f\n    step A => (OK->B) { action = ci; };\n"
        "    step B => (OK->) { action = notify; };\nflow_end\n"
    )
    cursor = text.index("OK->)") + 4
    context = completion_context(text, cursor)
    assert context.kind == "step_name"
    assert context.step_names == ("A", "B")
    assert context.state_names == ("OK",)

    args = FLOW_HEAD + "        args = (x=1, "
    assert completion_context(args, len(args)).action == "ci"


def test_param_names_of_an_action() -> None:
    text = "action a\n    args = (str project, int version);\n    "
    context = completion_context(text, len(text))
    assert context.param_names == ("project", "version")
    assert "return" in context.keywords


def test_cursor_between_statements_and_out_of_range() -> None:
    text = "flow f\nflow_end\n\n"
    assert completion_context(text, len(text)).kind == "statement"
    assert completion_context(text, 10_000).kind == "statement"
    assert completion_context(text, -5).kind == "statement"
