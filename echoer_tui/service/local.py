"""The embedded workbench: the facade over this process's store and engine.

The `>` shell, the Textual screens and the HTTP API all talk to a `Workbench`; this
one answers from the repository and drives runs through the embedded engine. FSL is
parsed, translated against a snapshot of the store and only then written, so a
refused statement changes nothing. `execute()` speaks the original shell's language
and never raises: every refusal becomes an `E| …` reply.

`watch flowrun NAME` and `help` are best handled by the shell itself (it follows the
run live until Ctrl-C); `execute()` answers them too — `help` with the help text,
`watch` with the run's current state and history, and a hint that the live stream
is `Workbench.watch()` (over HTTP: `GET /watch`).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Protocol

from echoer_tui.engine.transitions import RUN_LABEL
from echoer_tui.errors import (
    ConflictError,
    EchoerError,
    FslSyntaxError,
    NotFoundError,
    StoreError,
    TranslationError,
)
from echoer_tui.fsl import parse
from echoer_tui.fsl.ast import Diagnostic, Document
from echoer_tui.fsl.tools import read_fsl_file
from echoer_tui.model.diagnose import merge_diagnostics
from echoer_tui.model.export import export
from echoer_tui.model.resources import FINISHED_STATES, KINDS
from echoer_tui.model.secrets import redact
from echoer_tui.model.translate import (
    RESOURCE_KIND,
    ActionSignature,
    Catalog,
    TranslatedStatement,
    Translation,
    instantiate,
    translate,
    translate_statement,
)
from echoer_tui.service import commands as cmd
from echoer_tui.service.facade import Reply, RunArgs, Validation
from echoer_tui.service.render import (
    DEFAULT_TABLE_WIDTH,
    diagnostics_text,
    event_rows,
    resource_json,
    resource_rows,
    table,
)
from echoer_tui.storage.repository import Change, Put, Query, Repository

log = logging.getLogger(__name__)

NAMED_KINDS = ("action", "flow", "flowrun")
"""Kinds whose names `known_names` keeps (attempts and events are too many to complete)."""


class RunEngine(Protocol):
    """What the workbench needs of the engine (`echoer_tui.engine.Engine` provides it)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def launch(self, run: str) -> Any: ...

    async def manual_ack(self, run: str, step: str, state: str, data: str = "") -> Any: ...

    async def pause(self, run: str) -> Any: ...

    async def resume(self, run: str) -> Any: ...

    async def stop(self, run: str) -> Any: ...

    async def rerun(self, run: str, step: str) -> Any: ...

    async def set_breakpoint(self, run: str, step: str, on: bool = True) -> Any: ...

    async def delete_run(self, run: str) -> Any: ...


class LocalWorkbench:
    """`Workbench` over a repository and an embedded engine in this process.

    `close()` stops the engine; it closes the repository only when `owns_store` is
    set (the runtime that opened the store closes it itself).
    """

    def __init__(
        self, repo: Repository, engine: RunEngine, api_url: str, *, owns_store: bool = False
    ) -> None:
        self._repo = repo
        self._engine = engine
        self._api_url = api_url
        self._owns_store = owns_store
        self._names: dict[str, set[str]] = {kind: set() for kind in NAMED_KINDS}
        self._names_task: asyncio.Task[None] | None = None
        self._names_ready = asyncio.Event()

    # --- life ----------------------------------------------------------------------------
    async def start(self) -> None:
        since = await self._load_names()
        self._names_task = asyncio.create_task(self._follow_names(since), name="echoer-names")
        await self._engine.start()

    async def _load_names(self) -> int:
        since = self._repo.seq
        for kind in NAMED_KINDS:
            self._names[kind] = {r["metadata"]["name"] for r in await self._repo.list(Query(kind))}
        return since

    async def close(self) -> None:
        if self._names_task is not None:
            self._names_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._names_task
            self._names_task = None
        try:
            await self._engine.close()
        finally:
            if self._owns_store:
                await self._repo.close()

    async def _follow_names(self, since: int) -> None:
        """Keep the completion cache fresh from the store's change stream."""
        while True:
            try:
                async for change in self._repo.watch(NAMED_KINDS, since):
                    names = self._names.setdefault(change.kind, set())
                    if change.op == "put":
                        names.add(change.name)
                    else:
                        names.discard(change.name)
                return  # the store was closed
            except StoreError:
                # Fell too far behind (WatchLagError): read the names again and go on.
                try:
                    since = await self._load_names()
                except StoreError:
                    return  # the store is gone

    @property
    def api_url(self) -> str:
        return self._api_url

    @property
    def seq(self) -> int:
        return self._repo.seq

    def known_names(self, kind: str) -> Sequence[str]:
        kind = cmd.KIND_ALIASES.get(kind.lower(), kind)
        return sorted(self._names.get(kind, ()))

    # --- the shell language --------------------------------------------------------------
    async def execute(self, statement: str, *, width: int | None = None) -> Reply:
        try:
            command = cmd.parse_command(statement)
            if isinstance(command, cmd.SubmitFsl):
                return _combine(await self.apply_fsl(command.text))
            return await self._run_command(command, width or DEFAULT_TABLE_WIDTH)
        except EchoerError as error:
            return _error_reply(error)
        except Exception as error:  # the shell must never see a traceback
            log.exception("statement failed: %r", statement)
            return Reply("error", f"internal error: {type(error).__name__}: {error}")

    async def _run_command(self, command: cmd.Command, width: int) -> Reply:
        """One command's reply; its tables fit `width` columns."""
        match command:
            case cmd.Help(topic):
                return Reply("result", cmd.help_text(topic))
            case cmd.ListResources(kind):
                resources = await self.list(kind)
                headers, rows = resource_rows(kind, resources)
                return Reply("result", table(headers, rows, width), data=resources)
            case cmd.GetResource(kind, name):
                resource = await self.get(kind, name)
                return Reply("result", resource_json(resource), data=resource)
            case cmd.GetStep(run, step):
                found = await self.run_step(run, step)
                return Reply("result", resource_json(found), data=found)
            case cmd.DeleteResource(kind, name):
                await self.delete(kind, name)
                return Reply("ok")
            case cmd.RunFlow(flow, run, args):
                created = await self.run_flow(flow, run, RunArgs(args))
                return Reply("ok", data=created)
            case cmd.RunOperation(op, run):
                result = await getattr(self, op)(run)
                return Reply("ok", data=result)
            case cmd.Rerun(run, step):
                return Reply("ok", data=await self.rerun(run, step))
            case cmd.Ack(run, step, state, data):
                return Reply("ok", data=await self.ack(run, step, state, data))
            case cmd.Breakpoint(run, step, on):
                return Reply("ok", data=await self.set_breakpoint(run, step, on))
            case cmd.Watch(run):
                return await self._watch_reply(run)
            case cmd.Events(run):
                if run:
                    await self.get("flowrun", run)  # say a run does not exist, not an empty table
                events = await self.events(run or None)
                headers, rows = event_rows(events)
                return Reply("result", table(headers, rows, width), data=events)
            case cmd.Load(path):
                return _combine(await self.apply_fsl(_read_fsl(path)), source=path)
            case cmd.Export(kind, name, fmt):
                text = export(await self.get(kind, name), fmt)
                return Reply("result", text.rstrip("\n"), data=text)
            case cmd.Exit():
                return Reply("result", "exit leaves the shell (Ctrl-D too)")
        raise EchoerError(f"the command {command!r} is not supported here")

    async def _watch_reply(self, run: str) -> Reply:
        resource = await self.get("flowrun", run)
        spec = resource.get("spec") or {}
        history = " -> ".join(spec.get("history_states") or []) or "(no transitions yet)"
        text = (
            f"flowrun {run} is {spec.get('current_state', '')}: {history}\n"
            "(the shell follows it live until Ctrl-C; elsewhere subscribe to watch() "
            "or GET /watch)"
        )
        return Reply("result", text, data=resource)

    # --- FSL -----------------------------------------------------------------------------
    async def validate(self, text: str, *, allow_applied: bool = False) -> Validation:
        document = parse(text)
        catalog = await self._catalog(document)
        applied: builtins.list[TranslatedStatement] = []
        if allow_applied:
            applied = await self._applied(document, catalog)
            catalog = _without(catalog, [(r.kind, r.name) for r in applied])
        translation = translate(document.statements, catalog)
        return Validation(
            merge_diagnostics(document.diagnostics, translation.diagnostics),
            len(document.statements),
            tuple(f"{r.kind} {r.name}" for r in applied),
        )

    async def _applied(
        self, document: Document, catalog: Catalog
    ) -> builtins.list[TranslatedStatement]:
        """Statements whose name is taken by a stored resource of the same definition."""
        found: builtins.list[TranslatedStatement] = []
        seen: set[tuple[str, str]] = set()
        for statement in document.statements:
            kind = RESOURCE_KIND[statement.kind]
            if (kind, statement.name) in seen or not catalog.taken(kind, statement.name):
                continue  # only the first statement of a name can be the stored one
            seen.add((kind, statement.name))
            result = translate_statement(statement, _without(catalog, [(kind, statement.name)]))
            stored = await self._repo.get(kind, statement.name)
            if result.resource is None or stored is None:
                continue
            if definition(result.resource) == definition(stored):
                found.append(result)
        return found

    async def apply_fsl(self, text: str) -> list[Reply]:
        """One reply per statement. A statement that does not translate is refused on its
        own and the others are applied, as the original shell did (there every `/` was a
        submission of its own, and `load FILE` applies a corpus file's good statements);
        those applied are written in one commit, so a refusal by the store refuses them all
        and nothing of the document is left half written."""
        document = parse(text)
        if not document.ok:
            # A document that does not parse changes nothing, not even its good statements.
            return [
                Reply(
                    "error",
                    diagnostics_text(text, document.errors),
                    diagnostics=document.diagnostics,
                )
            ]
        translation = await self._translate(document)
        written: dict[int, tuple[dict[str, Any], str]] = {}
        refusal: EchoerError | None = None
        clean = [r for r in translation.statements if r.ok]
        try:
            for result, outcome in zip(clean, await self._write(clean), strict=True):
                written[id(result)] = outcome
        except EchoerError as error:
            refusal = error
        replies: list[Reply] = []
        for result in translation.statements:
            if not result.ok:
                errors = diagnostics_text(text, result.errors)
                replies.append(Reply("error", errors, diagnostics=result.diagnostics))
            elif refusal is not None:
                replies.append(_error_reply(refusal, result.diagnostics))
            else:
                stored, note = written[id(result)]
                replies.append(Reply("ok", note, diagnostics=result.diagnostics, data=stored))
        return replies

    async def create_fsl(self, text: str, kind: str | None = None) -> builtins.list[dict[str, Any]]:
        """Every statement of a document or none (the API's `POST /action|flow|flowrun`).

        Raises FslSyntaxError, EchoerError (no statement, or one that does not create
        `kind`), TranslationError with every error diagnostic, or the store's ConflictError
        when a name was taken between translation and the commit; then nothing is written.
        """
        document = parse(text)
        if not document.ok:
            errors = document.errors
            raise FslSyntaxError(f"FSL does not parse: {errors[0]}", list(errors))
        if not document.statements:
            raise EchoerError("data: no FSL statement found", field="data")
        if kind is not None:
            for statement in document.statements:
                if RESOURCE_KIND[statement.kind] != kind:
                    keyword = next(k for k, v in RESOURCE_KIND.items() if v == kind)
                    raise EchoerError(
                        f"data: only `{keyword}` statements create {kind} resources, "
                        f"not `{statement.kind} {statement.name}`",
                        field="data",
                    )
        translation = await self._translate(document)
        refusals = [d for d in translation.diagnostics if d.severity == "error"]
        if refusals:
            found: builtins.list[object] = list(refusals)
            raise TranslationError(f"FSL does not translate: {refusals[0]}", found)
        return [stored for stored, _ in await self._write(translation.statements)]

    async def _write(
        self, results: Sequence[TranslatedStatement]
    ) -> builtins.list[tuple[dict[str, Any], str]]:
        """Store translated statements in one commit (all or none), then start the new runs.

        Per statement: the resource as stored (redacted) and a note for the reply. A run
        that is stored but cannot be launched now is no refusal: the engine starts every
        stored `ready` run without attempts when it next starts (its recovery).
        """
        if not results:
            return []
        stored = await self._repo.commit([Put(r.resource) for r in results if r.resource])
        outcomes: builtins.list[tuple[dict[str, Any], str]] = []
        for result, resource in zip(results, stored, strict=True):
            note = ""
            if result.kind == "flowrun":
                try:
                    await self._engine.launch(result.name)
                except EchoerError as error:
                    log.warning("flowrun %s stored but not started: %s", result.name, error)
                    note = (
                        f"flowrun {result.name} is stored but did not start ({error.message}); "
                        "it starts when the engine next starts"
                    )
            outcomes.append((redact(resource or {}), note))
        return outcomes

    async def _translate(self, document: Document) -> Translation:
        return translate(document.statements, await self._catalog(document))

    async def _catalog(self, document: Document) -> Catalog:
        """What exists, as far as these statements can tell: every action, and their names."""
        actions = await self._repo.list(Query("action"))
        names: dict[str, set[str]] = {"action": {a["metadata"]["name"] for a in actions}}
        for statement in document.statements:
            kind = RESOURCE_KIND[statement.kind]
            if kind != "action" and await self._repo.get(kind, statement.name) is not None:
                names.setdefault(kind, set()).add(statement.name)
        return Catalog(
            {a["metadata"]["name"]: ActionSignature.from_resource(a) for a in actions},
            {kind: frozenset(found) for kind, found in names.items()},
        )

    # --- resources -----------------------------------------------------------------------
    # Everything handed out is redacted (model.secrets): the shell, the screens and the
    # API show a CA PEM's fingerprint; the engine reads the PEM from the store itself.
    async def get(self, kind: str, name: str) -> dict[str, Any]:
        kind = _kind(kind)
        found = await self._repo.get(kind, name)
        if found is None:
            raise NotFoundError(
                f"{kind} {name!r} does not exist (resource ({kind}) ({name}) not exist)"
            )
        return redact(found)

    async def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        return redact(await self._repo.list(Query(_kind(kind), prefix=prefix)))

    async def summaries(self, kind: str, prefix: str = "") -> builtins.list[dict[str, Any]]:
        # A summary is metadata plus its kind's SUMMARY_SPEC fields, none of them a
        # secret (tests/unit/storage/test_summaries.py holds that), so unlike the other
        # reads it needs no `redact`: a pass over 10,000 summaries saved on each list.
        return await self._repo.summaries(Query(_kind(kind), prefix=prefix))

    async def count(self, kind: str) -> int:
        return await self._repo.count(_kind(kind))

    async def run_step(self, run: str, step: str) -> dict[str, Any]:
        """A step as its flow run defines it (`get step RUN.STEP`)."""
        resource = await self.get("flowrun", run)
        steps = (resource.get("spec") or {}).get("steps") or []
        for candidate in steps:
            if candidate["metadata"]["name"] == step:
                return dict(candidate)
        names = ", ".join(s["metadata"]["name"] for s in steps) or "none"
        raise NotFoundError(f"flowrun {run!r} has no step {step!r} (its steps: {names})")

    async def delete(self, kind: str, name: str) -> None:
        kind = _kind(kind)
        resource = await self.get(kind, name)
        if kind in ("step", "event"):
            # A run's attempts and events are its history; the engine reads them while it runs.
            run = (resource["metadata"].get("labels") or {}).get(RUN_LABEL)
            owner = await self._repo.get("flowrun", run) if run else None
            if owner is not None and owner["spec"].get("current_state") not in FINISHED_STATES:
                raise ConflictError(
                    f"{kind} {name!r} belongs to flowrun {run}, which is still "
                    f"{owner['spec'].get('current_state')}; stop it or delete the whole run"
                )
        if kind == "flowrun":
            await self._engine.delete_run(name)
            return
        if kind == "action":
            users = await self._action_users(name)
            if users:
                raise ConflictError(
                    f"action {name!r} is still used by {', '.join(users)}; "
                    "delete those (or let the runs finish) first"
                )
        await self._repo.delete(kind, name)

    async def _action_users(self, action: str) -> builtins.list[str]:
        users = [
            f"flow {flow['metadata']['name']}"
            for flow in await self._repo.list(Query("flow"))
            if any(s.get("action_name") == action for s in flow["spec"].get("steps") or ())
        ]
        for run in await self._repo.list(Query("flowrun")):
            spec = run.get("spec") or {}
            if spec.get("current_state") in FINISHED_STATES:
                continue
            if any(
                (s.get("spec") or {}).get("action_run", {}).get("action_name") == action
                for s in spec.get("steps") or ()
            ):
                users.append(f"flowrun {run['metadata']['name']} ({spec.get('current_state')})")
        return users

    # --- runs ----------------------------------------------------------------------------
    async def run_flow(self, flow: str, run: str, args: RunArgs) -> dict[str, Any]:
        template = await self.get("flow", flow)
        if await self._repo.get("flowrun", run) is not None:
            raise ConflictError(f"a flow run named {run!r} already exists")
        actions = {
            a["metadata"]["name"]: ActionSignature.from_resource(a)
            for a in await self._repo.list(Query("action"))
        }
        resource = instantiate(template, run, dict(args.values), actions)
        await self._repo.put(resource)
        await self._engine.launch(run)
        return await self.get("flowrun", run)

    async def pause(self, run: str) -> dict[str, Any]:
        return await self._after(run, await self._engine.pause(run))

    async def resume(self, run: str) -> dict[str, Any]:
        return await self._after(run, await self._engine.resume(run))

    async def stop(self, run: str) -> dict[str, Any]:
        return await self._after(run, await self._engine.stop(run))

    async def rerun(self, run: str, step: str) -> dict[str, Any]:
        return await self._after(run, await self._engine.rerun(run, step))

    async def set_breakpoint(self, run: str, step: str, on: bool = True) -> dict[str, Any]:
        return await self._after(run, await self._engine.set_breakpoint(run, step, on))

    async def ack(self, run: str, step: str, state: str, data: str = "") -> dict[str, Any]:
        return await self._after(run, await self._engine.manual_ack(run, step, state, data))

    async def _after(self, run: str, result: Any) -> dict[str, Any]:
        """What an engine operation answered, or else the run as it now stands."""
        if isinstance(result, dict):
            return redact(result)
        return await self.get("flowrun", run)

    async def attempts(self, run: str) -> builtins.list[dict[str, Any]]:
        found = await self._repo.list(Query("step", labels={RUN_LABEL: run}))
        return redact(sorted(found, key=_written_order))

    async def events(self, run: str | None = None) -> builtins.list[dict[str, Any]]:
        labels = {RUN_LABEL: run} if run else {}
        found = await self._repo.list(Query("event", labels=labels))
        return redact(sorted(found, key=_written_order))

    def watch(self, kinds: Sequence[str] | None = None, since: int = 0) -> AsyncIterator[Change]:
        return _redacted_changes(self._repo.watch(kinds, since))


# --- helpers -------------------------------------------------------------------------------


async def _redacted_changes(changes: AsyncIterator[Change]) -> AsyncIterator[Change]:
    try:
        async for change in changes:
            shown = redact(change.resource)
            if shown is not change.resource:
                change = dataclasses.replace(change, resource=shown)
            yield change
    finally:
        # Close the store's watch now (it unregisters its watcher), not at garbage collection.
        close = getattr(changes, "aclose", None)
        if close is not None:
            await close()


def _without(catalog: Catalog, taken: Iterable[tuple[str, str]]) -> Catalog:
    """The catalog with these (kind, name) no longer taken (actions keep their signature)."""
    names = dict(catalog.names)
    for kind, name in taken:
        names[kind] = names.get(kind, frozenset()) - {name}
    return Catalog(catalog.actions, names)


def definition(resource: dict[str, Any]) -> Any:
    """What FSL says of a resource, without what running it changed (state, uuids,
    reference counts): two resources with equal definitions came from the same FSL."""
    kind = resource["metadata"].get("kind")
    spec = resource.get("spec") or {}
    if kind == "action":
        return {k: v for k, v in spec.items() if k != "reference_count"}
    if kind == "flowrun":
        return [
            (
                step["metadata"]["name"],
                step["spec"].get("type"),
                {k: v for k, v in step["spec"]["action_run"].items() if k != "done"},
            )
            for step in spec.get("steps") or ()
        ]
    return spec


def _kind(word: str) -> str:
    kind = cmd.KIND_ALIASES.get(word.lower())
    if kind is None or kind not in KINDS:
        raise NotFoundError(
            f"this type ({word}) is not supported; expected one of {', '.join(KINDS)}",
            field="kind",
        )
    return kind


def _written_order(resource: dict[str, Any]) -> tuple[float, float, int, str]:
    meta = resource.get("metadata") or {}
    spec = resource.get("spec") or {}
    return (
        float(meta.get("created_time") or 0.0),
        float(spec.get("time") or spec.get("dispatched_time") or 0.0),
        int(spec.get("attempt") or 0),
        str(meta.get("name", "")),
    )


def _error_reply(error: EchoerError, diagnostics: Sequence[Diagnostic] = ()) -> Reply:
    if isinstance(error, FslSyntaxError | TranslationError):
        diagnostics = [*diagnostics, *(d for d in error.diagnostics if isinstance(d, Diagnostic))]
    return Reply("error", error.message, diagnostics=tuple(diagnostics))


def _combine(replies: Sequence[Reply], source: str = "") -> Reply:
    """One reply for several statements: OK when all were, else every error in order."""
    if len(replies) == 1 and not source:
        return replies[0]
    errors = [r for r in replies if r.status == "error"]
    diagnostics = tuple(d for r in replies for d in r.diagnostics)
    done = len(replies) - len(errors)
    if not errors:
        return Reply("ok", f"{done} statements" if source or done != 1 else "", diagnostics)
    where = f"{source}: " if source else ""
    text = f"{where}{done} of {len(replies)} statements applied\n" + "\n".join(
        r.text for r in errors
    )
    return Reply("error", text, diagnostics, data=[r.data for r in replies])


def _read_fsl(path: str) -> str:
    """`load FILE`: the shared FSL file reader (regular files up to its limit only)."""
    try:
        return read_fsl_file(path)
    except NotFoundError as error:
        raise NotFoundError(f"load: {error.message}", field="path") from None
    except EchoerError as error:
        raise EchoerError(f"load: {error.message}", field="path") from None
