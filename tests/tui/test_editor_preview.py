"""The editor's graph preview: the flow under the cursor drawn as it is typed, before
it is submitted, with its lint findings marked on the steps."""

from __future__ import annotations

from echoer_tui.screens.editor import EditorScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph
from echoer_tui.widgets.flow_preview import FlowPreview

from .conftest import opened_on, until

TYPED = """\
action ci
    addr = "http://127.0.0.1:9/ci";
    method = http;
    return = (SUCCESS | FAIL);
action_end
flow nightly
    step A => (SUCCESS->done) { action = "ci"; };
    step B => (SUCCESS->done | FAIL->done) { action = "ci"; };
flow_end
"""


def preview_text(screen: EditorScreen) -> str:
    return "\n".join(screen.query_one("#preview-graph", FlowGraph).text_lines())


async def test_typing_a_flow_draws_it_with_its_unreachable_step_marked(
    workbench: Workbench,
) -> None:
    async with opened_on(workbench, EditorScreen) as (_app, pilot, screen):
        preview = screen.query_one("#preview", FlowPreview)
        await pilot.press("f9")
        await until(pilot, lambda: preview.display and preview.shown == "")
        for line in TYPED.splitlines():
            screen.editor.insert(line)  # typed a line at a time, each an edit
            await pilot.press("enter")
        await until(pilot, lambda: preview.shown == "flow nightly")
        findings = {f.step: f for f in preview.findings}
        assert set(findings) == {"A", "B"}
        assert findings["B"].note == "unreachable"
        # A's action may answer FAIL, which no edge of A handles.
        assert findings["A"].note == "unhandled FAIL"
        # Drawn on B's box (its status line), before anything was submitted.
        assert "unreachable" in preview_text(screen)
        assert await workbench.list("flow") == []
        # Fixing the flow in the editor redraws the preview without the findings.
        screen.editor.replace("(SUCCESS->B | FAIL->done)", (6, 14), (6, 29))
        await until(pilot, lambda: not preview.findings)
        await pilot.press("f9")
        assert not preview.display
