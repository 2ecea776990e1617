"""The one facade people-facing code talks to: submit FSL, run commands, watch changes."""

from echoer_tui.service.facade import Reply, Workbench

__all__ = ["Reply", "Workbench"]
