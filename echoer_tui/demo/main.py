"""`echoer demo`: a newcomer sees a flow run move, in one command and one process.

Demo action services, the engine and its API all start on loopback in a fresh data
directory (never the user's real store); the bundled README example is loaded with
its addresses pointing at the demo services, which starts `my_flow_run`; then the
workbench opens on the run's graph, or the `>` shell, or (headless) the run is
followed to its end and its history printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from echoer_tui.config import Listen, resolve_token
from echoer_tui.demo.actions import (
    APPROVAL_ACTIONS,
    AckScript,
    DemoActions,
    check_delay,
    check_fail_rate,
    run_demo_actions,
)
from echoer_tui.errors import EchoerError
from echoer_tui.model.resources import DONE, FINISHED_STATES, READY

if TYPE_CHECKING:
    from echoer_tui.service.facade import Workbench

DEMO_RUN = "my_flow_run"
EXAMPLE_FILE = "example.fsl"
EXAMPLE_BASE_URL = "http://127.0.0.1:18080"
"""The demo services' address as written in example.fsl (`echoer demo-actions`' default)."""

DEFAULT_SCRIPT = "A=FAIL,SUCCESS;D=NEXT"
"""What the demo answers unless told otherwise: the build fails once and is retried, the
approval hands over to the second approval, and the run reaches every step, then `done`."""

DEFAULT_LISTEN = "127.0.0.1:0"
HEADLESS_LIMIT_SECONDS = 60.0
DEMO_LOG = "demo-actions.log"

Mode = Literal["workbench", "repl", "headless"]

__all__ = ["DEFAULT_SCRIPT", "DEMO_RUN", "example_fsl", "run_demo", "run_demo_actions"]


def example_fsl(base_url: str = EXAMPLE_BASE_URL) -> str:
    """The bundled README example, its action addresses pointing at `base_url`."""
    text = resources.files("echoer_tui.demo").joinpath(EXAMPLE_FILE).read_text("utf-8")
    return text.replace(EXAMPLE_BASE_URL, base_url.rstrip("/"))


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """`echoer demo`'s flags, checked once before anything starts."""

    data_dir: Path | None
    listen: Listen
    token: str | None
    delay: float
    fail_rate: float
    script: AckScript
    manual_approval: bool
    mode: Mode

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DemoOptions:
        if getattr(args, "server", None):
            raise EchoerError(
                "echoer demo runs its own engine and demo services; --server makes no sense here"
            )
        listen = Listen.parse(getattr(args, "listen", None) or DEFAULT_LISTEN)
        if not listen.is_loopback:
            raise EchoerError(
                f"--listen {listen}: the demo listens on loopback only "
                "(127.0.0.1, localhost or ::1)",
                field="listen",
            )
        headless = bool(getattr(args, "headless", False))
        manual = bool(getattr(args, "manual_approval", False))
        if headless and manual:
            raise EchoerError(
                "--manual-approval waits for a person to answer the approvals; "
                "drop --headless to answer them in the workbench, or use --repl"
            )
        fail_rate = check_fail_rate(float(getattr(args, "fail_rate", 0.0) or 0.0))
        script_text = getattr(args, "script", "") or ""
        if not script_text and not fail_rate:
            script_text = DEFAULT_SCRIPT
        data_dir = getattr(args, "data_dir", None)
        mode: Mode = (
            "headless" if headless else "repl" if getattr(args, "repl", False) else "workbench"
        )
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else None,
            listen=listen,
            token=resolve_token(getattr(args, "token", None)),
            delay=check_delay(float(getattr(args, "delay", 1.0))),
            fail_rate=fail_rate,
            script=AckScript.parse(script_text),
            manual_approval=manual,
            mode=mode,
        )


def check_script(script: AckScript, fsl_text: str, run: str = DEMO_RUN) -> None:
    """Refuse a script that names a step the run lacks or a state its action cannot return."""
    from echoer_tui.fsl import parse
    from echoer_tui.fsl.ast import ActionDecl, FlowRunDecl

    document = parse(fsl_text)
    actions = {s.name: s for s in document.statements if isinstance(s, ActionDecl)}
    runs = [s for s in document.statements if isinstance(s, FlowRunDecl) and s.name == run]
    if not runs:
        return
    steps = {step.name: step for step in runs[0].steps}
    for step_name, states in script.outcomes.items():
        step = steps.get(step_name)
        if step is None:
            raise EchoerError(
                f"--script: {run} has no step {step_name!r} (its steps: {', '.join(steps)})",
                field="script",
            )
        action = actions.get(step.action)
        declared = [s.name for s in action.returns] if action else []
        for state in states:
            if declared and state not in declared:
                raise EchoerError(
                    f"--script: step {step_name} cannot answer {state}; its action "
                    f"{step.action} returns {' | '.join(declared)}",
                    field="script",
                )


def demo_data_dir(chosen: Path | None) -> Path:
    """--data-dir if given, else a fresh directory: the user's own store is never touched."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        return chosen
    return Path(tempfile.mkdtemp(prefix="echoer-demo-"))


async def load_example(workbench: Workbench, fsl_text: str, data_dir: Path) -> None:
    """Apply the example; any refusal is an error (the demo's own FSL must load cleanly)."""
    held = {kind: await workbench.count(kind) for kind in ("action", "flow", "flowrun")}
    if any(held.values()):
        raise EchoerError(
            f"the demo needs an empty data directory, and {data_dir} already holds "
            + ", ".join(f"{n} {kind}" for kind, n in held.items() if n)
            + "; leave --data-dir out (a fresh directory is made) or name a new one"
        )
    replies = await workbench.apply_fsl(fsl_text)
    refused = [reply.render() for reply in replies if reply.status == "error"]
    if refused:
        raise EchoerError("the demo example did not load: " + "; ".join(refused))


async def wait_until_finished(
    workbench: Workbench, run: str, limit: float = HEADLESS_LIMIT_SECONDS
) -> dict[str, Any]:
    """The run once it is `done` or `stopped`, or as it stands when `limit` seconds passed."""
    changed = asyncio.Event()

    async def follow() -> None:
        async for change in workbench.watch(["flowrun"]):
            if change.name == run:
                changed.set()

    follower = asyncio.create_task(follow())
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while True:
                    changed.clear()
                    resource = await workbench.get("flowrun", run)
                    if resource["spec"]["current_state"] in FINISHED_STATES:
                        return resource
                    # The watch wakes us; the short timeout only covers a change that
                    # landed before the watch was subscribed.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), 0.5)
        return await workbench.get("flowrun", run)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await follower


def history_line(resource: dict[str, Any]) -> str:
    """`my_flow_run: ready → A → D → B → C → done`."""
    spec = resource["spec"]
    states = list(spec.get("history_states") or [])
    if not states or states[0] != READY:
        states.insert(0, READY)
    return f"{resource['metadata']['name']}: " + " → ".join(states)


def event_line(event: dict[str, Any]) -> str:
    spec = event.get("spec") or {}
    stamp = time.strftime("%H:%M:%S", time.localtime(float(spec.get("time") or 0)))
    millis = int((float(spec.get("time") or 0) % 1) * 1000)
    return f"  {stamp}.{millis:03d}  {spec.get('message', '')}"


async def _headless(workbench: Workbench, out: IO[str]) -> int:
    resource = await wait_until_finished(workbench, DEMO_RUN)
    spec = resource["spec"]
    print(history_line(resource), file=out)
    # Typed loosely: the facade's own `list` method shadows the builtin in its annotations.
    events: Any = await workbench.events(DEMO_RUN)
    for event in events:
        print(event_line(event), file=out)
    state = spec["current_state"]
    if state == DONE:
        return 0
    if state in FINISHED_STATES:
        print(f"{DEMO_RUN} stopped: {spec.get('last_err') or 'no reason given'}", file=out)
    else:
        print(
            f"{DEMO_RUN} did not finish within {HEADLESS_LIMIT_SECONDS:.0f} s (it is at {state})",
            file=out,
        )
    return 1


async def _workbench(workbench: Workbench) -> int:
    from echoer_tui.app import make_app

    app = make_app(workbench, initial_run=DEMO_RUN)
    await app.run_async()
    return app.return_code or 0


async def _repl(workbench: Workbench) -> int:
    from echoer_tui.repl.shell import shell_on

    if sys.stdin.isatty() and sys.stdout.isatty():
        print(
            f"echoer demo: {DEMO_RUN} is running; try `watch flowrun {DEMO_RUN}` "
            f"or `get flowrun {DEMO_RUN}`",
            flush=True,
        )
    await shell_on(workbench)
    return 0


async def run_demo_async(
    options: DemoOptions,
    data_dir: Path,
    front_end: Callable[[Workbench], Awaitable[int]],
    log: IO[str] | None = None,
) -> int:
    """Demo services, engine and API up; the example loaded; `front_end` until it returns."""
    from echoer_tui.runtime import embedded

    def write(line: str) -> None:
        if log is not None:
            print(f"{time.strftime('%H:%M:%S')} {line}", file=log, flush=True)

    services = DemoActions(
        delay=options.delay,
        fail_rate=options.fail_rate,
        script=options.script,
        manual=APPROVAL_ACTIONS if options.manual_approval else (),
        token=options.token,
        log=write,
    )
    async with services:
        fsl_text = example_fsl(services.base_url)
        check_script(options.script, fsl_text)
        async with embedded(data_dir, options.listen, options.token) as workbench:
            services.engine_url = workbench.api_url
            await load_example(workbench, fsl_text, data_dir)
            return await front_end(workbench)


def run_demo(args: argparse.Namespace) -> int:
    """`echoer demo`."""
    options = DemoOptions.from_args(args)
    data_dir = demo_data_dir(options.data_dir)
    front_ends: dict[Mode, Callable[[Workbench], Awaitable[int]]] = {
        "headless": lambda workbench: _headless(workbench, sys.stdout),
        "repl": _repl,
        "workbench": _workbench,
    }
    with (data_dir / DEMO_LOG).open("a", encoding="utf-8") as log:
        try:
            code: int = asyncio.run(
                run_demo_async(options, data_dir, front_ends[options.mode], log)
            )
        except BrokenPipeError:
            # `echoer demo --headless | head`: the reader left; that is not an error to show.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
            return 0
    if options.data_dir is None:
        print(
            f"echoer demo: data kept in {data_dir} (demo services' log: {data_dir / DEMO_LOG})",
            file=sys.stderr,
        )
    return code
