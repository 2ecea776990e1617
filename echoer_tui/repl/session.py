"""The shell's behaviour without a terminal: lines in, coloured reply lines out.

`ShellSession` holds a `Workbench` and an output function; the terminal front end
(`shell.py`) and the tests drive it the same way, by submitting text. Statements go
to `Workbench.execute`, except the few that only a shell can do: `watch` (a stream
until Ctrl-C), `load` (a file on the shell's machine), `set events on|off` and `exit`.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import Literal

from echoer_tui.errors import CommandError, EchoerError
from echoer_tui.fsl.tools import read_fsl_file
from echoer_tui.repl.collector import StatementCollector, is_exit
from echoer_tui.repl.transitions import TransitionTracker, describe, is_finished
from echoer_tui.service.commands import Help, Load, Watch, parse_command
from echoer_tui.service.facade import Reply, Workbench
from echoer_tui.service.render import diagnostic_text

Role = Literal["ok", "result", "error", "warning", "event", "banner", "info"]
Write = Callable[[str, Role], None]
"""Prints one line (or block) of output in the given role; the front end colours it."""

log = logging.getLogger(__name__)

BYE = "Bye!"
SHELL_EXTRAS = """\
In this shell also:
  set events on|off  show or hide the flow-run changes printed above the prompt
  Ctrl-C clears the statement being typed (or ends a `watch`); Ctrl-R searches history."""


class ShellSession:
    """One person's shell: collects statements, runs them in order, writes the replies."""

    def __init__(self, workbench: Workbench, write: Write, *, events: bool = True) -> None:
        self.workbench = workbench
        self.write = write
        self.collector = StatementCollector()
        self.events = events
        """Whether flow-run changes are printed as they happen (`set events off`)."""
        self.finished = False
        """True once `exit` was read: the front end stops asking for input."""
        self.unsubmitted = False
        """True when input ended with a statement that never got its `/` (told, not run)."""

    # --- input -------------------------------------------------------------------------
    async def submit(self, text: str) -> bool:
        """Run every statement `text` completes, in order; False once the shell should end."""
        for line in text.splitlines() or [""]:
            if is_exit(line):
                self.end_of_input()
                return False
            for statement in self.collector.feed(line):
                await self.run_statement(statement)
        return True

    def interrupt(self) -> None:
        """Ctrl-C: forget the statement being collected."""
        self.collector.clear()

    def bye(self) -> None:
        self.finished = True
        self.write(BYE, "info")

    def end_of_input(self) -> None:
        """EOF or `exit`: a statement still being collected is never run, and saying so
        beats dropping it silently (the `/` is easy to forget at the end of a script)."""
        if self.collector.in_statement:
            first = next((line.strip() for line in self.collector.pending if line.strip()), "")
            self.write(f"E| statement not submitted (no line ending in /): {first}", "error")
            self.collector.clear()
            self.unsubmitted = True
        self.bye()

    # --- statements --------------------------------------------------------------------
    async def run_statement(self, statement: str) -> None:
        """Run one complete statement (no trailing `/`) and write its reply; never raises."""
        try:
            await self._dispatch(statement)
        except EchoerError as error:
            self.write(f"E| {error.message}", "error")
        except Exception as error:  # a person never sees a traceback; the log keeps it
            log.exception("shell statement failed: %r", statement)
            self.write(f"E| internal error: {type(error).__name__}: {error}", "error")

    async def _dispatch(self, statement: str) -> None:
        words = statement.split()
        if words and words[0].lower() == "set":
            self._set(words[1:])
            return
        try:
            command = parse_command(statement)
        except CommandError:
            command = None  # `execute` answers with the same error, as every front end sees it
        if isinstance(command, Watch):
            await self._watch(command.run)
        elif isinstance(command, Load):
            await self._load(command.path)
        else:
            reply = await self.workbench.execute(
                statement, width=shutil.get_terminal_size().columns
            )
            self.show(reply, statement)
            if isinstance(command, Help) and not command.topic:
                self.write(SHELL_EXTRAS, "result")

    def show(self, reply: Reply, source: str = "") -> None:
        """Write a reply as the original did; an `OK` also shows the FSL warnings it carries.

        An error's text already holds line:column and the caret excerpt.
        """
        self.write(reply.render(), reply.status)
        if reply.status == "ok":
            for diagnostic in reply.diagnostics:
                if diagnostic.severity == "warning":
                    self.write(diagnostic_text(source, diagnostic), "warning")

    def _set(self, words: list[str]) -> None:
        if len(words) == 2 and words[0].lower() == "events" and words[1].lower() in ("on", "off"):
            self.events = words[1].lower() == "on"
            self.write("OK", "ok")
            return
        self.write("E| usage: set events on|off", "error")

    async def _load(self, file: str) -> None:
        """`load FILE`: read on the shell's machine (the engine may be remote)."""
        try:
            text = read_fsl_file(file)
        except EchoerError as error:
            self.write(f"E| load: {error.message}", "error")
            return
        for reply in await self.workbench.apply_fsl(text):
            self.show(reply, text)

    async def _watch(self, name: str) -> None:
        """`watch flowrun NAME`: each state change as it happens, until the run ends."""
        run = await self.workbench.get("flowrun", name)
        self.write(describe(name, "", run), "event")
        if is_finished(run):
            return
        tracker = TransitionTracker()
        tracker.remember(run)
        async for change in self.workbench.watch(["flowrun"]):
            if change.name != name:
                continue
            if change.op == "delete":
                self.write(f"· {name}: deleted", "event")
                return
            line = tracker.line_for(change)
            if line:
                self.write(line, "event")
            if change.resource is not None and is_finished(change.resource):
                return

    # --- live events -------------------------------------------------------------------
    async def print_events(self) -> None:
        """Print a line per flow-run state change until cancelled (runs in the background).

        Runs already in the store are accounted for first, so a replay of old changes
        prints nothing; only what moves from now on is shown.
        """
        tracker = TransitionTracker()
        try:
            for run in await self.workbench.list("flowrun"):
                tracker.remember(run)
            async for change in self.workbench.watch(["flowrun"]):
                line = tracker.line_for(change)
                if line and self.events:
                    self.write(line, "event")
        except EchoerError as error:
            self.write(f"· live events stopped: {error.message}", "event")
        except Exception as error:
            log.exception("live events failed")
            self.write(f"· live events stopped: {type(error).__name__}: {error}", "event")

    def prompt(self) -> str:
        """`> ` for a new statement; `… ` while one is being collected."""
        return "… " if self.collector.in_statement else "> "
