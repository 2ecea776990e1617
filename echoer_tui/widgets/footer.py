"""The footer every screen shows: key hints, and where the engine's API listens.

Action services ack to `<api_url>/step`, so the address is worth a glance at all
times (the original's shell printed it at start).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Label


class WorkbenchFooter(Footer):
    """Footer key hints plus the API address on the right."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        yield from super().compose()
        workbench = getattr(self.app, "workbench", None)
        if workbench is not None:
            yield Label(f"API {workbench.api_url}", classes="api-address")
