"""One short line per flow-run state change, for the shell's live event lines and `watch`.

The store streams every write of a flow run; most do not move it (an attempt counted,
an ack recorded while paused). This module keeps, per run, the version and state last
shown, and answers a line only when the run's `current_state` really changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from echoer_tui.model.resources import FINISHED_STATES
from echoer_tui.storage.repository import Change

ARROW = "→"


def run_state(resource: dict[str, Any]) -> str:
    """The state a flow-run resource is in (`ready`, a step name, `suspend`, …)."""
    return str(resource.get("spec", {}).get("current_state", ""))


def is_finished(resource: dict[str, Any]) -> bool:
    """Has the run ended (`done` or `stopped`)? Nothing will move it any more."""
    return run_state(resource) in FINISHED_STATES


def describe(name: str, previous: str, resource: dict[str, Any]) -> str:
    """`· my_flow_run: A → D (SUCCESS)`; the parenthesis says why, when the run knows."""
    spec = resource.get("spec", {})
    current = run_state(resource)
    line = f"· {name}: {previous} {ARROW} {current}" if previous else f"· {name}: {current}"
    reason = str(spec.get("last_err") or "") if current in FINISHED_STATES else ""
    reason = reason or _ack_state(spec)
    return f"{line} ({reason})" if reason else line


def _ack_state(spec: dict[str, Any]) -> str:
    # The engine keeps in `last_event` what moved the run: an ack state (SUCCESS, AGREE …)
    # or an operation (start, pause, rerun).
    event = str(spec.get("last_event") or "")
    return event if event and " " not in event else ""


@dataclass(slots=True)
class TransitionTracker:
    """Remembers what was shown per run, so replays and no-op writes print nothing."""

    seen: dict[str, tuple[int, str]] = field(default_factory=dict)
    """run name → (version, current_state) last accounted for."""

    def remember(self, resource: dict[str, Any]) -> None:
        """Account for a run as it is now (read at start, before watching)."""
        meta = resource.get("metadata", {})
        self.seen[str(meta.get("name", ""))] = (int(meta.get("version", 0)), run_state(resource))

    def line_for(self, change: Change) -> str | None:
        """The line to show for this change, or None when the run did not move."""
        if change.kind != "flowrun" or change.op != "put" or change.resource is None:
            return None
        resource = change.resource
        version = int(resource.get("metadata", {}).get("version", 0))
        known_version, known_state = self.seen.get(change.name, (0, ""))
        if version <= known_version:
            return None
        current = run_state(resource)
        self.seen[change.name] = (version, current)
        if current == known_state:
            return None
        previous = known_state or str(resource.get("spec", {}).get("last_state") or "")
        return describe(change.name, previous, resource)
