"""Demo action services: stand-ins for real business services so a flow run can move.

They behave like the original project's demo services (yametech/echoer
`e2e/flow_impl`): take the engine's dispatch POST, answer 200 at once, and a moment
later POST the acknowledgement to the engine's `/step`. Unlike the originals they can
be told what to answer — a fail rate, a per-step script, or nothing at all for an
approval that a person acknowledges in the workbench — which turns them into an ack
simulator for walking every path of a flow.

One aiohttp server serves every action on its own path (`/ci`, `/approval`, …); the
path only names the action for logs and manual mode, so any FSL can point any action
at any path of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from echoer_tui.config import Listen, resolve_token
from echoer_tui.errors import EchoerError

DEMO_ACTIONS = ("ci", "approval", "deploy_1", "approval_2", "notify")
"""The actions of the README example, each served at `/<name>`."""

APPROVAL_ACTIONS = frozenset({"approval", "approval_2"})
"""What `--manual-approval` leaves to a person."""

ALIASES = {"deploy": "deploy_1", "deploy1": "deploy_1", "approval2": "approval_2"}
"""Paths the original demo services and README used for the same actions."""

FAIL_STATE = "FAIL"
ACK_URL_HEADER = "Echoer-Ack-Url"
"""The engine names its ack URL in this dispatch header (an echoer extension)."""

Log = Callable[[str], None]


def _quiet(_line: str) -> None:
    """Logs nowhere: the workbench owns the terminal while the demo runs."""


@dataclass(frozen=True, slots=True)
class AckScript:
    """Scripted outcomes per step: the nth attempt of a step gets the nth state, the last repeats.

    Written as `A=FAIL,FAIL,SUCCESS;D=REJECT`.
    """

    outcomes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> AckScript:
        outcomes: dict[str, tuple[str, ...]] = {}
        for part in text.split(";"):
            part = part.strip()
            if not part:
                continue
            step, sep, states_text = part.partition("=")
            step = step.strip()
            states = tuple(s.strip() for s in states_text.split(",") if s.strip())
            if not sep or not step or not states:
                raise EchoerError(
                    f"--script {text!r}: {part!r} is not STEP=STATE[,STATE…]; "
                    "for example 'A=FAIL,FAIL,SUCCESS;D=REJECT'",
                    field="script",
                )
            if step in outcomes:
                raise EchoerError(
                    f"--script {text!r}: step {step!r} is scripted twice", field="script"
                )
            outcomes[step] = states
        return cls(outcomes)

    def state_for(self, step: str, attempt: int) -> str | None:
        """The scripted state for the 1-based `attempt` of `step`, or None if unscripted."""
        states = self.outcomes.get(step)
        if not states:
            return None
        return states[min(attempt, len(states)) - 1]

    def __str__(self) -> str:
        return ";".join(f"{step}={','.join(states)}" for step, states in self.outcomes.items())


@dataclass(frozen=True, slots=True)
class Dispatch:
    """One dispatch a demo service received from the engine."""

    action: str
    flow_id: str
    step_name: str
    uuid: str
    ack_states: tuple[str, ...]
    args: Mapping[str, Any]
    global_variables: Mapping[str, Any]
    attempt: int
    """1-based: how many distinct attempts of this run's step this service has seen."""
    ack_url: str = ""
    """The engine's `Echoer-Ack-Url` hint, used when no engine URL was configured."""


@dataclass(frozen=True, slots=True)
class AckOutcome:
    """An acknowledgement a demo service sent, and what the engine answered."""

    dispatch: Dispatch
    state: str
    status: int | None
    """The engine's HTTP status; None when the engine could not be reached at all."""
    error: str = ""


@dataclass(slots=True)
class AckPolicy:
    """Chooses the state a dispatch is acknowledged with: script, else fail rate, else first."""

    script: AckScript = field(default_factory=AckScript)
    fail_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        check_fail_rate(self.fail_rate)

    def choose(self, dispatch: Dispatch) -> tuple[str, str]:
        """The state to ack with, and a note when the script had to be overruled."""
        default = dispatch.ack_states[0]
        scripted = self.script.state_for(dispatch.step_name, dispatch.attempt)
        if scripted is not None:
            if scripted in dispatch.ack_states:
                return scripted, ""
            declared = " | ".join(dispatch.ack_states)
            return default, (
                f"script state {scripted} is not one step {dispatch.step_name} declares "
                f"({declared}); acking {default} instead"
            )
        if self.fail_rate and self.rng.random() < self.fail_rate:
            return fail_like(dispatch.ack_states), ""
        return default, ""


def check_fail_rate(rate: float) -> float:
    if not 0.0 <= rate <= 1.0:
        raise EchoerError(
            f"--fail-rate {rate}: expected a share between 0 and 1", field="fail_rate"
        )
    return rate


def check_delay(delay: float) -> float:
    if delay < 0:
        raise EchoerError(f"--delay {delay}: expected 0 or more seconds", field="delay")
    return delay


def fail_like(states: tuple[str, ...]) -> str:
    """The state that means failure: one named FAIL, else the last declared."""
    return FAIL_STATE if FAIL_STATE in states else states[-1]


def canonical_action(path_name: str) -> str:
    return ALIASES.get(path_name, path_name)


def step_url(engine_url: str) -> str:
    """Where acks go: `<engine>/step` (an engine URL that already ends in /step is kept)."""
    url = engine_url.rstrip("/")
    return url if url.endswith("/step") else url + "/step"


def _bad_dispatch(field_name: str, message: str) -> web.Response:
    body = {"message": message, "error": "BadDispatch", "field": field_name}
    return web.json_response(body, status=400)


def _parse_dispatch(
    action: str, body: Any, attempt_of: Callable[[str, str, str], int], ack_url: str = ""
) -> Dispatch | web.Response:
    if not isinstance(body, dict):
        return _bad_dispatch("body", "expected a JSON object")
    for key in ("flowId", "stepName", "uuid"):
        if not isinstance(body.get(key), str) or not body[key]:
            return _bad_dispatch(key, f"{key} must be a non-empty string")
    states = body.get("ackStates")
    if (
        not isinstance(states, list)
        or not states
        or not all(isinstance(s, str) and s for s in states)
    ):
        return _bad_dispatch("ackStates", "ackStates must be a non-empty list of state names")
    variables = body.get("globalVariables") or {}
    if not isinstance(variables, dict):
        return _bad_dispatch("globalVariables", "globalVariables must be a JSON object")
    wire_keys = {"flowId", "stepName", "uuid", "ackStates", "globalVariables"}
    return Dispatch(
        action=action,
        flow_id=body["flowId"],
        step_name=body["stepName"],
        uuid=body["uuid"],
        ack_states=tuple(states),
        args={k: v for k, v in body.items() if k not in wire_keys},
        global_variables=dict(variables),
        attempt=attempt_of(body["flowId"], body["stepName"], body["uuid"]),
        ack_url=ack_url,
    )


def _bind(listen: Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen.host, listen.port))
    except OSError as error:
        sock.close()
        raise EchoerError(
            f"demo action services cannot listen on {listen}: {error.strerror or error}",
            field="listen",
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class DemoActions:
    """The demo action services on one loopback server, one path per action.

    Acks go to `engine_url`; without one, to the `Echoer-Ack-Url` the dispatch named.
    `engine_url` may also be set after `start()` (the demo binds its services before
    the engine knows its own port); an ack with nowhere to go waits for it.
    """

    def __init__(
        self,
        *,
        engine_url: str | None = None,
        listen: str = "127.0.0.1:0",
        delay: float = 1.0,
        fail_rate: float = 0.0,
        script: AckScript | str = "",
        manual: Collection[str] = (),
        seed: int | None = None,
        token: str | None = None,
        log: Log | None = None,
        ack_attempts: int = 6,
        ack_backoff: float = 0.2,
    ) -> None:
        self.listen = Listen.parse(listen)
        self.delay = check_delay(delay)
        self.policy = AckPolicy(
            script=AckScript.parse(script) if isinstance(script, str) else script,
            fail_rate=fail_rate,
            rng=random.Random(seed),
        )
        self.manual = frozenset(canonical_action(name) for name in manual)
        self.token = token
        self.log: Log = log or _quiet
        self.ack_attempts = max(1, ack_attempts)
        self.ack_backoff = ack_backoff
        self.dispatches: list[Dispatch] = []
        self.acks: list[AckOutcome] = []
        self._engine_url = engine_url
        self._engine_known = asyncio.Event()
        if engine_url:
            self._engine_known.set()
        self._attempts: dict[tuple[str, str], list[str]] = {}
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port = 0

    # Life cycle.
    async def start(self) -> None:
        sock = _bind(self.listen)
        self._port = sock.getsockname()[1]
        app = web.Application()
        app.router.add_post("/", self._on_dispatch)
        app.router.add_post("/{action}", self._on_dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DemoActions:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # Where things are.
    @property
    def base_url(self) -> str:
        if not self._port:
            raise EchoerError("the demo action services are not started yet")
        return Listen(self.listen.host, self._port).url

    def url(self, action: str) -> str:
        return f"{self.base_url}/{action}"

    @property
    def urls(self) -> dict[str, str]:
        """The URL of each README action."""
        return {action: self.url(action) for action in DEMO_ACTIONS}

    @property
    def engine_url(self) -> str | None:
        return self._engine_url

    @engine_url.setter
    def engine_url(self, url: str) -> None:
        self._engine_url = url
        self._engine_known.set()

    # What happened (for tests and the demo's own log).
    async def wait_for_acks(self, count: int, timeout: float = 10.0) -> list[AckOutcome]:
        """Wait until at least `count` acks were sent (delivered or given up)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.acks) >= count)
        return list(self.acks)

    async def wait_for_dispatches(self, count: int, timeout: float = 10.0) -> list[Dispatch]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.dispatches) >= count)
        return list(self.dispatches)

    async def _record(self, item: Dispatch | AckOutcome) -> None:
        async with self._changed:
            if isinstance(item, Dispatch):
                self.dispatches.append(item)
            else:
                self.acks.append(item)
            self._changed.notify_all()

    # The service.
    def _attempt_of(self, flow_id: str, step_name: str, uuid: str) -> int:
        # A re-sent dispatch of the same attempt (same uuid) must get the same answer.
        seen = self._attempts.setdefault((flow_id, step_name), [])
        if uuid not in seen:
            seen.append(uuid)
        return seen.index(uuid) + 1

    async def _on_dispatch(self, request: web.Request) -> web.Response:
        action = canonical_action(request.match_info.get("action", ""))
        try:
            body = await request.json()
        except ValueError:
            return _bad_dispatch("body", "the body is not JSON")
        parsed = _parse_dispatch(
            action or "(root)", body, self._attempt_of, request.headers.get(ACK_URL_HEADER, "")
        )
        if isinstance(parsed, web.Response):
            self.log(f"{action or '/'}: refused a dispatch: {parsed.text}")
            return parsed
        await self._record(parsed)
        where = f"{parsed.flow_id}.{parsed.step_name}"
        if action in self.manual:
            self.log(
                f"{action}: {where} waits for a person "
                f"(ack {where} {' | '.join(parsed.ack_states)})"
            )
        else:
            self.log(f"{action or '/'}: received {where} attempt {parsed.attempt}")
            self._spawn(self._ack_later(parsed))
        return web.json_response("")

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ack_later(self, dispatch: Dispatch) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        state, note = self.policy.choose(dispatch)
        if note:
            self.log(f"{dispatch.action}: {note}")
        if not self._engine_url and not dispatch.ack_url:
            await self._engine_known.wait()
        url = step_url(self._engine_url) if self._engine_url else dispatch.ack_url
        body = {
            "flowId": dispatch.flow_id,
            "stepName": dispatch.step_name,
            "ackState": state,
            "uuid": dispatch.uuid,
            "done": True,
            "data": f"demo {dispatch.action}: attempt {dispatch.attempt} answered {state}",
            "globalVariables": {f"{dispatch.step_name}_state": state},
        }
        status, error = await self._post_ack(url, body)
        where = f"{dispatch.flow_id}.{dispatch.step_name}"
        if status is not None and 200 <= status < 300:
            self.log(f"{dispatch.action}: acked {where} {state}")
        else:
            self.log(f"{dispatch.action}: ack {where} {state} not accepted: {error}")
        await self._record(AckOutcome(dispatch, state, status, error))

    async def _post_ack(self, url: str, body: dict[str, Any]) -> tuple[int | None, str]:
        """POST one ack; retry (bounded, with backoff) while the engine is unreachable or 5xx."""
        assert self._session is not None
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        status: int | None = None
        error = ""
        for attempt in range(self.ack_attempts):
            if attempt:
                await asyncio.sleep(min(self.ack_backoff * 2 ** (attempt - 1), 2.0))
            try:
                async with self._session.post(url, json=body, headers=headers) as response:
                    status = response.status
                    text = await response.text()
            except (ClientError, TimeoutError, OSError) as exc:
                status, error = None, f"{url} unreachable ({type(exc).__name__}: {exc})"
                continue
            if status < 500:
                # 2xx is delivered; 4xx is the engine refusing this ack: resending won't help.
                return status, "" if status < 300 else f"HTTP {status}: {text}"
            error = f"HTTP {status}: {text}"
        return status, error


def run_demo_actions(args: argparse.Namespace) -> int:
    """`echoer demo-actions`: the demo services in the foreground until Ctrl-C."""
    services = DemoActions(
        engine_url=args.engine,
        listen=args.listen,
        delay=args.delay,
        fail_rate=args.fail_rate,
        script=args.script,
        token=resolve_token(None),
        log=lambda line: print(line, flush=True),
    )

    async def serve() -> None:
        await services.start()
        try:
            print(f"echoer demo action services on {services.base_url}", flush=True)
            for action, url in services.urls.items():
                print(f"  {action:<11} {url}", flush=True)
            print(f"acks go to {step_url(args.engine)}; Ctrl-C stops", flush=True)
            await asyncio.Event().wait()
        finally:
            await services.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("Bye!", file=sys.stderr)
    return 0
