"""Typical mistakes give a diagnostic with the exact position and plain words."""

from __future__ import annotations

import pytest

from echoer_tui.fsl import caret_excerpt, parse

ACTION_MISSING_SEMI = """\
action ci
    addr = "http://127.0.0.1:18080/ci"
    method = http;
    return = (SUCCESS | FAIL);
action_end
"""


def only_error(text: str) -> tuple[int, int, str, str]:
    document = parse(text)
    errors = document.errors
    assert len(errors) == 1, document.diagnostics
    error = errors[0]
    return error.line, error.column, error.message, error.hint


def test_missing_semicolon_after_addr_points_after_the_value() -> None:
    line, column, message, hint = only_error(ACTION_MISSING_SEMI)
    assert (line, column) == (2, 39)
    assert message == "expected ';' after the addr value"
    assert "end the line with ;" in hint
    document = parse(ACTION_MISSING_SEMI)
    assert str(document.errors[0]).startswith("2:39: expected ';' after the addr value")
    assert document.statements == ()  # a statement with a syntax error is not returned


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("action a\n    method = ftp;\n", (2, 14), "expected http, https or grpc after 'method ='"),
        ("action a\n    args = (string a);\n", (2, 13), "expected a param type, str or int"),
        (
            "flow f\n    step A (OK->done) { action = a; };\nflow_end",
            (2, 12),
            "expected '=>' after the step name",
        ),
        (
            "flow f\n    step A => (OK->) { action = a; };\nflow_end",
            (2, 20),
            "expected a step name or done after '->'",
        ),
        (
            "flow f\n    step A => (OK->done) action = a; };\nflow_end",
            (2, 26),
            "expected '{' to open the step's body",
        ),
        (
            "flow f\n    step A => (OK->done) { args = (); };\nflow_end",
            (2, 28),
            "expected 'action = NAME;' at the start of the step's body",
        ),
        (
            "flow f\n    step A => (OK->done) {\n        action = a\n    };\nflow_end",
            (3, 19),
            "expected ';' after the action name",
        ),
        (
            "flow_run f\n    step A => (OK->done) { action = a; args = (x = y); };\nflow_run_end",
            (2, 52),
            "expected a value after 'x =': a \"string\", a `string` or a number",
        ),
        ("action a\n    addr = http://x;\n", (2, 12), "expected a quoted address after 'addr ='"),
        (
            "flow f\n    step A => (OK->done) { action = a; };\n",
            (2, 42),
            "flow f is not closed: expected flow_end",
        ),
        (
            'action a\n    addr = "http://x;\n    method = http;\naction_end',
            (2, 12),
            "unterminated string: it is not closed on this line",
        ),
        (
            "flow f\n    step step => () { action = a; };\nflow_end",
            (2, 10),
            "'step' is a keyword and cannot be used as a name here",
        ),
        (
            "flow f\n    step A => (OK->done) { action = a; } } ;\nflow_end",
            (2, 42),
            "expected a step (step or deci) or the end of the flow",
        ),
        ("hello", (1, 1), "expected a statement: action, flow or flow_run"),
        (
            "flow f\n    step A => (OK->done) { action = a; };\nflow_run_end",
            (3, 1),
            "flow f cannot end with flow_run_end: a flow ends with flow_end",
        ),
        (
            "flow f\n    step A => () { action = a;\nflow_end",
            (2, 31),
            "expected 'args = (…);' or '}' after the action",
        ),
    ],
)
def test_typical_mistakes(text: str, position: tuple[int, int], message: str) -> None:
    line, column, found, hint = only_error(text)
    assert ((line, column), found) == (position, message)
    assert hint


def test_every_statement_error_is_reported_in_one_pass() -> None:
    text = (
        'action a\n    addr = "x"\n    method = http;\n    return = (A);\naction_end\n'
        "flow f\n    step A => (OK->done) { action = a };\n"
        "    step B => (OK->done) { action = a; };\n"
        "    step C (OK->done) { action = a; };\nflow_end\n"
        "flow_run r\n    step A => (OK->done) { action = a; };\nflow_run_end\n"
    )
    document = parse(text)
    assert [(d.line, d.message) for d in document.errors] == [
        (2, "expected ';' after the addr value"),
        (7, "expected ';' after the action name"),
        (9, "expected '=>' after the step name"),
    ]
    # the good statement after the broken ones is still there
    assert [s.name for s in document.statements] == ["r"]


def test_missing_end_does_not_hide_the_next_statement() -> None:
    text = (
        "flow f\n    step A => (OK->done) { action = a; };\n\n"
        "flow_run r\n    step A => (OK->done) { action = a; };\nflow_run_end\n"
    )
    document = parse(text)
    assert [d.message for d in document.errors] == ["flow f is not closed: expected flow_end"]
    assert [s.name for s in document.statements] == ["r"]


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("Done", "did you mean done?"),
        ("DONE", "did you mean done?"),
        ("don", "did you mean done?"),
        ("Bb", "did you mean B?"),
        ("Z", "define step Z or go to done"),
    ],
)
def test_edges_to_missing_steps(target: str, hint: str) -> None:
    text = (
        f"flow f\n    step A => (OK->{target}) {{ action = a; }};\n"
        "    step B => (OK->done) { action = a; };\nflow_end\n"
    )
    line, column, message, found_hint = only_error(text)
    assert (line, column) == (2, 20)
    assert message == f"step A goes to {target} on OK, but flow f has no step {target}"
    assert found_hint.startswith(hint)


def test_duplicate_steps_and_states() -> None:
    text = (
        "flow_run r\n"
        "    step A => (OK->B | OK->A) { action = a; args = (x = 1, x = 2); };\n"
        "    step B => () { action = a; };\n"
        "    step A => () { action = a; };\n"
        "flow_run_end\n"
    )
    document = parse(text)
    assert [(d.line, d.column, d.message) for d in document.errors] == [
        (2, 24, "state OK appears twice in the returns of step A"),
        (2, 60, "arg x is given twice in step A"),
        (4, 10, "step A is defined twice in flow_run r"),
    ]
    # the statement parsed, so it is returned alongside its diagnostics
    assert [s.name for s in document.statements] == ["r"]


def test_action_meaning_checks() -> None:
    text = (
        'action a\n    addr = "http://x";\n    method = https;\n'
        "    args = (str p, int p);\n    return = (A | B | A);\naction_end\n"
    )
    document = parse(text)
    assert [(d.severity, d.message) for d in document.diagnostics] == [
        ("warning", "action a uses https without secret = (capem = …)"),
        ("error", "param p is declared twice in action a"),
        ("error", "return state A is declared twice in action a"),
    ]


def test_action_without_return_is_an_error() -> None:
    line, column, message, _ = only_error('action a\n    addr = "x";\naction_end')
    assert (line, column, message) == (3, 1, "action a declares no return states")


def test_caret_excerpt_marks_the_span() -> None:
    text = "flow f\n    step A => (OK->Done) { action = a; };\nflow_end\n"
    (error,) = parse(text).errors
    assert caret_excerpt(text, error) == (
        "    step A => (OK->Done) { action = a; };\n                   ^~~~"
    )


def test_caret_excerpt_of_a_huge_line_is_a_window() -> None:
    text = "flow f " + "x " * 100_000 + "@"
    document = parse(text)
    excerpt = caret_excerpt(text, document.errors[-1])
    assert all(len(line) <= 120 for line in excerpt.splitlines())
    assert "^" in excerpt


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\xff garbage {{{ ))) ;;;",
        "flow f step A => ( { { { ",
        "flow_run r\n    step A => (OK->done) { action = a; args = (x = `unterminated); };\n",
        "action_end flow_end flow_run_end / / /",
        "flow f\n" + "    step A => (OK->done) { action = a; };\n" * 3,
        "9" * 5000
        + " flow_run r step a => () { action = b; args = (n = "
        + "9" * 5000
        + "); }; flow_run_end",
        "x" * 5_000_000,
    ],
)
def test_bad_input_gives_diagnostics_not_exceptions(text: str) -> None:
    document = parse(text)
    assert document.diagnostics
    for diagnostic in document.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.message
