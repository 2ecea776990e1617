"""Reply rendering: compact JSON, tables, diagnostics with a caret."""

from __future__ import annotations

from echoer_tui.fsl.ast import Diagnostic, Span
from echoer_tui.service.render import (
    compact_json,
    diagnostic_text,
    event_rows,
    resource_rows,
    table,
)


def test_compact_json_sorts_keys_like_the_original() -> None:
    assert compact_json(
        {"spec": {"b": 1, "a": [1, "x"]}, "metadata": {"name": "n", "kind": "flow"}}
    ) == ('{"metadata":{"kind":"flow","name":"n"},"spec":{"a":[1,"x"],"b":1}}')


def test_table_boxes_and_multiline_cells() -> None:
    text = table(["name", "states"], [["ci", "SUCCESS\nFAIL"], ["approval", ["A"]]])
    assert text.splitlines() == [
        "+----------+---------+",
        "| NAME     | STATES  |",
        "+----------+---------+",
        "| ci       | SUCCESS |",
        "|          | FAIL    |",
        '| approval | ["A"]   |',
        "+----------+---------+",
    ]
    assert table(["a"], []).count("\n") == 2


def test_resource_rows_add_state_for_flow_runs() -> None:
    run = {
        "metadata": {"name": "r", "kind": "flowrun", "uuid": "u", "version": 3},
        "spec": {"current_state": "A"},
    }
    assert resource_rows("flowrun", [run]) == (
        ["name", "kind", "uuid", "version", "state"],
        [["r", "flowrun", "u", 3, "A"]],
    )
    headers, _ = resource_rows("action", [])
    assert headers == ["name", "kind", "uuid", "version"]


def test_event_rows() -> None:
    headers, rows = event_rows(
        [
            {
                "metadata": {"name": "e"},
                "spec": {
                    "resource_name": "r",
                    "step_name": "A",
                    "state": "OK",
                    "message": "m",
                    "time": 0,
                },
            }
        ]
    )
    assert headers[0] == "time" and rows == [["", "r", "A", "OK", "m"]]


def test_diagnostic_with_caret_and_hint() -> None:
    source = 'flow f\n    step A => (OK->done) { action = "ci"; };\nflow_end'
    start = source.index('"ci"')
    diagnostic = Diagnostic(
        Span.at(source, start, start + 4), 'action "ci" is not defined', "define it first"
    )
    text = diagnostic_text(source, diagnostic)
    lines = text.splitlines()
    assert lines[0] == '2:37: action "ci" is not defined'
    assert lines[1] == '    step A => (OK->done) { action = "ci"; };'
    assert lines[2].index("^") == lines[1].index('"ci"')
    assert lines[-1] == "hint: define it first"
    warning = Diagnostic(Span.at(source, 0, 4), "w", severity="warning")
    assert diagnostic_text(source, warning).startswith("warning 1:1: w")
