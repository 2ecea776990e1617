"""`echoer repl`: the classic `>` shell in a terminal, or fed from a pipe.

This is the one place that wires the terminal: the prompt_toolkit session (FSL
highlighting, completion, key bindings, history, Ctrl-R), `patch_stdout` so engine
events print above the line being typed, and Ctrl-C handling. What the shell *does*
lives in `ShellSession`; with stdin not a terminal the same session reads plain lines
and prints replies without colour codes (unless stdout is a terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from importlib import resources

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.layout.processors import TabsProcessor
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Style

from echoer_tui.config import private_file, private_state_dir
from echoer_tui.fsl.highlight import FslLexer
from echoer_tui.repl.completion import ShellCompleter
from echoer_tui.repl.keys import make_key_bindings
from echoer_tui.repl.session import Role, ShellSession, Write
from echoer_tui.service.facade import Workbench

CONTINUATION = "… "
HISTORY_FILE = "repl_history"
LOG_FILE = "repl.log"

# The original's colours: banner magenta, OK bright green, E| bright red.
STYLE = Style.from_dict(
    {
        "banner": "ansimagenta",
        "ok": "ansibrightgreen",
        "error": "ansibrightred",
        "warning": "ansiyellow",
        "event": "ansicyan",
        "continuation": "ansibrightblack",
    }
)


def banner() -> str:
    """The original echoer banner (cat and whale), shipped as package data."""
    return (resources.files("echoer_tui") / "assets" / "banner.txt").read_text(encoding="utf-8")


def make_writer(color: bool) -> Write:
    """Print output lines; in colour through prompt_toolkit (safe above a running prompt)."""
    if not color:

        def write_plain(text: str, role: Role) -> None:
            print(text, flush=True)

        return write_plain

    def write_colored(text: str, role: Role) -> None:
        print_formatted_text(FormattedText([(f"class:{role}", text)]), style=STYLE)

    return write_colored


def run_shell(args: argparse.Namespace) -> int:
    """Open the workbench `args` describe (embedded or `--server`) and run the shell on it."""
    _log_to_state_dir()
    return asyncio.run(_main(args))


def _log_to_state_dir() -> None:
    """Engine and library logs go to a file: on the terminal they would tear the prompt."""
    try:
        logging.basicConfig(
            filename=private_file(private_state_dir() / LOG_FILE),
            level=logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    except OSError:
        logging.getLogger().addHandler(logging.NullHandler())


async def _main(args: argparse.Namespace) -> int:
    from echoer_tui.runtime import open_workbench

    async with open_workbench(args) as workbench:
        return await shell_on(workbench)


async def shell_on(workbench: Workbench) -> int:
    """The shell over an open workbench: the terminal prompt, or plain lines from a pipe.
    Answers the exit status (1 when piped input ended inside a statement)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        await interactive(workbench)
        return 0
    return await piped(workbench, color=sys.stdout.isatty())


def _history() -> History:
    try:
        return FileHistory(str(private_file(private_state_dir() / HISTORY_FILE)))
    except OSError:
        return InMemoryHistory()  # an unwritable state dir costs history, not the shell


def make_prompt_session(session: ShellSession, workbench: Workbench) -> PromptSession[str]:
    """The prompt: FSL colours, completion, the shell's Enter rule, history and Ctrl-R."""
    return PromptSession(
        lexer=PygmentsLexer(FslLexer),
        completer=ShellCompleter(workbench.known_names),
        complete_while_typing=False,
        key_bindings=make_key_bindings(session.collector.would_complete),
        history=_history(),
        enable_history_search=True,
        multiline=True,
        prompt_continuation=lambda width, line, wrapped: [("class:continuation", CONTINUATION)],
        # FSL from files is often tab-indented; show tabs as spaces, not `^I`.
        input_processors=[TabsProcessor(tabstop=4, char1=" ", char2=" ")],
        style=STYLE,
    )


class Foreground:
    """The statement being run, so Ctrl-C (SIGINT outside the prompt) can cancel it."""

    def __init__(self) -> None:
        self.task: asyncio.Task[bool] | None = None

    def interrupt(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def run(self, work: Awaitable[bool], on_interrupt: Callable[[], None]) -> bool:
        """Run `work`; if Ctrl-C cancels it, call `on_interrupt` and go on (True)."""
        self.task = asyncio.ensure_future(work)
        try:
            return await self.task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the shell itself is being cancelled, not just the statement
            on_interrupt()
            return True
        finally:
            self.task = None


@contextlib.contextmanager
def _sigint_to(handler: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C outside the prompt (while a statement runs) calls `handler`, never kills."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, handler)
    except (NotImplementedError, RuntimeError):  # not on this platform / thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def interactive(workbench: Workbench, write: Write | None = None) -> None:
    """The terminal shell: banner, `> ` prompt, live events above it, until exit."""
    write = write or make_writer(color=True)
    session = ShellSession(workbench, write)
    prompt = make_prompt_session(session, workbench)
    foreground = Foreground()

    def interrupted() -> None:
        session.interrupt()
        write("^C", "info")

    write("\n" + banner(), "banner")
    events = asyncio.create_task(session.print_events())
    try:
        with _sigint_to(foreground.interrupt), patch_stdout(raw=True):
            while not session.finished:
                try:
                    text = await prompt.prompt_async(session.prompt(), handle_sigint=False)
                except KeyboardInterrupt:
                    session.interrupt()
                    continue
                except EOFError:
                    session.end_of_input()
                    break
                await foreground.run(session.submit(text), interrupted)
    finally:
        events.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await events


async def piped(workbench: Workbench, *, color: bool) -> int:
    """Statements from a pipe or file: replies only (no banner, no prompt), then `Bye!`.

    Ctrl-C here ends the process, as a script's reader expects. Answers the exit
    status: 1 when the input ended inside a statement that never got its `/`.
    """
    session = ShellSession(workbench, make_writer(color))
    async for line in _stdin_lines():
        if not await session.submit(line):
            break
    else:
        session.end_of_input()
    return 1 if session.unsubmitted else 0


async def _stdin_lines() -> AsyncIterator[str]:
    """Lines of stdin, read by a daemon thread: a blocked read never holds up the exit."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody reads any more
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=pump, name="echoer-stdin", daemon=True).start()
    while line := await lines.get():
        yield line
