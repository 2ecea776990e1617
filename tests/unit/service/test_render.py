"""Reply rendering: compact JSON, tables, diagnostics with a caret."""

from __future__ import annotations

import orjson

from echoer_tui.fsl.ast import Diagnostic, Span
from echoer_tui.model.resources import (
    ActionRun,
    ActionSpec,
    FlowRunSpec,
    Metadata,
    Resource,
    StepSpec,
)
from echoer_tui.service.render import (
    ORIGINAL_SPEC_KEYS,
    compact_json,
    diagnostic_text,
    event_rows,
    resource_json,
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


def test_a_table_fits_a_width_the_message_column_giving_way() -> None:
    headers, rows = event_rows(
        [
            {
                "metadata": {"name": "e1", "kind": "event"},
                "spec": {
                    "time": 0,
                    "resource_name": "my_flow_run",
                    "step_name": "A",
                    "state": "FAIL",
                    "message": "dispatch failed: " + "connection refused " * 20 + "(the end)",
                },
            }
        ]
    )
    text = table(headers, rows, width=80)
    lines = text.splitlines()
    assert {len(line) for line in lines} == {80}
    row = lines[3]
    assert "| my_flow_run | A    | FAIL  | dispatch failed: connection refused" in row
    assert row.endswith("… |") and "(the end)" not in text
    # Without a width, nothing is cut (as before).
    assert "(the end)" in table(headers, rows)


def test_a_table_too_wide_for_its_width_cuts_the_widest_cells_too() -> None:
    rows = [["x" * 50, "y" * 50, "short"]]
    lines = table(["name", "uuid", "message"], rows, width=40).splitlines()
    assert {len(line) for line in lines} == {40}
    assert "…" in lines[3] and "MESSAGE"[:3] in lines[1]


def test_a_table_narrower_than_its_columns_allow_keeps_every_column() -> None:
    lines = table(["a", "b", "c"], [["abcdef", "ghijkl", "mnopqr"]], width=5).splitlines()
    assert lines[3] == "| ab… | gh… | mn… |"


def test_get_prints_the_original_keys_of_each_kind_first_then_ours() -> None:
    specs = {
        "action": ActionSpec(endpoints=["http://x"]),
        "flowrun": FlowRunSpec(),
        "step": StepSpec("r", "u", ActionRun("ci")),
    }
    for kind, spec in specs.items():
        shown = orjson.loads(resource_json(Resource(Metadata("n", kind), spec).to_dict()))
        keys = list(shown["spec"])
        original = sorted(ORIGINAL_SPEC_KEYS[kind])
        assert keys[: len(original)] == original, kind
        assert keys[len(original) :] == sorted(set(keys) - set(original)), kind
    # A field added today prints among ours, not between the original's keys.
    assert "next_try_time" in keys[len(original) :]
