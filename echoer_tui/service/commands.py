"""The shell command language: submitted text in, typed commands out, no I/O.

The `>` shell, the workbench's command line and the HTTP API all accept the same
statements, so they are understood in one place. `split_submission` cuts pasted
text into statements the way the original shell did (a line ending in `/` ends
one); `parse_command` turns one statement into a command value, or raises a
`CommandError` that says what was expected. `COMMANDS` feeds `help` and the
completers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from echoer_tui.errors import CommandError
from echoer_tui.model.resources import KINDS

KIND_ALIASES: dict[str, str] = {
    "action": "action",
    "actions": "action",
    "flow": "flow",
    "flows": "flow",
    "flowrun": "flowrun",
    "flowruns": "flowrun",
    "flow_run": "flowrun",
    "flow_runs": "flowrun",
    "step": "step",
    "steps": "step",
    "event": "event",
    "events": "event",
}
KIND_WORDS: tuple[str, ...] = ("action", "flow", "flowrun", "flow_run", "step", "event")
FSL_KEYWORDS: tuple[str, ...] = ("action", "flow", "flow_run")
EXPORT_FORMATS: tuple[str, ...] = ("dot", "mermaid")
RUN_OPS: dict[str, Literal["pause", "resume", "stop"]] = {
    "pause": "pause",
    "continue": "resume",
    "resume": "resume",
    "stop": "stop",
}


# --- the commands ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Help:
    topic: str = ""


@dataclass(frozen=True, slots=True)
class ListResources:
    kind: str


@dataclass(frozen=True, slots=True)
class GetResource:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class GetStep:
    """`get step RUN.STEP`: the step as defined in the run (the original's behaviour)."""

    run: str
    step: str


@dataclass(frozen=True, slots=True)
class DeleteResource:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class SubmitFsl:
    """One or more FSL statements (`action …`, `flow …`, `flow_run …`)."""

    text: str


@dataclass(frozen=True, slots=True)
class RunFlow:
    flow: str
    run: str
    args: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunOperation:
    """`pause|continue|stop flowrun NAME`."""

    op: Literal["pause", "resume", "stop"]
    run: str


@dataclass(frozen=True, slots=True)
class Rerun:
    run: str
    step: str


@dataclass(frozen=True, slots=True)
class Ack:
    run: str
    step: str
    state: str
    data: str = ""


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """`break|unbreak <flowrun>.<step>`: mark a step the run holds before, or unmark it."""

    run: str
    step: str
    on: bool = True


@dataclass(frozen=True, slots=True)
class Watch:
    run: str


@dataclass(frozen=True, slots=True)
class Events:
    run: str = ""


@dataclass(frozen=True, slots=True)
class Load:
    path: str


@dataclass(frozen=True, slots=True)
class Export:
    kind: str
    name: str
    format: str


@dataclass(frozen=True, slots=True)
class Exit:
    pass


Command = (
    Help
    | ListResources
    | GetResource
    | GetStep
    | DeleteResource
    | SubmitFsl
    | RunFlow
    | RunOperation
    | Rerun
    | Ack
    | Breakpoint
    | Watch
    | Events
    | Load
    | Export
    | Exit
)


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """One line of `help`: the command word, its syntax and what it does."""

    name: str
    syntax: str
    summary: str


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("help", "help [command]", "list the commands, or explain one"),
    CommandInfo(
        "list", "list <kind>", "a table of action | flow | flowrun | step | event resources"
    ),
    CommandInfo(
        "get",
        "get <kind> <name> | get step <flowrun>.<step>",
        "one resource as JSON (a step: as its run defines it)",
    ),
    CommandInfo("del", "del <kind> <name>", "delete a resource (refused while others use it)"),
    CommandInfo("action", "action NAME … action_end", "define an action (FSL)"),
    CommandInfo("flow", "flow NAME … flow_end", "define a flow template (FSL)"),
    CommandInfo("flow_run", "flow_run NAME … flow_run_end", "define a flow run and start it (FSL)"),
    CommandInfo(
        "run",
        "run flow <name> as <run> with (k=v, …)",
        "start a flow run from a flow, giving its args",
    ),
    CommandInfo("pause", "pause flowrun <name>", "hold a run: acks are kept, nothing moves"),
    CommandInfo("continue", "continue flowrun <name>", "let a paused run move on"),
    CommandInfo("stop", "stop flowrun <name>", "end a run for good"),
    CommandInfo("rerun", "rerun flowrun <name> from <step>", "run a stopped run again from a step"),
    CommandInfo(
        "ack",
        "ack <flowrun>.<step> <STATE> [data]",
        "answer a waiting step by hand, as its action would",
    ),
    CommandInfo(
        "break",
        "break <flowrun>.<step>",
        "hold the run before each entry of a step, until continued",
    ),
    CommandInfo("unbreak", "unbreak <flowrun>.<step>", "remove a step's breakpoint"),
    CommandInfo("watch", "watch flowrun <name>", "print each transition of a run as it happens"),
    CommandInfo("events", "events [<flowrun>]", "what happened, oldest first"),
    CommandInfo("load", "load <file.fsl>", "apply every statement of an FSL file"),
    CommandInfo(
        "export",
        "export flow|flowrun <name> dot|mermaid",
        "draw a flow or a run as Graphviz DOT or Mermaid",
    ),
    CommandInfo("exit", "exit", "leave the shell (Ctrl-D too)"),
)
COMMAND_NAMES: tuple[str, ...] = tuple(c.name for c in COMMANDS)
_ALIASES = {"delete": "del", "quit": "exit", "resume": "continue"}


# --- splitting a submission into statements ---------------------------------------------


def ends_statement(line: str) -> bool:
    """Whether a typed line closes the statement being collected (it ends in `/`)."""
    return line.rstrip().endswith("/")


def split_submission(text: str) -> list[str]:
    """Statements in submitted text: each line ending in `/` closes one (the `/` dropped).

    Text after the last `/` counts as one more statement, so one-line commands work
    without the slash. Blank statements are skipped.
    """
    statements: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.rstrip()
        if stripped.endswith("/"):
            current.append(stripped[:-1])
            statements.append("\n".join(current))
            current = []
        else:
            current.append(line)
    statements.append("\n".join(current))
    return [s.strip("\n") for s in statements if s.strip()]


# --- parsing one statement ----------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')


def tokenize(text: str) -> list[str]:
    """Words of a command; `"…"` and `` `…` `` stay one word (quotes kept)."""
    return _TOKEN.findall(text)


def unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in '"`':
        inner = word[1:-1]
        return inner.replace('\\"', '"') if word[0] == '"' else inner
    return word


def is_fsl(statement: str) -> bool:
    """Whether a statement is FSL (starts with `action`, `flow` or `flow_run`)."""
    first = statement.lstrip().split(None, 1)
    return bool(first) and first[0].lower() in FSL_KEYWORDS


def parse_command(statement: str) -> Command:
    """One statement (without its trailing `/`) as a command; CommandError if not understood."""
    text = statement.strip()
    if text.endswith("/"):
        text = text[:-1].rstrip()
    if not text:
        raise CommandError("empty statement; type `help` for the commands")
    if is_fsl(text):
        # The lines and indent above stay: diagnostics count lines as the caller's text
        # does (the editor sends a statement with its place in the document).
        return SubmitFsl(statement[: len(statement) - len(statement.lstrip())] + text)
    words = tokenize(text)
    verb = words[0].lower()
    verb = _ALIASES.get(verb, verb)
    args = words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        raise CommandError(
            f"unknown command {words[0]!r}{_suggest(verb, COMMAND_NAMES)}; "
            "type `help` for the commands"
        )
    return parser(args, text)


def info(name: str) -> CommandInfo:
    """The COMMANDS entry of a command word (aliases and any case accepted)."""
    word = _ALIASES.get(name.lower(), name.lower())
    for entry in COMMANDS:
        if entry.name == word:
            return entry
    raise CommandError(f"no command {name!r}{_suggest(word, COMMAND_NAMES)}")


def help_text(topic: str = "") -> str:
    """What `help` prints: every command, or one command's syntax and summary."""
    if topic:
        entry = info(topic)
        return f"{entry.syntax}\n    {entry.summary}"
    width = max(len(c.syntax) for c in COMMANDS)
    lines = ["Statements end with a line ending in `/` (one-line commands need none)."]
    lines += [f"  {c.syntax.ljust(width)}  {c.summary}" for c in COMMANDS]
    lines.append("Kinds: action, flow, flowrun (flow_run), step, event.")
    return "\n".join(lines)


def normalize_kind(word: str, command: str, allowed: tuple[str, ...] = ()) -> str:
    kind = KIND_ALIASES.get(word.lower())
    if kind is None or (allowed and kind not in allowed):
        choices = allowed or ("action", "flow", "flowrun", "step", "event")
        raise CommandError(
            f"{command}: unknown kind {word!r}{_suggest(word.lower(), tuple(KIND_ALIASES))}; "
            f"expected one of {', '.join(choices)}"
        )
    return kind


def _expect(args: list[str], count: int, syntax: str) -> None:
    if len(args) != count:
        got = repr(" ".join(args)) if args else "nothing"
        raise CommandError(f"expected `{syntax}`, got {got} after the command")


_Parser = Callable[[list[str], str], Command]


def _name(word: str) -> str:
    return unquote(word)


def _help(args: list[str], _text: str) -> Command:
    if len(args) > 1:
        raise CommandError("expected `help [command]`")
    return Help(args[0].lower() if args else "")


def _list(args: list[str], _text: str) -> Command:
    if not args:
        raise CommandError(f"expected `list <kind>`; the kinds: {', '.join(KINDS)}")
    _expect(args, 1, "list <kind>")
    return ListResources(normalize_kind(args[0], "list"))


def _get(args: list[str], _text: str) -> Command:
    _expect(args, 2, "get <kind> <name>")
    kind = normalize_kind(args[0], "get")
    name = _name(args[1])
    if kind == "step":
        parts = name.split(".")
        if len(parts) == 2 and all(parts):
            return GetStep(parts[0], parts[1])
    return GetResource(kind, name)


def _del(args: list[str], _text: str) -> Command:
    _expect(args, 2, "del <kind> <name>")
    return DeleteResource(normalize_kind(args[0], "del"), _name(args[1]))


_RUN = re.compile(
    r"^run\s+flow\s+(?P<flow>\S+)\s+as\s+(?P<run>\S+)(?:\s+with\s*\((?P<args>.*)\))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_RUN_SYNTAX = "run flow <name> as <run> with (k=v, …)"


def _run(_args: list[str], text: str) -> Command:
    match = _RUN.match(text)
    if match is None:
        raise CommandError(f"expected `{_RUN_SYNTAX}`")
    args = parse_args(match["args"] or "", _RUN_SYNTAX)
    return RunFlow(_name(match["flow"]), _name(match["run"]), args)


_ARG = re.compile(
    r'\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"|`[^`]*`|-?\d+|[^,\s]+)\s*(?:,|$)',
    re.DOTALL,
)


def parse_args(text: str, syntax: str = _RUN_SYNTAX) -> dict[str, str | int]:
    """`k="v", n=3, w=word` -> {"k": "v", "n": 3, "w": "word"}: quoted or bare words are str."""
    out: dict[str, str | int] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ARG.match(text, pos)
        if match is None or match.end() == pos:
            raise CommandError(
                f"cannot read the args at {text[pos:]!r}; expected `k=v, …` as in `{syntax}` "
                '(quote text with "…", write numbers bare)'
            )
        key, raw = match["key"], match["value"]
        if key in out:
            raise CommandError(f"arg {key!r} is given twice")
        out[key] = int(raw) if re.fullmatch(r"-?\d+", raw) else unquote(raw)
        pos = match.end()
    return out


def _flowrun_name(args: list[str], verb: str) -> str:
    """The run of `VERB [flowrun] <name>`: the kind word may be left out, as in the original.

    A lone kind word is a name left out, not a run called `flowrun` (that one is
    `VERB flowrun flowrun`)."""
    if len(args) == 1 and KIND_ALIASES.get(args[0].lower()) == "flowrun":
        raise CommandError(f"expected `{verb} flowrun <name>`, got no run name")
    if len(args) == 1:
        return _name(args[0])
    _expect(args, 2, f"{verb} flowrun <name>")
    normalize_kind(args[0], verb, ("flowrun",))
    return _name(args[1])


def _run_op(verb: str) -> _Parser:
    def parse(args: list[str], _text: str) -> Command:
        return RunOperation(RUN_OPS[verb], _flowrun_name(args, verb))

    return parse


def _rerun(args: list[str], _text: str) -> Command:
    syntax = "rerun flowrun <name> from <step>"
    if len(args) == 3 and args[1].lower() == "from":
        args = ["flowrun", *args]
    _expect(args, 4, syntax)
    normalize_kind(args[0], "rerun", ("flowrun",))
    if args[2].lower() != "from":
        raise CommandError(f"expected `{syntax}`")
    return Rerun(_name(args[1]), _name(args[3]))


def _run_step(word: str, syntax: str) -> tuple[str, str]:
    """(run, step) of a `<flowrun>.<step>` word; the step is after the last dot."""
    target = _name(word)
    run, dot, step = target.rpartition(".")
    if not dot or not run or not step:
        raise CommandError(f"expected <flowrun>.<step>, got {target!r} (as in `{syntax}`)")
    return run, step


def _ack(args: list[str], text: str) -> Command:
    syntax = "ack <flowrun>.<step> <STATE> [data]"
    if len(args) < 2:
        raise CommandError(f"expected `{syntax}`")
    run, step = _run_step(args[0], syntax)
    # The data is the rest of the line as typed (JSON keeps its spaces).
    head = re.match(r"\s*\S+\s+\S+\s+\S+\s*", text)
    data = text[head.end() :].strip() if head and len(args) > 2 else ""
    return Ack(run, step, unquote(args[1]), unquote(data) if len(args) == 3 else data)


def _breakpoint(verb: str) -> _Parser:
    def parse(args: list[str], _text: str) -> Command:
        syntax = f"{verb} <flowrun>.<step>"
        _expect(args, 1, syntax)
        return Breakpoint(*_run_step(args[0], syntax), on=verb == "break")

    return parse


def _watch(args: list[str], _text: str) -> Command:
    return Watch(_flowrun_name(args, "watch"))


def _events(args: list[str], _text: str) -> Command:
    if len(args) == 2:
        normalize_kind(args[0], "events", ("flowrun",))
        args = args[1:]
    if len(args) > 1:
        raise CommandError("expected `events [<flowrun>]`")
    return Events(_name(args[0]) if args else "")


def _load(args: list[str], text: str) -> Command:
    if not args:
        raise CommandError("expected `load <file.fsl>`")
    path = text.split(None, 1)[1].strip()
    return Load(unquote(path))


def _export(args: list[str], _text: str) -> Command:
    syntax = "export flow|flowrun <name> dot|mermaid"
    _expect(args, 3, syntax)
    kind = normalize_kind(args[0], "export", ("flow", "flowrun"))
    fmt = args[2].lower()
    if fmt not in EXPORT_FORMATS:
        raise CommandError(
            f"export: unknown format {args[2]!r}{_suggest(fmt, EXPORT_FORMATS)}; "
            "expected dot or mermaid"
        )
    return Export(kind, _name(args[1]), fmt)


def _exit(args: list[str], _text: str) -> Command:
    _expect(args, 0, "exit")
    return Exit()


_PARSERS: dict[str, _Parser] = {
    "help": _help,
    "list": _list,
    "get": _get,
    "del": _del,
    "run": _run,
    "pause": _run_op("pause"),
    "continue": _run_op("continue"),
    "stop": _run_op("stop"),
    "rerun": _rerun,
    "ack": _ack,
    "break": _breakpoint("break"),
    "unbreak": _breakpoint("unbreak"),
    "watch": _watch,
    "events": _events,
    "load": _load,
    "export": _export,
    "exit": _exit,
}


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
