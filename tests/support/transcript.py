"""What a `ShellSession` wrote, line by line, with a way to wait for a line without sleeping.

Shared by the shell's tests through an import (never `from conftest import …`, which
picks whichever folder's conftest was imported last when several folders run together).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from echoer_tui.repl.session import Role


@dataclass
class Transcript:
    """What the shell wrote, with a way to wait for a line without sleeping."""

    lines: list[tuple[str, Role]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def write(self, text: str, role: Role) -> None:
        self.lines.append((text, role))
        self.changed.set()

    def texts(self) -> list[str]:
        return [text for text, _ in self.lines]

    async def wait_for(self, needle: str, timeout: float = 10.0) -> str:
        async with asyncio.timeout(timeout):
            while True:
                for text, _ in self.lines:
                    if needle in text:
                        return text
                self.changed.clear()
                await self.changed.wait()
