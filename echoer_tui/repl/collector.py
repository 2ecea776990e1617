"""Turning typed or pasted lines into shell statements, as the original `>` shell did.

The original collected lines until one ended with `/` and then ran what it had; we
keep that, and also run a one-line command (`list flow`, `help`) at once when nothing
is pending and the line does not open an FSL statement. This module is pure (no
terminal, no prompt_toolkit) so the rules are tested by feeding lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from echoer_tui.service.commands import ends_statement, is_fsl

TERMINATOR = "/"
EXIT_WORDS = frozenset({"exit", "quit"})


def is_exit(line: str) -> bool:
    """`exit` in any case (a trailing `/` allowed, as a habit from FSL statements)."""
    return line.strip().removesuffix(TERMINATOR).strip().lower() in EXIT_WORDS


def opens_fsl(line: str) -> bool:
    """Does this first line of a statement start FSL (or a comment before FSL)?"""
    return line.lstrip().startswith("#") or is_fsl(line)


@dataclass(slots=True)
class StatementCollector:
    """Feed lines, get back the statements they complete (without the trailing `/`).

    A statement's lines are joined with newlines so FSL diagnostics (line:column) point
    into the text as typed.
    """

    pending: list[str] = field(default_factory=list)

    @property
    def in_statement(self) -> bool:
        """True while lines of an unfinished statement are held."""
        return bool(self.pending)

    def clear(self) -> None:
        """Forget the unfinished statement (Ctrl-C)."""
        self.pending.clear()

    def feed(self, line: str) -> list[str]:
        """Take one line; answer the statements it completes (none, or one)."""
        line = line.rstrip()
        if not self.pending:
            stripped = line.strip()
            if not stripped or stripped == TERMINATOR:
                # Blank lines and bare `/` separators between statements are no statements.
                return []
            if not opens_fsl(stripped):
                command = stripped.removesuffix(TERMINATOR).strip()
                return [command] if command else []
        self.pending.append(line)
        if not ends_statement(line):
            return []
        statement = "\n".join(self.pending).removesuffix(TERMINATOR).strip()
        self.pending.clear()
        return [statement] if statement else []

    def feed_text(self, text: str) -> list[str]:
        """Take several lines at once (a paste); answer every statement they complete."""
        statements: list[str] = []
        for line in text.splitlines():
            statements.extend(self.feed(line))
        return statements

    def would_complete(self, text: str) -> bool:
        """Would submitting `text` now leave nothing pending (Enter runs it)?

        Empty input and `exit` count as complete: Enter should answer them at once.
        """
        lines = text.splitlines()
        if not text.strip() or (lines and is_exit(lines[-1])):
            return True
        trial = StatementCollector(list(self.pending))
        trial.feed_text(text)
        return not trial.in_statement
