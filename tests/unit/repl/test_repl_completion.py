"""What Tab offers in commands: words from the command table, names that exist."""

from __future__ import annotations

from collections.abc import Sequence

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from echoer_tui.repl.completion import ShellCompleter, current_statement

NAMES = {"flow": ["my_flow", "other"], "flowrun": ["my_flow_run", "r2"], "action": ["ci"]}


def known(kind: str) -> Sequence[str]:
    return NAMES.get(kind, [])


def offered(text: str) -> list[str]:
    completer = ShellCompleter(known)
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]


def test_first_word_is_a_command() -> None:
    assert offered("li") == ["list"]
    assert {"help", "get", "watch", "run", "set"} <= set(offered(""))
    assert offered("PAU") == ["pause"]


def test_kinds_then_names_of_that_kind() -> None:
    assert "flowrun" in offered("list ")
    assert offered("get fl") == ["flow", "flowrun", "flow_run"]
    assert offered("get flow ") == ["my_flow", "other"]
    assert offered("del action c") == ["ci"]


def test_run_commands_offer_runs() -> None:
    assert offered("pause ") == ["flowrun"]
    assert offered("watch flowrun m") == ["my_flow_run"]
    assert offered("ack ") == ["my_flow_run", "r2"]
    assert offered("run flow ") == ["my_flow", "other"]
    assert offered("rerun flowrun r2 ") == ["from"]


def test_fixed_words_and_free_slots() -> None:
    assert offered("export flow my_flow ") == ["dot", "mermaid"]
    assert offered("run flow my_flow as ") == []
    assert "watch" in offered("help wa")


def test_the_statement_under_the_cursor() -> None:
    assert current_statement("list flow\nget fl") == "get fl"
    assert current_statement("action a\n  addr = 1;\naction_end\n/\nfl") == "fl"
    assert current_statement("flow f\n  step A") == "flow f\n  step A"


def test_inside_fsl_the_parser_says_what_fits() -> None:
    assert offered("flow f\n  step A => (SUCCESS->done) {\n    action = ") == ["ci"]
    assert offered("action a\n  method = ht") == ["http", "https"]
    assert offered("flow f\n  step A => (OK->B) { action = ci; };\n  step B => (OK->") == [
        "A",
        "B",
        "done",
    ]
    assert "str" in offered("action a\n  args = (")


def test_a_finished_statement_hands_back_to_commands() -> None:
    assert offered("flow f\n  step A => () { action = ci; };\nflow_end\n/\nli") == ["list"]
