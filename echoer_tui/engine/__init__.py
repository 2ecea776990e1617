"""The engine: flow runs as finite-state machines driven against HTTP action services.

Pure asyncio; time comes from an injected `Clock`, state from a `Repository`.
"""

from __future__ import annotations

from echoer_tui.engine.clock import Clock, ManualClock, SystemClock
from echoer_tui.engine.engine import Engine

__all__ = ["Clock", "Engine", "ManualClock", "SystemClock"]
