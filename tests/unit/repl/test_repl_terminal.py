"""`echoer repl` in a real pseudo-terminal: banner, prompt, a paste, replies, Bye!."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.fsl_samples import FINISHING_FLOW, README_ACTIONS

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[=>]|\x1b\][^\x07]*\x07|\r")
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


class Terminal:
    """The master side of a pty, with a reader that waits for text up to a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.raw = ""

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.raw)

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def paste(self, text: str) -> None:
        self.send(PASTE_START + text + PASTE_END)

    def wait_for(
        self, condition: str | re.Pattern[str], count: int = 1, timeout: float = 30
    ) -> None:
        deadline = time.monotonic() + timeout
        while self._count(condition) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never saw {condition!r} x{count} in:\n{self.screen}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.raw += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:  # the other side closed
                    raise AssertionError(f"ended before {condition!r}:\n{self.screen}") from None

    def _count(self, condition: str | re.Pattern[str]) -> int:
        if isinstance(condition, str):
            return self.screen.count(condition)
        return len(condition.findall(self.screen))


class _Accept(BaseHTTPRequestHandler):
    """An action service that takes every dispatch (200) and never acknowledges."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def action_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def repl(tmp_path: Path) -> Iterator[tuple[Terminal, subprocess.Popen[bytes]]]:
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "200"}
    data = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "echoer_tui", "repl", "--data-dir", data, "--listen", "127.0.0.1:0"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
        # The pty becomes the shell's controlling terminal, so Ctrl-C there is a real SIGINT.
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    try:
        yield Terminal(master), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        os.close(master)


def test_the_seed_transcript_in_a_terminal(repl: tuple[Terminal, subprocess.Popen[bytes]]) -> None:
    term, process = repl
    term.wait_for("=( °w° )=")
    term.wait_for(re.compile(r"^>", re.MULTILINE))

    term.paste(FINISHING_FLOW)
    term.send("\r")
    term.wait_for(re.compile(r"^E\| .*\bci\b", re.MULTILINE))

    term.paste(README_ACTIONS)
    term.send("\r")
    term.wait_for(re.compile(r"^OK$", re.MULTILINE), count=5)

    term.paste(FINISHING_FLOW)
    term.send("\r")
    term.wait_for(re.compile(r"^OK$", re.MULTILINE), count=6)

    term.send("get flow my_flow\r")
    term.wait_for(re.compile(r'^R\| \{"metadata":\{.*"name":"my_flow"', re.MULTILINE))

    term.send("half a statement\x03")  # Ctrl-C clears it; the shell stays
    term.send("exit\r")
    term.wait_for("Bye!")
    assert process.wait(timeout=30) == 0


def test_ctrl_c_ends_a_watch_and_the_shell_stays(
    repl: tuple[Terminal, subprocess.Popen[bytes]], action_service: str
) -> None:
    term, process = repl
    term.wait_for(re.compile(r"^>", re.MULTILINE))
    term.paste(
        f'action svc\n  addr = "{action_service}/svc";\n  method = http;\n'
        "  args = (str who);\n  return = (SUCCESS | FAIL);\naction_end\n/\n"
        "flow_run waits\n  step A => (SUCCESS->done | FAIL->A) {\n"
        '    action = "svc";\n    args = (who = "a");\n  };\nflow_run_end\n/\n'
    )
    term.send("\r")
    term.wait_for(re.compile(r"^OK$", re.MULTILINE), count=2)
    term.wait_for("· waits: ready → A (start)")  # printed by the live event line
    term.send("watch flowrun waits\r")
    term.wait_for("· waits: A")
    term.send("\x03")
    term.wait_for("^C")
    term.send("get flowrun waits\r")
    term.wait_for(re.compile(r'^R\| \{"metadata":\{.*"name":"waits"', re.MULTILINE))
    term.send("exit\r")
    term.wait_for("Bye!")
    assert process.wait(timeout=30) == 0
