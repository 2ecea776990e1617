"""FSL statements become resources here, with every check the original made and a few more.

Translation is a pure function of the syntax tree and a `Catalog` — a snapshot of
what the store already holds — so the shell, the editor (validate as you type) and
the API all get the same answers, and nothing is written until every check passed.

Each problem is an `ast.Diagnostic` that names the statement, the step and the
thing, and carries the span the editor underlines. Where the original had words of
its own (`not without getting action (ci) definition`) they follow in parentheses,
so people who knew the Go shell recognise them.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlsplit

from echoer_tui.errors import TranslationError
from echoer_tui.fsl.ast import (
    DONE,
    ActionDecl,
    Diagnostic,
    FlowDecl,
    FlowRunDecl,
    Span,
    Statement,
    StepDecl,
)
from echoer_tui.model.names import name_problem
from echoer_tui.model.resources import (
    DEFAULT_RETRIES,
    PARAM_TYPE_NAMES,
    PARAM_TYPES,
    READY,
    SERVE_TYPES,
    ActionRun,
    ActionSpec,
    FlowRunSpec,
    FlowSpec,
    FlowStep,
    Metadata,
    Resource,
    StepSpec,
    new_uuid,
)

GRPC_REFUSED = (
    "only http and https actions can be dispatched; "
    "the original declared grpc and never implemented it"
)

NAME_TAKEN = "name-taken"
"""`Diagnostic.code` of a statement whose name a resource of its kind already has."""

DEFINED_TWICE = "defined-twice"
"""`Diagnostic.code` of a statement whose name an earlier statement of the same document
defines: the document contradicts itself (a bad request), nothing stored is in the way."""

BAD_NAME = "bad-name"
"""`Diagnostic.code` of a name that `names.name_problem` refuses."""

MAX_RETRY: Final = 20
"""The most dispatch retries an action may ask for: the engine backs off 2**(n-1)
seconds between them, so more would only wait longer than anyone watches a run."""

MAX_TIMEOUT: Final = 604800
"""The longest ack timeout, in seconds (a week); 0 means none, as in the original."""

_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

RESOURCE_KIND = {"action": "action", "flow": "flow", "flow_run": "flowrun"}
"""FSL statement keyword -> stored resource kind."""


@dataclass(frozen=True, slots=True)
class ActionSignature:
    """What a step needs to know of an action: its typed params and its return states."""

    name: str
    params: Mapping[str, str]
    """name -> "str" | "int", in declared order."""
    return_states: tuple[str, ...]

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> ActionSignature:
        spec = resource.get("spec") or {}
        params = {
            str(k): PARAM_TYPE_NAMES.get(int(v), "str")
            for k, v in (spec.get("params") or {}).items()
        }
        return cls(
            name=str(resource["metadata"]["name"]),
            params=params,
            return_states=tuple(str(s) for s in spec.get("return_states") or ()),
        )

    @classmethod
    def from_decl(cls, decl: ActionDecl) -> ActionSignature:
        return cls(
            name=decl.name,
            params={p.name: p.type for p in decl.params},
            return_states=tuple(s.name for s in decl.returns),
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    """A snapshot of what exists: the actions by name and the taken names of each kind."""

    actions: Mapping[str, ActionSignature] = field(default_factory=dict)
    names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """resource kind ("action", "flow", "flowrun") -> names already stored."""
    refused_params: frozenset[str] = frozenset()
    """Arg names declared by actions earlier in the same document that were refused:
    a step using such an arg is not wrong a second time for it."""
    defined: Mapping[tuple[str, str], Span] = field(default_factory=dict)
    """(resource kind, name) -> where an earlier statement of the same document named
    it, whether or not that statement translated."""

    @classmethod
    def from_resources(cls, resources: Iterable[Mapping[str, Any]]) -> Catalog:
        actions: dict[str, ActionSignature] = {}
        names: dict[str, set[str]] = {}
        for resource in resources:
            meta = resource["metadata"]
            kind, name = str(meta["kind"]), str(meta["name"])
            names.setdefault(kind, set()).add(name)
            if kind == "action":
                actions[name] = ActionSignature.from_resource(resource)
        return cls(actions, {k: frozenset(v) for k, v in names.items()})

    def taken(self, kind: str, name: str) -> bool:
        return name in self.names.get(kind, frozenset())

    def with_resource(self, kind: str, name: str, action: ActionSignature | None) -> Catalog:
        """This catalog plus one resource created earlier in the same document."""
        names = dict(self.names)
        names[kind] = names.get(kind, frozenset()) | {name}
        actions = dict(self.actions)
        if action is not None:
            actions[name] = action
        return replace(self, actions=actions, names=names)

    def with_refused(self, action: ActionDecl) -> Catalog:
        """This catalog, knowing the arg names of an action of the document that was refused."""
        params = self.refused_params | {p.name for p in action.params}
        return replace(self, refused_params=params)

    def with_defined(self, kind: str, name: str, span: Span) -> Catalog:
        """This catalog, knowing that a statement of the document named (kind, name) at span."""
        if (kind, name) in self.defined:
            return self
        return replace(self, defined={**self.defined, (kind, name): span})

    def declares(self, arg: str) -> bool:
        """Whether any action (stored, or refused earlier in the document) declares `arg`."""
        return arg in self.refused_params or any(arg in a.params for a in self.actions.values())


@dataclass(frozen=True, slots=True)
class TranslatedStatement:
    """One statement's outcome: its resource (None when an error was found) and diagnostics."""

    statement: Statement
    resource: dict[str, Any] | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.resource is not None

    @property
    def kind(self) -> str:
        return RESOURCE_KIND[self.statement.kind]

    @property
    def name(self) -> str:
        return self.statement.name

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


@dataclass(frozen=True, slots=True)
class Translation:
    """Every statement of a document, translated in order."""

    statements: tuple[TranslatedStatement, ...]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for s in self.statements for d in s.diagnostics)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.statements)

    @property
    def resources(self) -> list[dict[str, Any]]:
        return [s.resource for s in self.statements if s.resource is not None]


def translate(statements: Sequence[Statement], catalog: Catalog) -> Translation:
    """Translate statements in order; each sees the ones before it that translated cleanly."""
    out: list[TranslatedStatement] = []
    for statement in statements:
        result = translate_statement(statement, catalog)
        out.append(result)
        if result.ok:
            action = (
                ActionSignature.from_decl(statement) if isinstance(statement, ActionDecl) else None
            )
            catalog = catalog.with_resource(result.kind, statement.name, action)
        elif isinstance(statement, ActionDecl):
            catalog = catalog.with_refused(statement)
        catalog = catalog.with_defined(result.kind, statement.name, statement.name_span)
    return Translation(tuple(out))


def translate_statement(statement: Statement, catalog: Catalog) -> TranslatedStatement:
    """One statement against the catalog."""
    if isinstance(statement, ActionDecl):
        resource, diags = _action(statement, catalog)
    elif isinstance(statement, FlowDecl):
        resource, diags = _flow(statement, catalog)
    else:
        resource, diags = _flow_run(statement, catalog)
    failed = any(d.severity == "error" for d in diags)
    return TranslatedStatement(statement, None if failed else resource, tuple(diags))


# --- names -----------------------------------------------------------------------------


def _name_checks(decl: Statement, catalog: Catalog, taken: str) -> list[Diagnostic]:
    """The statement's name (and its steps' names) against the name rule, the document
    and the store; `taken` is the message when a stored resource has the name."""
    kind = RESOURCE_KIND[decl.kind]
    where = f"{decl.kind} {decl.name}"
    diags: list[Diagnostic] = []
    problem = name_problem(decl.name)
    if problem:
        diags.append(
            _error(
                decl.name_span,
                f"{decl.kind} {decl.name!r}: {problem}",
                "choose another name",
                BAD_NAME,
            )
        )
    first = catalog.defined.get((kind, decl.name))
    if first is not None:
        diags.append(
            _error(
                decl.name_span,
                f"{where} is defined twice in this document (first at {first.line}:{first.column})",
                "rename one of them, or remove one",
                DEFINED_TWICE,
            )
        )
    elif catalog.taken(kind, decl.name):
        diags.append(
            _error(
                decl.name_span,
                f"{where}: {taken}",
                f"delete it first with `del {kind} {decl.name}`, or choose another name",
                NAME_TAKEN,
            )
        )
    for step in () if isinstance(decl, ActionDecl) else decl.steps:
        problem = name_problem(step.name)
        if problem:
            diags.append(
                _error(
                    step.name_span,
                    f"{where}, step {step.name!r}: {problem}",
                    "choose another step name",
                    BAD_NAME,
                )
            )
    return diags


# --- actions ---------------------------------------------------------------------------


def _action(decl: ActionDecl, catalog: Catalog) -> tuple[dict[str, Any], list[Diagnostic]]:
    where = f"action {decl.name}"
    diags = _name_checks(
        decl,
        catalog,
        f'an action named "{decl.name}" already exists (action ({decl.name}) already exist)',
    )
    if decl.method == "grpc":
        diags.append(_error(decl.method_span, f"{where}: method grpc is refused: {GRPC_REFUSED}"))
    endpoints = []
    for address in (part.strip() for addr in decl.addrs for part in addr.split(",")):
        if not address:
            continue
        url, problem = endpoint_url(address, decl.method)
        endpoints.append(url)
        if problem:
            diags.append(
                _error(
                    decl.addr_span,
                    f'{where}: address "{_shorten(address, 60)}" {problem}',
                    f'write it as "{decl.method}://host:port/path"'
                    if decl.method != "grpc"
                    else "",
                )
            )
    if not endpoints:
        diags.append(
            _error(
                decl.addr_span if decl.addr_span.end else decl.name_span,
                f"{where}: addr names no address",
                'give one or more, comma separated: addr = "http://host:port/path";',
            )
        )
    if decl.retry is not None and not 0 <= decl.retry <= MAX_RETRY:
        diags.append(
            _error(
                decl.retry_span,
                f"{where}: retry = {decl.retry} is out of bounds; "
                f"retry must be between 0 and {MAX_RETRY}",
                f"retry = {min(max(decl.retry, 0), MAX_RETRY)};",
            )
        )
    if decl.timeout is not None and not 0 <= decl.timeout <= MAX_TIMEOUT:
        diags.append(
            _error(
                decl.timeout_span,
                f"{where}: timeout = {decl.timeout} is out of bounds; timeout is seconds, "
                f"between 1 and {MAX_TIMEOUT} (a week), or 0 for none",
                f"timeout = {MAX_TIMEOUT};",
            )
        )
    # Line breaks in a long value are layout, not data; the engine decodes strictly.
    ca_pem = "".join((decl.capem or "").split())
    if decl.capem is not None:
        if decl.method != "https":
            diags.append(
                _warning(
                    decl.capem_span,
                    f"{where}: secret capem is only used by https actions; "
                    f"this one uses {decl.method}",
                )
            )
        problem = pem_problem(ca_pem)
        if problem:
            diags.append(
                _error(
                    decl.capem_span,
                    f"{where}: capem is not a valid base64 PEM certificate: {problem}",
                    "encode the CA certificate file with `base64 -w0 ca.pem`",
                )
            )
    spec = ActionSpec(
        serve_type=SERVE_TYPES[decl.method],
        endpoints=endpoints,
        ca_pem=ca_pem,
        params={p.name: PARAM_TYPES[p.type] for p in decl.params},
        return_states=[s.name for s in decl.returns],
        retry=DEFAULT_RETRIES if decl.retry is None else decl.retry,
        timeout=0 if decl.timeout is None else decl.timeout,
    )
    return Resource(Metadata(decl.name, "action"), spec).to_dict(), diags


def endpoint_url(address: str, method: str) -> tuple[str, str]:
    """(the URL to store for `address`, why it cannot be called or "").

    An address without a scheme is taken as `METHOD://address` (the corpus's
    `compass.ym/tekton`), which is also how the engine has always called one; an
    address with a scheme must say the action's method, so `http` never talks TLS to
    an `https://` service or the other way round.
    """
    url = address if _SCHEME.match(address) else f"{method}://{address}"
    if any(c.isspace() for c in address):
        return url, "holds a space; an address is a URL without spaces"
    try:
        parts = urlsplit(url)
    except ValueError:  # urlsplit refuses unbalanced [ ] (an IPv6 host) outright
        return url, "is not a valid URL (check the [ ] around an IPv6 host)"
    if method in ("http", "https") and parts.scheme.lower() != method:
        if parts.scheme.lower() in ("http", "https"):
            return url, f"is {parts.scheme}, but the action's method is {method}"
        return url, f"is not an http:// or https:// URL (its scheme is {parts.scheme})"
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        return url, "has a port that is not a number from 0 to 65535"
    if not parts.hostname:
        return url, "names no host"
    return url, ""


def pem_problem(capem: str) -> str:
    """Why `capem` is not base64 of a PEM CA certificate, or "" when it is."""
    try:
        raw = base64.b64decode(capem, validate=True)
    except (binascii.Error, ValueError):
        return f'"{_shorten(capem)}" is not base64'
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return "it decodes to binary data, not PEM text"
    if "-----BEGIN " not in text or "-----END " not in text:
        return "it decodes to text without -----BEGIN/-----END markers"
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as error:
        return f"it holds no usable certificate ({error})"
    return ""


# --- flows and flow runs ---------------------------------------------------------------


def _flow(decl: FlowDecl, catalog: Catalog) -> tuple[dict[str, Any], list[Diagnostic]]:
    where = f"flow {decl.name}"
    diags = _name_checks(decl, catalog, f'a flow named "{decl.name}" already exists')
    _need_steps(where, decl, "a flow", diags)
    steps: list[FlowStep] = []
    for step in decl.steps:
        action = _step_action(where, step, catalog, diags)
        returns = _step_returns(where, step, action, decl.steps, diags)
        for arg in step.args:
            diags.append(
                _error(
                    arg.span,
                    f'{where}, step {step.name}: a flow takes no args, yet "{arg.name}" is given',
                    f"give args when running it: run flow {decl.name} as RUN with ({arg.name}=…)",
                )
            )
        steps.append(FlowStep(step.name, step.kind, step.action, returns))
    diags.extend(_unreached(where, decl.steps))
    return Resource(Metadata(decl.name, "flow"), FlowSpec(steps)).to_dict(), diags


def _flow_run(decl: FlowRunDecl, catalog: Catalog) -> tuple[dict[str, Any], list[Diagnostic]]:
    where = f"flow_run {decl.name}"
    diags = _name_checks(
        decl,
        catalog,
        f'a flow run named "{decl.name}" already exists (flow run ({decl.name}) already exist)',
    )
    _need_steps(where, decl, "a flow run", diags)
    run_uuid = new_uuid()
    steps: list[dict[str, Any]] = []
    for step in decl.steps:
        action = _step_action(where, step, catalog, diags)
        returns = _step_returns(where, step, action, decl.steps, diags)
        params = _step_args(where, step, action, catalog, diags)
        steps.append(
            _run_step(decl.name, run_uuid, step.name, step.kind, step.action, params, returns)
        )
    diags.extend(_unreached(where, decl.steps))
    resource = _run_resource(decl.name, run_uuid, steps)
    return resource, diags


def _run_step(
    run: str,
    run_uuid: str,
    name: str,
    kind: str,
    action: str,
    params: dict[str, str | int],
    returns: dict[str, str],
) -> dict[str, Any]:
    spec = StepSpec(
        flow_id=run,
        flow_run_uuid=run_uuid,
        action_run=ActionRun(action, dict(params), dict(returns), False),
        type=kind,
        step_name=name,
    )
    return Resource(Metadata(name, "step"), spec).to_dict()


def _run_resource(
    name: str, run_uuid: str, steps: list[dict[str, Any]], flow_name: str = ""
) -> dict[str, Any]:
    spec = FlowRunSpec(steps=steps, history_states=[], current_state=READY, flow_name=flow_name)
    return Resource(Metadata(name, "flowrun", uuid=run_uuid), spec).to_dict()


def _step_action(
    where: str, step: StepDecl, catalog: Catalog, diags: list[Diagnostic]
) -> ActionSignature | None:
    action = catalog.actions.get(step.action)
    if action is None:
        diags.append(
            _error(
                step.action_span,
                f'{where}, step {step.name}: action "{step.action}" is not defined '
                f"(not without getting action ({step.action}) definition)",
                _did_you_mean(step.action, catalog.actions)
                or f"define it first: action {step.action} … action_end",
            )
        )
    return action


def _step_returns(
    where: str,
    step: StepDecl,
    action: ActionSignature | None,
    steps: Sequence[StepDecl],
    diags: list[Diagnostic],
) -> dict[str, str]:
    names = {s.name for s in steps}
    returns: dict[str, str] = {}
    for edge in step.edges:
        returns[edge.state] = edge.target
        if action is not None and edge.state not in action.return_states:
            diags.append(
                _error(
                    edge.span,
                    f'{where}, step {step.name}: return state "{edge.state}" is not one action '
                    f'"{action.name}" declares ({" | ".join(action.return_states)}) '
                    f"(step ({step.name}) return state ({edge.state}) illegal type)",
                    _did_you_mean(edge.state, action.return_states),
                )
            )
        if edge.target != DONE and edge.target not in names:
            diags.append(
                _error(
                    edge.target_span,
                    f"{where}, step {step.name}: edge {edge.state}->{edge.target} leads to "
                    f'step "{edge.target}", which does not exist',
                    _did_you_mean(edge.target, [*names, DONE])
                    or f"steps are {', '.join(s.name for s in steps)}; `done` ends the run",
                )
            )
    if action is not None and step.edges:
        missing = [s for s in action.return_states if s not in returns]
        if missing:
            diags.append(
                _warning(
                    step.name_span,
                    f'{where}, step {step.name}: action "{action.name}" can return '
                    f"{', '.join(missing)}, which this step does not handle; "
                    "the run would stop there",
                    f"add an edge such as {missing[0]}->done",
                )
            )
    return returns


def _step_args(
    where: str,
    step: StepDecl,
    action: ActionSignature | None,
    catalog: Catalog,
    diags: list[Diagnostic],
) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    for arg in step.args:
        params[arg.name] = arg.value
        if action is not None:
            problem = arg_problem(where, step.name, action, arg.name, arg.value)
            if problem:
                diags.append(_error(arg.span, *problem))
        elif not catalog.declares(arg.name):
            # Without the action its args cannot be checked; one no action declares at all
            # is wrong whatever the action turns out to be.
            diags.append(
                _error(
                    arg.span,
                    f'{where}, step {step.name}: arg "{arg.name}" is declared by no action '
                    f'(and action "{step.action}" is not defined)',
                    _did_you_mean(
                        arg.name, {p for a in catalog.actions.values() for p in a.params}
                    ),
                )
            )
    if action is not None:
        for name, type_name in action.params.items():
            if name not in params:
                diags.append(
                    _error(
                        step.name_span,
                        f'{where}, step {step.name}: arg "{name}" ({type_name}) that action '
                        f'"{action.name}" declares is not given',
                        f"add it to the step: args = (…, {name}="
                        + ('"…"' if type_name == "str" else "0")
                        + ")",
                    )
                )
    return params


def arg_problem(
    where: str, step: str, action: ActionSignature, name: str, value: str | int
) -> tuple[str, str] | None:
    """(message, hint) when `name=value` does not fit the action's params, else None."""
    declared = action.params.get(name)
    if declared is None:
        declares = ", ".join(f"{t} {n}" for n, t in action.params.items()) or "no args"
        return (
            f'{where}, step {step}: arg "{name}" is not declared by action "{action.name}" '
            f"(it declares {declares}) (step ({step}) args ({name}) not defined)",
            _did_you_mean(name, action.params),
        )
    given = "int" if isinstance(value, int) else "str"
    if given != declared:
        return (
            f'{where}, step {step}: arg "{name}" is {given} {value!r}, but action '
            f'"{action.name}" declares it {declared} (step ({step}) args ({name}) illegal type)',
            'quote it: "…"' if declared == "str" else "give a whole number without quotes",
        )
    return None


def _need_steps(
    where: str, decl: FlowDecl | FlowRunDecl, what: str, diags: list[Diagnostic]
) -> None:
    """A statement without steps could never start: refuse it rather than store it."""
    if not decl.steps:
        diags.append(
            _error(
                decl.name_span,
                f"{where} has no steps; {what} needs at least one step",
                "add a step: step A => (SUCCESS->done) { action = NAME; };",
            )
        )


def _unreached(where: str, steps: Sequence[StepDecl]) -> list[Diagnostic]:
    """Steps after the first that no edge of another step leads to: they can never run."""
    targets = {e.target for s in steps for e in s.edges if e.target != s.name}
    return [
        _warning(
            step.name_span,
            f"{where}, step {step.name}: no edge leads to this step; it can never run",
            f"add an edge such as SUCCESS->{step.name} to an earlier step, or remove it",
        )
        for step in steps[1:]
        if step.name not in targets
    ]


# --- instantiating a flow ----------------------------------------------------------------


def instantiate(
    flow: Mapping[str, Any],
    run_name: str,
    args: Mapping[str, str | int],
    actions: Mapping[str, ActionSignature],
) -> dict[str, Any]:
    """A flow run made from a flow template: each arg goes to every step whose action
    declares it, type-checked. Raises TranslationError naming every problem."""
    flow_name = str(flow["metadata"]["name"])
    bad_name = name_problem(run_name)
    if bad_name:
        error = TranslationError(f"run flow {flow_name} as {run_name!r}: {bad_name}")
        error.field = "run"
        raise error
    where = f"run flow {flow_name} as {run_name}"
    steps = [FlowStep.from_dict(s) for s in (flow.get("spec") or {}).get("steps") or ()]
    problems: list[str] = []
    used: set[str] = set()
    missing: dict[str, tuple[str, list[str]]] = {}
    """Args the flow's actions declare that were not given: name -> (type, steps)."""
    run_uuid = new_uuid()
    run_steps: list[dict[str, Any]] = []
    for step in steps:
        action = actions.get(step.action_name)
        if action is None:
            problems.append(
                f'step {step.name}: action "{step.action_name}" is not defined '
                f"(not without getting action ({step.action_name}) definition)"
            )
            continue
        params: dict[str, str | int] = {}
        for name, type_name in action.params.items():
            if name not in args:
                missing.setdefault(name, (type_name, []))[1].append(step.name)
                continue
            used.add(name)
            problem = arg_problem(where, step.name, action, name, args[name])
            if problem:
                problems.append(problem[0].removeprefix(f"{where}, "))
            params[name] = args[name]
        run_steps.append(
            _run_step(
                run_name,
                run_uuid,
                step.name,
                step.type,
                step.action_name,
                params,
                step.returns,
            )
        )
    for name, (type_name, needing) in missing.items():
        who = (
            f"step {needing[0]} needs it"
            if len(needing) == 1
            else (f"steps {', '.join(needing)} need it")
        )
        problems.append(f'arg "{name}" ({type_name}) is not given ({who})')
    if missing:
        wanted = ", ".join(f"{name}=…" for name in missing)
        problems.append(f"give them as: run flow {flow_name} as {run_name} with (…, {wanted})")
    for name in args:
        if name not in used:
            problems.append(f'arg "{name}" is declared by no action of flow {flow_name}')
    if not steps:
        problems.append(f"flow {flow_name} has no steps")
    if problems:
        raise TranslationError(f"{where}: " + "; ".join(problems))
    return _run_resource(run_name, run_uuid, run_steps, flow_name=flow_name)


# --- helpers ---------------------------------------------------------------------------


def _error(span: Span, message: str, hint: str = "", code: str = "") -> Diagnostic:
    return Diagnostic(span, message, hint, "error", code)


def _warning(span: Span, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(span, message, hint, "warning")


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else ""


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "BAD_NAME",
    "DEFINED_TWICE",
    "GRPC_REFUSED",
    "MAX_RETRY",
    "MAX_TIMEOUT",
    "NAME_TAKEN",
    "ActionSignature",
    "Catalog",
    "TranslatedStatement",
    "Translation",
    "arg_problem",
    "endpoint_url",
    "instantiate",
    "pem_problem",
    "translate",
    "translate_statement",
]
