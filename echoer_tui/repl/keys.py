"""Key bindings of the `>` shell, from one factory (as pgcli keeps them).

The prompt is a multi-line buffer, so a statement is edited as a whole and lands in
history as a whole; Enter decides, by the shell's own collecting rule, whether the
text is complete (run it) or not yet (start a new line).
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import completion_is_selected, has_completions, has_focus
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys

IsComplete = Callable[[str], bool]
"""Does submitting this text leave nothing pending (see `StatementCollector.would_complete`)?"""


def make_key_bindings(is_complete: IsComplete) -> KeyBindings:
    """The shell's bindings; `is_complete` is the collector's rule for "Enter runs it"."""
    bindings = KeyBindings()
    # Only while editing the statement: in Ctrl-R search, Enter belongs to the search.
    editing = has_focus(DEFAULT_BUFFER)

    @bindings.add("enter", filter=editing & ~(has_completions & completion_is_selected))
    def _enter(event: KeyPressEvent) -> None:
        """Enter runs the statement when it is complete, else opens a new line.

        Complete means: its last line ends with `/`, it is a one-line command such as
        `list flow`, it is `exit`, or it is empty. A new line keeps the indentation.
        """
        buffer = event.current_buffer
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.newline(copy_margin=True)

    @bindings.add("enter", filter=editing & has_completions & completion_is_selected)
    def _accept_completion(event: KeyPressEvent) -> None:
        """Enter with a completion selected takes the completion, runs nothing."""
        buffer = event.current_buffer
        buffer.complete_state = None

    @bindings.add("escape", "enter", filter=editing)
    def _submit_anyway(event: KeyPressEvent) -> None:
        """Alt-Enter submits the text as it is; an unfinished statement stays pending."""
        event.current_buffer.validate_and_handle()

    @bindings.add(Keys.BracketedPaste, filter=editing)
    def _paste(event: KeyPressEvent) -> None:
        """A paste lands as it is (no indent added per line); when it ends a line after
        a complete statement, it runs, as lines piped into the original shell did."""
        data = event.data.replace("\r\n", "\n").replace("\r", "\n")
        buffer = event.current_buffer
        ends_line = data.endswith("\n")
        buffer.insert_text(data[:-1] if ends_line else data)
        if ends_line and is_complete(buffer.text):
            buffer.validate_and_handle()
        elif ends_line:
            buffer.newline(copy_margin=False)

    @bindings.add("c-space")
    def _complete(event: KeyPressEvent) -> None:
        """Ctrl-Space opens the completion menu (or moves to the next entry)."""
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
        else:
            buffer.start_completion(select_first=False)

    return bindings
