"""The editor screen (the default): write FSL, see diagnostics as you type, submit.

Submitting works as in the `>` shell: a line ending in `/` submits the statement
above it, Ctrl+Enter (or F5 / Ctrl+R where the terminal does not send Ctrl+Enter)
submits the statement under the cursor or the selection; the reply pane answers
`OK`, `R|` or `E|` as the shell does. F9 opens a side panel that draws the flow
under the cursor as a graph, with its lint findings, as you type.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, RichLog, Static, TextArea
from textual.widgets.option_list import Option

from echoer_tui.errors import EchoerError
from echoer_tui.fsl import CompletionContext, IncrementalParser, completion_context, format_text
from echoer_tui.fsl.ast import DONE, ActionDecl, FlowDecl, FlowRunDecl
from echoer_tui.messages import StoreChanged
from echoer_tui.service.facade import Reply, Workbench
from echoer_tui.widgets.flow_preview import FlowPreview
from echoer_tui.widgets.footer import WorkbenchFooter
from echoer_tui.widgets.fsl_editor import FlowEditor, statements_of
from echoer_tui.widgets.screen_tabs import ScreenTabs

VALIDATE_DELAY = 0.3
"""Seconds of quiet typing before the document is validated again."""

PREVIEW_DELAY = 0.15
"""Seconds of quiet typing (or cursor moves) before the graph preview is redrawn."""


STARTER = """\
# FSL: a line ending in / submits the statement above it (or press Ctrl+Enter / F5).
"""


def reply_text(reply: Reply) -> Text:
    """A reply coloured as the shell colours it."""
    style = {"ok": "green", "result": "", "error": "red"}[reply.status]
    return Text(reply.render(), style=style)


class EditorScreen(Screen[None]):
    """FSL editor, reply pane and status line."""

    BINDINGS = [
        Binding("f8", "submit_all", "Submit all"),
        Binding("ctrl+o", "open_file", "Open"),
        Binding("ctrl+s", "save_file", "Save"),
        Binding("ctrl+f", "format", "Fmt"),
        Binding("ctrl+space,ctrl+n", "complete", "Complete"),
        Binding("f9", "toggle_preview", "Preview"),
        Binding("escape", "close_completion", "Close", show=False),
    ]

    def __init__(self, workbench: Workbench) -> None:
        super().__init__(id="editor-screen")
        self.workbench = workbench
        self.path: Path | None = None
        self._saved_text = STARTER
        """The document as last opened or saved: anything else is unsaved work."""
        self._validate_timer: Timer | None = None
        self._generation = 0
        self.applied: tuple[str, ...] = ()
        """Statements of the document the store already holds as written."""
        self._submissions: asyncio.Queue[str] = asyncio.Queue()
        self.replies: list[Reply] = []
        """Every reply so far, in submission order (the reply pane shows them)."""
        self._parser = IncrementalParser()
        self._preview_timer: Timer | None = None
        self._stored_returns: dict[str, tuple[str, ...]] = {}
        """Return states of the actions in the store, by name (for the preview's lint)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-pane"):
            yield FlowEditor(STARTER, id="editor")
            yield OptionList(id="completion")
            yield Static("", id="editor-status")
        yield FlowPreview(id="preview")
        yield RichLog(id="replies", wrap=True, markup=False, max_lines=2000)
        yield ScreenTabs("editor")
        yield WorkbenchFooter()

    def on_screen_resume(self) -> None:
        # Coming back from another screen or a modal: keys go to the main widget.
        if self.focused is None:
            self.query_one("#editor").focus()

    def on_mount(self) -> None:
        self.query_one("#completion").display = False
        self.query_one("#preview").display = False
        editor = self.query_one("#editor", FlowEditor)
        editor.move_cursor(editor.document.end)
        editor.focus()
        self.query_one("#replies", RichLog).border_title = "Replies"
        self._show_status()
        self.run_submissions()

    @property
    def editor(self) -> FlowEditor:
        return self.query_one("#editor", FlowEditor)

    @property
    def modified(self) -> bool:
        """The document differs from the file it came from (or the starter text)."""
        return self.is_mounted and self.editor.text != self._saved_text

    # Diagnostics as you type.
    @on(TextArea.Changed, "#editor")
    def _changed(self) -> None:
        if self._validate_timer is not None:
            self._validate_timer.stop()
        self._validate_timer = self.set_timer(VALIDATE_DELAY, self._validate_now)
        self._schedule_preview()

    def _validate_now(self) -> None:
        self._generation += 1
        self.validate_document(self.editor.text, self._generation)

    @work(exclusive=True, group="validate", exit_on_error=False)
    async def validate_document(self, text: str, generation: int) -> None:
        # What was just submitted stays in the document: as written, it is no error.
        validation = await self.workbench.validate(text, allow_applied=True)
        if generation != self._generation:
            return  # typed on meanwhile; a newer validation is coming
        self.applied = validation.applied
        self.editor.set_diagnostics(validation.diagnostics)
        self._show_status()

    @on(TextArea.SelectionChanged, "#editor")
    def _moved(self) -> None:
        self._show_status()
        self._schedule_preview()

    # The graph preview.
    @property
    def preview(self) -> FlowPreview:
        return self.query_one("#preview", FlowPreview)

    def action_toggle_preview(self) -> None:
        preview = self.preview
        preview.display = not preview.display
        if preview.display:
            self.load_action_returns()
            self._preview_now()

    def _schedule_preview(self) -> None:
        if not self.preview.display:
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._preview_now)

    def _preview_now(self) -> None:
        """Draw the flow or flow_run statement under the cursor (or the nearest one above
        it) as the document parses now, nothing submitted."""
        document = self._parser.update(self.editor.text)
        offset = self._cursor_offset()
        flows = [s for s in document.statements if isinstance(s, FlowDecl | FlowRunDecl)]
        under = [s for s in flows if s.span.start <= offset <= s.span.end]
        above = [s for s in flows if s.span.start <= offset]
        candidates = under or above
        if not candidates:
            self.preview.show_nothing()
            return
        decl = candidates[-1]
        returns = dict(self._stored_returns)
        # The document's own actions are what will be submitted with the flow.
        returns.update(
            {
                a.name: tuple(r.name for r in a.returns)
                for a in document.statements
                if isinstance(a, ActionDecl)
            }
        )
        self.preview.show(decl, returns)

    def _cursor_offset(self) -> int:
        row, col = self.editor.cursor_location
        lines = self.editor.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + col

    @work(exclusive=True, group="preview-actions", exit_on_error=False)
    async def load_action_returns(self) -> None:
        try:
            actions = await self.workbench.list("action")
        except EchoerError as error:
            self.notify(f"graph preview: {error.message}", severity="warning")
            return
        self._stored_returns = {
            str(a["metadata"]["name"]): tuple(
                str(s) for s in (a.get("spec") or {}).get("return_states") or ()
            )
            for a in actions
        }
        if self.preview.display:
            self._preview_now()

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        if self.preview.display and (
            message.reset or any(c.kind == "action" for c in message.changes)
        ):
            self.load_action_returns()

    def _show_status(self) -> None:
        editor = self.editor
        row, col = editor.cursor_location
        mark = " [modified]" if self.modified else ""
        where = f"{self.path or 'untitled'}{mark}  {row + 1}:{col + 1}"
        errors = sum(1 for d in editor.diagnostics if d.severity == "error")
        warnings = len(editor.diagnostics) - errors
        counts = f"  {errors} error(s) {warnings} warning(s)" if editor.diagnostics else "  ✓"
        status = Text(where + counts)
        if self.applied:
            status.append(f"  {len(self.applied)} already applied", style="dim")
        diag = editor.diagnostic_at_cursor()
        if diag is not None:
            status.append("   " + str(diag), style="red" if diag.severity == "error" else "yellow")
        self.query_one("#editor-status", Static).update(status)

    # Submission.
    @on(FlowEditor.Submitted, "#editor")
    def _submitted(self, event: FlowEditor.Submitted) -> None:
        self.submit(event.statement)

    def submit(self, text: str) -> None:
        """Queue `text` (a selection may hold several statements) behind what was
        submitted before: a statement may need the one above it (a flow_run its
        action), so submissions run one at a time, in the order they were made."""
        self._submissions.put_nowait(text)

    @work(exclusive=True, group="submit", exit_on_error=False)
    async def run_submissions(self) -> None:
        """The one worker that runs submissions, for as long as the screen lives."""
        log = self.query_one("#replies", RichLog)
        while True:
            text = await self._submissions.get()
            for statement in statements_of(text):
                lines = statement.strip().splitlines()
                log.write(Text("> " + lines[0] + (" …" if len(lines) > 1 else ""), style="dim"))
                reply = await self.workbench.execute(statement)
                log.write(reply_text(reply))
                self.replies.append(reply)
            self._validate_now()

    def action_submit_all(self) -> None:
        """Submit every statement of the document, in order."""
        self.submit(self.editor.text)

    # Files.
    def action_open_file(self) -> None:
        from echoer_tui.screens.modals import PathModal

        self.app.push_screen(PathModal("Open FSL file", str(self.path or "")), self._open)

    def _open(self, path: str | None) -> None:
        if path:
            self.load_file(Path(path).expanduser())

    @work(exclusive=True, group="file", exit_on_error=False, thread=True)
    def load_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.app.call_from_thread(self.notify, f"cannot open {path}: {error}", severity="error")
            return
        self.app.call_from_thread(self._loaded, path, text)

    def _loaded(self, path: Path, text: str) -> None:
        self.path = path
        self._saved_text = text
        self.editor.load_text(text)
        self.notify(f"opened {path}")
        self._show_status()

    def action_save_file(self) -> None:
        from echoer_tui.screens.modals import PathModal

        self.app.push_screen(
            PathModal("Save FSL file as", str(self.path or "flows.fsl")), self._save
        )

    def _save(self, path: str | None) -> None:
        if path:
            self.save_file(Path(path).expanduser(), self.editor.text)

    @work(exclusive=True, group="file", exit_on_error=False, thread=True)
    def save_file(self, path: Path, text: str) -> None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            self.app.call_from_thread(self.notify, f"cannot save {path}: {error}", severity="error")
            return
        self.path = path
        self._saved_text = text
        self.app.call_from_thread(self.notify, f"saved {path}")
        self.app.call_from_thread(self._show_status)

    # Formatting.
    def action_format(self) -> None:
        try:
            formatted = format_text(self.editor.text)
        except EchoerError as error:
            self.notify(f"fmt: {error.message}", severity="error")
            return
        if formatted != self.editor.text:
            location = self.editor.cursor_location
            self.editor.replace(formatted, self.editor.document.start, self.editor.document.end)
            self.editor.move_cursor(location)

    def _completion_context(self) -> CompletionContext:
        editor = self.editor
        return completion_context(editor.text, self._cursor_offset())

    # Completion: the FSL package says what fits at the cursor; names come from the store.
    def completions(self) -> list[str]:
        """Keywords, action names, step names or states that fit the word at the cursor."""
        context = self._completion_context()
        pool: list[str]
        if context.kind == "action_name":
            pool = list(self.workbench.known_names("action"))
        elif context.kind == "step_name":
            pool = [*context.step_names, DONE]
        elif context.kind == "state_name":
            pool = list(context.state_names)
        elif context.kind == "arg_name":
            pool = list(context.param_names)
        else:
            pool = list(context.keywords)
        prefix = context.prefix.lower()
        return sorted({p for p in pool if p.lower().startswith(prefix) and p != context.prefix})

    def action_complete(self) -> None:
        options = self.query_one("#completion", OptionList)
        words = self.completions()
        if not words:
            self.notify("no completion here", timeout=1.5)
            return
        options.clear_options()
        options.add_options([Option(w, id=w) for w in words])
        options.display = True
        options.highlighted = 0
        options.focus()

    def action_close_completion(self) -> None:
        options = self.query_one("#completion", OptionList)
        if options.display:
            options.display = False
            self.editor.focus()

    @on(OptionList.OptionSelected, "#completion")
    def _completed(self, event: OptionList.OptionSelected) -> None:
        editor = self.editor
        row, col = editor.cursor_location
        start = col - len(self._completion_context().prefix)
        editor.replace(str(event.option.id), (row, start), (row, col))
        self.action_close_completion()
