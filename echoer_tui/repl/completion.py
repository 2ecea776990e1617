"""Tab completion for the `>` shell: it only formats what others know.

Inside FSL, what may come at the cursor is `fsl.completion.completion_context`'s
answer; in a command, the expected words come from the syntax lines of the command
table (`list <kind>`, `pause flowrun <name>` …); names that exist come from
`Workbench.known_names`. Nothing here knows the grammar of either language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from echoer_tui.fsl.ast import DONE
from echoer_tui.fsl.completion import completion_context
from echoer_tui.repl.collector import StatementCollector, opens_fsl
from echoer_tui.service.commands import (
    COMMAND_NAMES,
    COMMANDS,
    KIND_ALIASES,
    KIND_WORDS,
    tokenize,
)

KnownNames = Callable[[str], Sequence[str]]
SHELL_WORDS = ("set",)
"""Commands only the shell has (not in the command table)."""


def current_statement(text_before_cursor: str) -> str:
    """The statement the cursor is in, by the shell's own collecting rule."""
    *done, last = text_before_cursor.split("\n")
    collector = StatementCollector()
    for line in done:
        collector.feed(line)
    return "\n".join([*collector.pending, last])


def _syntax_slots(command: str) -> list[str]:
    """The argument slots of a command, from the first form of its syntax line."""
    for entry in COMMANDS:
        if entry.name == command:
            words = entry.syntax.split(" | ")[0].split()
            return [w.strip("[]") for w in words[1:]]
    return []


class ShellCompleter(Completer):
    """Commands, kinds, keywords and existing names, as the cursor's place allows."""

    def __init__(self, known_names: KnownNames) -> None:
        self.known_names = known_names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        statement = current_statement(document.text_before_cursor)
        if opens_fsl(statement):
            yield from self._fsl(document)
            return
        words = tokenize(statement)
        typing = "" if not statement or statement[-1].isspace() else words.pop()
        if not words:
            yield from _matching(typing, (*COMMAND_NAMES, *SHELL_WORDS), "command")
            return
        slots = _syntax_slots(words[0].lower())
        position = len(words) - 1
        if position < len(slots):
            yield from _matching(typing, self._slot_words(slots[position], words), "")

    def _slot_words(self, slot: str, words: list[str]) -> Sequence[str]:
        """The words that fill one syntax slot, given the words typed before it."""
        if slot == "<kind>":
            return KIND_WORDS
        if slot == "command":
            return COMMAND_NAMES
        if slot in ("<name>", "<flowrun>") or slot.startswith("<flowrun>."):
            kind = "flowrun" if slot != "<name>" else KIND_ALIASES.get(words[-1].lower(), "")
            return self.known_names(kind) if kind else ()
        if slot.startswith("<"):
            return ()  # a new name or free text: nothing to offer
        return tuple(slot.split("|"))

    def _fsl(self, document: Document) -> Iterable[Completion]:
        context = completion_context(document.text, document.cursor_position)
        words = list(context.keywords)
        if context.kind == "action_name":
            words += self.known_names("action")
        elif context.kind == "step_name":
            words += [*context.step_names, DONE]
        elif context.kind == "state_name":
            words += context.state_names
        elif context.kind == "arg_name":
            words += context.param_names
        yield from _matching(context.prefix, words, context.kind.replace("_", " "))


def _matching(typing: str, words: Iterable[str], meta: str) -> Iterable[Completion]:
    """Completions for the words that start with what is typed (any case), in order."""
    lowered = typing.lower()
    seen: set[str] = set()
    for word in words:
        if word.lower().startswith(lowered) and word not in seen:
            seen.add(word)
            yield Completion(word, start_position=-len(typing), display_meta=meta)
