"""Replay: a flow run as it was at one transition of its history, from its attempts.

Every attempt of a run is one transition: the run entered the attempt's step then. So
the run at transition i is the run with that step current, the attempts before it as
they ended, and the i-th one not answered yet; the graph screen draws that with the same
`step_views` it draws the live run with. Nothing here asks the engine for more: the
attempts carry the step, the state answered, the data and the globals after the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from echoer_tui.model.resources import FINISHED_STATES

KEYS_HINT = "\n[ earlier  ] later  h or Esc: back to live\n"
"""The side panel's last line in replay."""


@dataclass(frozen=True)
class ReplayFrame:
    """The run at transition `index` (1-based) of `total`."""

    index: int
    total: int
    run: dict[str, Any]
    attempts: list[dict[str, Any]]
    attempt: dict[str, Any]
    """The attempt whose step the run entered at this transition, as it ended."""
    final: bool = False
    """The last transition of a finished run: it ended (done or stopped)."""


def transitions(run: dict[str, Any], attempts: list[dict[str, Any]]) -> int:
    """How many transitions a replay of the run steps through: one per attempt, and one
    more for the end of a finished run."""
    finished = (run.get("spec") or {}).get("current_state") in FINISHED_STATES
    return len(attempts) + (1 if finished and attempts else 0)


def replay_frame(run: dict[str, Any], attempts: list[dict[str, Any]], index: int) -> ReplayFrame:
    """The run as it was when it entered its `index`-th attempt (clamped to the
    transitions there are); past the last attempt of a finished run, its end."""
    if not attempts:
        raise ValueError("a run without attempts has no transition to replay")
    total = transitions(run, attempts)
    index = min(max(index, 1), total)
    if index > len(attempts):
        return ReplayFrame(index, total, run, list(attempts), attempts[-1], final=True)
    entered = attempts[index - 1]
    a_spec = entered.get("spec") or {}
    step = str(a_spec.get("step_name", ""))
    # At the moment of entry the step had not answered yet.
    waiting = {**entered, "spec": {**a_spec, "response": {"state": ""}}}
    spec = run.get("spec") or {}
    history = _history_then(
        [str(h) for h in spec.get("history_states") or ()],
        [str((a.get("spec") or {}).get("step_name", "")) for a in attempts[:index]],
    )
    run_then = {
        **run,
        "spec": {**spec, "current_state": step, "history_states": history, "last_err": ""},
    }
    return ReplayFrame(index, total, run_then, [*attempts[: index - 1], waiting], entered)


def _history_then(history: list[str], entered: list[str]) -> list[str]:
    """The run's history up to its entry of `entered[-1]`: the live history cut after
    the entries that match `entered` in order (so `ready` and the like stay), or just
    `entered` when the two do not match up (a history written by another engine)."""
    matched = 0
    for position, state in enumerate(history):
        if state == entered[matched]:
            matched += 1
            if matched == len(entered):
                return history[: position + 1]
    return entered


def replay_text(frame: ReplayFrame) -> Text:
    """The side panel in replay: the position, the step entered, what it answered, its
    data and the run's globals after that answer."""
    spec = frame.attempt.get("spec") or {}
    state = str((spec.get("response") or {}).get("state", "")) or "waiting"
    text = Text()
    text.append(f"replay {frame.index}/{frame.total}\n", style="bold reverse")
    if frame.final:
        run_spec = frame.run.get("spec") or {}
        text.append(f"the run ended: {run_spec.get('current_state', '')}\n", style="bold")
        if run_spec.get("last_err"):
            text.append(f"  error    {run_spec['last_err']}\n", style="red")
        globals_end = run_spec.get("global_variable") or {}
        text.append(f"  globals  {json.dumps(globals_end, sort_keys=True)}\n")
        text.append(KEYS_HINT, style="dim")
        return text
    text.append(f"step {spec.get('step_name', '')}\n", style="bold")
    text.append(f"  attempt  {spec.get('attempt', frame.index)}\n")
    text.append("  answered ")
    text.append(f"{state}\n", style="yellow" if state == "waiting" else "green")
    text.append(f"  data     {spec.get('data') or '—'}\n")
    globals_then = spec.get("global_variables") or {}
    text.append(f"  globals  {json.dumps(globals_then, sort_keys=True)}\n")
    text.append(KEYS_HINT, style="dim")
    return text
