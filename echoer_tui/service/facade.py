"""The service facade: what the shell, the workbench screens and the API may ask for.

Screens and the shell never open the store or call an action themselves; they hold
a `Workbench` — `LocalWorkbench` (embedded engine + store, `service/local.py`) or
`RemoteWorkbench` (a running `echoer serve` over HTTP, `service/remote.py`) — and
everything they show comes from it.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from echoer_tui.fsl.ast import Diagnostic
from echoer_tui.storage.repository import Change

ReplyStatus = Literal["ok", "result", "error"]

SEQ_HEADER = "X-Echoer-Seq"
"""HTTP answers carry the store's change seq as it was when the server began the request,
so a remote workbench knows where to watch from (`Workbench.seq`)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What one shell statement answered: `OK`, `R| <result>` or `E| <error>`."""

    status: ReplyStatus
    text: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    """For FSL errors: where in the submitted text (the editor underlines them)."""
    data: Any = None
    """The structured result behind `text` (a resource dict, a list of rows …)."""

    def render(self) -> str:
        """The reply as the original shell printed it (without colour)."""
        if self.status == "ok":
            return "OK" if not self.text else f"OK {self.text}"
        prefix = "R| " if self.status == "result" else "E| "
        return prefix + self.text


@dataclass(frozen=True, slots=True)
class Validation:
    """Diagnostics for a document checked against the store (nothing is written)."""

    diagnostics: tuple[Diagnostic, ...] = ()
    statements: int = 0
    applied: tuple[str, ...] = ()
    """With `allow_applied`: statements the store already holds as written (`kind name`)."""

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class RunArgs:
    """`run flow NAME as RUN with (k=v, …)`: the args, each applied to every step declaring it."""

    values: Mapping[str, str | int] = field(default_factory=dict)


class Workbench(Protocol):
    """The operations every front end uses. All raise `EchoerError` subclasses on refusal."""

    async def start(self) -> None:
        """Open the store, start the engine (and recover its runs)."""

    async def close(self) -> None:
        """Stop the engine and close the store; in-flight runs resume at the next start."""

    # The shell language (one statement: a command or FSL, without the trailing `/`).
    async def execute(self, statement: str, *, width: int | None = None) -> Reply:
        """Run one statement and answer as the original shell did; never raises.
        Tables in the reply fit `width` columns (a default of 120 when None)."""

    async def validate(self, text: str, *, allow_applied: bool = False) -> Validation:
        """Parse and translate `text` against the store without writing anything.

        With `allow_applied`, a statement whose name is taken by a resource of the same
        definition is no error (it is listed in `applied`): the editor's document still
        holds what was just submitted. A different definition under a taken name is."""

    async def apply_fsl(self, text: str) -> builtins.list[Reply]:
        """Create every statement of an FSL document, in order, one reply per statement.

        A statement that does not translate is refused alone (as the original shell); the
        others are written in one commit, so a store refusal refuses them all."""

    async def create_fsl(self, text: str, kind: str | None = None) -> builtins.list[dict[str, Any]]:
        """Create every statement of a document in one commit, or refuse it whole.

        With `kind`, every statement must create that kind. Raises FslSyntaxError,
        TranslationError (every error diagnostic) or ConflictError; nothing is then written.
        Answers the stored resources."""

    # Resources.
    async def get(self, kind: str, name: str) -> dict[str, Any]:
        """One resource in the original JSON shape (NotFoundError if absent)."""

    async def list(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        """Resources of a kind, by name."""

    async def summaries(self, kind: str, prefix: str = "") -> builtins.list[dict[str, Any]]:
        """Resources of a kind, by name, each with its metadata and only the spec fields
        a list shows (`storage.repository.summary_of`): cheap for 10,000 runs."""

    async def count(self, kind: str) -> int:
        """How many resources of a kind exist."""

    async def delete(self, kind: str, name: str) -> None:
        """Delete one resource (refused while others use it)."""

    def known_names(self, kind: str) -> Sequence[str]:
        """Names of a kind as last seen (cheap, for completion; may lag a moment)."""

    # Runs.
    async def run_flow(self, flow: str, run: str, args: RunArgs) -> dict[str, Any]:
        """Instantiate a flow as a new flow run (type-checked) and start it."""

    async def pause(self, run: str) -> dict[str, Any]: ...

    async def resume(self, run: str) -> dict[str, Any]: ...

    async def stop(self, run: str) -> dict[str, Any]: ...

    async def rerun(self, run: str, step: str) -> dict[str, Any]: ...

    async def set_breakpoint(self, run: str, step: str, on: bool = True) -> dict[str, Any]:
        """Mark `step` (or unmark it, `on` False): the run holds (suspend) before each
        entry of it, the attempt made but not sent, until `resume`. Answers the run."""

    async def ack(self, run: str, step: str, state: str, data: str = "") -> dict[str, Any]:
        """Answer the step a run waits on by hand, as an action service would."""

    async def attempts(self, run: str) -> builtins.list[dict[str, Any]]:
        """Every step attempt of a run (kind `step`), oldest first."""

    async def events(self, run: str | None = None) -> builtins.list[dict[str, Any]]:
        """Events, oldest first, optionally of one run."""

    def watch(self, kinds: Sequence[str] | None = None, since: int = 0) -> AsyncIterator[Change]:
        """Committed changes, live."""

    @property
    def api_url(self) -> str:
        """Where the HTTP API answers (action services ack to `<api_url>/step`)."""

    @property
    def seq(self) -> int:
        """The last committed change's seq as last seen: read it before loading, then
        `watch(since=seq)` brings every change after what was loaded, and no backlog."""
