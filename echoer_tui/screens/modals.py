"""The questions the workbench asks: yes/no, a file path, an ack state, a text to read.

Each is a `ModalScreen[T]` closed with `dismiss(value)`; callers `push_screen` it with
a callback or `await push_screen_wait` it from a worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class ConfirmModal(ModalScreen[bool]):
    """Ask before something that cannot be undone (delete, stop)."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, *, confirm: str = "Delete") -> None:
        super().__init__(classes="modal")
        self.question = question
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, id="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.confirm} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PathModal(ModalScreen[str | None]):
    """Ask for a file path (open or save an .fsl file, export a graph)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            yield Input(self.value, placeholder="path/to/file.fsl", id="path")
            yield Static("Enter to confirm, Esc to cancel", classes="hint")

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AckModal(ModalScreen[tuple[str, str] | None]):
    """Pick one of the states a waiting step declares, to acknowledge it by hand, with
    the data an action service would send along (optional); answers (state, data)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, run: str, step: str, states: Sequence[str]) -> None:
        super().__init__(classes="modal")
        self.run = run
        self.step = step
        self.states = list(states)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Acknowledge step {self.step} of {self.run} with:")
            yield OptionList(*[Option(s, id=s) for s in self.states], id="states")
            yield Input(placeholder="data to send with it (optional)", id="data")
            yield Static("Enter to ack, Tab to the data, Esc to cancel", classes="hint")

    @on(OptionList.OptionSelected, "#states")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._answer(event.option)

    @on(Input.Submitted, "#data")
    def _data_entered(self) -> None:
        """Enter in the data field acks with the highlighted state."""
        states = self.query_one("#states", OptionList)
        self._answer(states.get_option_at_index(states.highlighted or 0))

    def _answer(self, state: Option) -> None:
        self.dismiss((str(state.id), self.query_one("#data", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextModal(ModalScreen[None]):
    """Show a text to read or copy (an exported graph, a long reply)."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text)
            with VerticalScroll():
                yield Static(self.text, id="text", markup=False)
            yield Static("Esc to close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
