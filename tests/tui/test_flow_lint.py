"""The preview's lint: unreachable steps, steps with no path to `done`, and states of a
known action that a step leaves unhandled, read off the parsed statement."""

from __future__ import annotations

from echoer_tui.fsl import parse
from echoer_tui.fsl.ast import FlowDecl, FlowRunDecl
from echoer_tui.widgets.flow_lint import lint_flow


def flow(text: str) -> FlowDecl | FlowRunDecl:
    statement = parse(text).statements[0]
    assert isinstance(statement, FlowDecl | FlowRunDecl)
    return statement


def notes(text: str, returns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, str]]:
    return {f.step: (f.severity, f.note) for f in lint_flow(flow(text), returns)}


def test_a_loop_without_an_exit_has_no_path_to_done() -> None:
    text = """flow f
    step A => (SUCCESS->B) { action = "ci"; };
    step B => (SUCCESS->A) { action = "ci"; };
flow_end
"""
    assert notes(text, {}) == {
        "A": ("error", "no path to done"),
        "B": ("error", "no path to done"),
    }


def test_unhandled_states_only_when_the_action_is_known_and_the_step_has_edges() -> None:
    text = """flow f
    step A => (OK->B) { action = "ci"; };
    step B => () { action = "ci"; };
    step C => (OK->done) { action = "gone"; };
flow_end
"""
    found = notes(text, {"ci": ("OK", "NO", "LATER")})
    assert found == {"A": ("warning", "unhandled NO|LATER"), "C": ("warning", "unreachable")}
