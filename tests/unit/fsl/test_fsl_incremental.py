"""The incremental parser equals a full parse and re-parses only what changed."""

from __future__ import annotations

from echoer_tui.fsl import IncrementalParser, parse

STATEMENTS = [
    'action ci\n    addr = "http://127.0.0.1:1/ci";\n    method = http;\n'
    "    args = (str project);\n    return = (SUCCESS | FAIL);\naction_end\n",
    "flow f\n    step A => (SUCCESS->B | FAIL->A) { action = ci; };\n"
    "    step B => (SUCCESS->done) { action = ci; };\nflow_end\n",
    'flow_run r\n    step A => (SUCCESS->done) {\n        action = "ci";\n'
    '        args = (project="x");\n    };\nflow_run_end\n',
]
TEXT = "\n".join(STATEMENTS)


def test_first_update_parses_everything() -> None:
    parser = IncrementalParser()
    assert parser.update(TEXT) == parse(TEXT)
    assert parser.reparsed == 3


def test_an_edit_reparses_one_statement() -> None:
    parser = IncrementalParser()
    parser.update(TEXT)
    edited = TEXT.replace('project="x"', 'project="xy"')
    assert parser.update(edited) == parse(edited)
    assert parser.reparsed == 1


def test_lines_inserted_above_move_cached_statements() -> None:
    parser = IncrementalParser()
    parser.update(TEXT)
    moved = "# a new comment\n\n" + TEXT
    document = parser.update(moved)
    assert parser.reparsed == 0
    assert document == parse(moved)
    assert document.statements[0].span.line == 3


def test_errors_come_and_go_with_the_text() -> None:
    parser = IncrementalParser()
    broken = TEXT.replace("step B => (SUCCESS->done)", "step B => (SUCCESS->)")
    assert not parser.update(broken).ok
    assert parser.update(TEXT).ok
    assert parser.update(broken) == parse(broken)


def test_a_statement_at_the_same_offset_on_another_line() -> None:
    parser = IncrementalParser()
    before = "# xyz\n" + TEXT
    parser.update(before)
    after = "#\n#\n\n\n" + TEXT  # same length: offsets stay, lines do not
    assert parser.update(after) == parse(after)
    assert parser.reparsed == 0
