"""How responsive the workbench is, each figure next to an empty Textual app.

`python -m bench.bench_tui` drives the real app (`make_app`) headless at 120×36 over a
`LocalWorkbench` on a `MemoryStore` with a real engine (every run is `done`, so the
engine has nothing to do) and prints one table:

1. Resource browser: from switching to the Resources screen to the first frame that
   shows its list with 10,000 flow runs. Target: < 100 ms more than an empty app takes
   from pushing an empty screen to its first frame.
2. Graph of a 200-step flow run: from handing the widget a live update (the run moved
   on; the layout is kept, cells are restyled) to the next frame. Target: < 50 ms more
   than an empty app takes from `refresh()` to its frame. The first draw (layout +
   rasterize) is shown too, without a target: it happens once per definition.
3. Editor on a 5,000-line FSL file: from `pilot.press` of a character to the first
   frame showing it (highlighting included). Target: < 50 ms more than an empty app
   takes from a key to a repaint. The diagnostics that follow are shown without a
   target: from the end of the typing pause (`VALIDATE_DELAY`) to the frame with them.

A "frame" is the moment the screen hands its update to the app for the terminal; the
headless driver writes nothing, so the bench renders the update to terminal text itself
to keep that cost in. Figures are the best and median of a few repeats, wall clock
(time.perf_counter): this is a benchmark, not a timed test.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, TextArea

from bench.bench_parse import document_of_lines
from echoer_tui.app import make_app
from echoer_tui.engine import Engine
from echoer_tui.model.export import Graph
from echoer_tui.model.resources import (
    DONE,
    ActionRun,
    FlowRunSpec,
    Metadata,
    Resource,
    StepSpec,
)
from echoer_tui.runtime import settle_heap
from echoer_tui.screens.editor import VALIDATE_DELAY, EditorScreen
from echoer_tui.screens.graph import GraphScreen, step_views
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage.memory import MemoryStore
from echoer_tui.storage.repository import Put
from echoer_tui.widgets.flow_graph import FlowGraph
from echoer_tui.widgets.fsl_editor import FlowEditor
from echoer_tui.widgets.resource_list import ResourceList

SIZE = (120, 36)
RUNS = 10_000
GRAPH_STEPS = 200
EDITOR_LINES = 5_000
REPEATS = 5
APP_REPEATS = 5
"""Mounting the browser happens once per app, so each repeat is a new app."""
WAIT = 30.0
"""Longest any one measurement may take before the bench gives up."""
API_URL = "http://127.0.0.1:0"
"""Shown in the footer only; the bench serves no API."""

TARGET_BROWSER_MS = 100.0
TARGET_GRAPH_MS = 50.0
TARGET_KEY_MS = 50.0


# --- frames ----------------------------------------------------------------------------
@dataclass(eq=False)
class Frames:
    """Watches an app's frames: resolves a waiter at the first frame where its test holds."""

    app: App[Any]
    waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = field(default_factory=list)

    def install(self) -> None:
        display = self.app._display

        def timed_display(screen: Screen[Any], renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            # Headless writes nothing: produce the terminal text a real driver would.
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(self.app.console)
            now = time.perf_counter()
            for waiter in list(self.waiters):
                test, future = waiter
                if not future.done() and test():
                    future.set_result(now)
                    self.waiters.remove(waiter)

        self.app._display = timed_display  # type: ignore[method-assign]

    def frame_where(self, test: Callable[[], bool]) -> asyncio.Future[float]:
        """A future of the perf_counter time of the first frame from now where `test()`."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((test, future))
        return future


async def timed(frames: Frames, test: Callable[[], bool], act: Callable[[], Any]) -> float:
    """Milliseconds from calling `act()` (awaited if it returns an awaitable) to the first
    frame where `test()` holds."""
    # Each figure starts from the same heap: without this, the cyclic garbage of the
    # previous repeat's app (a whole DOM) was collected inside the next window.
    gc.collect()
    frame = frames.frame_where(test)
    start = time.perf_counter()
    result = act()
    if isinstance(result, Awaitable):
        await result
    end = await asyncio.wait_for(frame, WAIT)
    return (end - start) * 1000


@asynccontextmanager
async def running(app: App[Any]) -> AsyncIterator[tuple[Any, Frames]]:
    async with app.run_test(size=SIZE) as pilot:
        frames = Frames(app)
        frames.install()
        await pilot.pause()
        yield pilot, frames


# --- the empty app ---------------------------------------------------------------------
class EmptyApp(App[None]):
    """Nothing mounted; a key only asks for a repaint (the least a keystroke can cost)."""

    def on_key(self) -> None:
        self.screen.refresh()


@dataclass(frozen=True)
class Baseline:
    push_ms: list[float]
    refresh_ms: list[float]
    key_ms: list[float]


async def measure_empty() -> Baseline:
    push: list[float] = []
    refresh: list[float] = []
    key: list[float] = []
    for _ in range(APP_REPEATS):
        await empty_once(push, refresh, key)
    return Baseline(push, refresh, key)


async def empty_once(push: list[float], refresh: list[float], key: list[float]) -> None:
    app = EmptyApp()
    async with running(app) as (pilot, frames):
        screen: Screen[None] = Screen()
        push.append(
            await timed(frames, lambda: app.screen is screen, lambda: app.push_screen(screen))
        )
        for _ in range(REPEATS):
            refresh.append(await timed(frames, lambda: True, app.screen.refresh))
            await pilot.pause()
            key.append(await timed(frames, lambda: True, lambda: pilot.press("x")))
            await pilot.pause()


# --- the workbench over a store --------------------------------------------------------
def step_def(run: str, run_uuid: str, step: str, returns: dict[str, str]) -> dict[str, Any]:
    spec = StepSpec(run, run_uuid, ActionRun("ci", {"project": "echoer"}, returns))
    spec.step_name = step
    return Resource(Metadata(step, "step"), spec).to_dict()


def finished_run(name: str, steps: list[tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """A flow run in state `done` (the engine leaves it alone), with its step definitions."""
    run_uuid = f"uuid-{name}"
    spec = FlowRunSpec(
        steps=[step_def(name, run_uuid, step, returns) for step, returns in steps],
        history_states=[step for step, _ in steps] + [DONE],
        last_state=steps[-1][0],
        current_state=DONE,
        attempts=len(steps),
    )
    return Resource(Metadata(name, "flowrun", uuid=run_uuid), spec).to_dict()


def chain(count: int) -> list[tuple[str, dict[str, str]]]:
    """`count` steps in a line, each with a self-loop on FAIL and every tenth with a
    back-edge, like a real pipeline with retries and a rework loop."""
    steps = []
    for index in range(count):
        returns = {"SUCCESS": f"S{index + 1}" if index + 1 < count else DONE, "FAIL": f"S{index}"}
        if index % 10 == 9:
            returns["REWORK"] = f"S{index - 5}"
        steps.append((f"S{index}", returns))
    return steps


def attempt(run: str, step: str, number: int, state: str) -> dict[str, Any]:
    spec = StepSpec(run, f"uuid-{run}", ActionRun("ci"), response={"state": state})
    spec.step_name, spec.attempt = step, number
    return Resource(Metadata(f"{run}.{step}.{number}", "step"), spec).to_dict()


@asynccontextmanager
async def workbench_over(resources: list[dict[str, Any]]) -> AsyncIterator[LocalWorkbench]:
    store = MemoryStore()
    if resources:
        await store.commit([Put(r) for r in resources])
    settle_heap()  # as `echoer` does once its store is open (runtime.embedded)
    engine = Engine(store, ack_url=f"{API_URL}/step")
    workbench = LocalWorkbench(store, engine, API_URL)
    await workbench.start()
    try:
        yield workbench
    finally:
        await workbench.close()
        await engine.close()
        await store.close()


# --- 1. the resource browser -----------------------------------------------------------
@dataclass(frozen=True)
class BrowserFigures:
    mount_ms: list[float]
    summaries_ms: list[float]
    """`workbench.summaries("flowrun")` alone: the part of the mount that is the store's."""


async def measure_browser() -> BrowserFigures:
    runs = [finished_run(f"run-{i:05d}", chain(3)) for i in range(RUNS)]
    out, listing = [], []
    async with workbench_over(runs) as workbench:
        for _ in range(APP_REPEATS):
            start = time.perf_counter()
            await workbench.summaries("flowrun")
            listing.append((time.perf_counter() - start) * 1000)
        for _ in range(APP_REPEATS):
            out.append(await browser_once(workbench))
    return BrowserFigures(out, listing)


async def browser_once(workbench: LocalWorkbench) -> float:
    app = make_app(workbench)
    async with running(app) as (_pilot, frames):
        assert isinstance(app.screen, EditorScreen)

        def shown() -> bool:
            screen = app.screen
            if not isinstance(screen, ResourcesScreen):
                return False
            return screen.query_one("#table", ResourceList).row_count == RUNS

        return await timed(frames, shown, lambda: app.switch_mode("resources"))


# --- 2. the graph ----------------------------------------------------------------------
@dataclass(frozen=True)
class GraphFigures:
    first_ms: list[float]
    redraw_ms: list[float]


async def measure_graph() -> GraphFigures:
    name = "big"
    steps = chain(GRAPH_STEPS)
    run = finished_run(name, steps)
    # Mid-run: half the steps done (some twice), the next one waiting.
    history = [attempt(name, f"S{i}", i, "SUCCESS") for i in range(GRAPH_STEPS // 2)]
    first, redraw = [], []
    async with workbench_over([run]) as workbench:
        app = make_app(workbench, initial_run=name)
        async with running(app) as (pilot, frames):
            screen = app.screen
            assert isinstance(screen, GraphScreen)
            widget = screen.query_one("#graph", FlowGraph)
            deadline = time.perf_counter() + WAIT
            while widget.graph_layout is None and time.perf_counter() < deadline:
                await pilot.pause(0.01)
            assert widget.graph_layout is not None, "the graph never showed the run"

            def draw(current: int, relayout: bool) -> None:
                live = dict(run)
                live["spec"] = dict(run["spec"], current_state=f"S{current}")
                attempts = [*history[:current], attempt(name, f"S{current}", current, "")]
                if relayout:
                    widget.clear()
                views, taken = step_views(live, attempts)
                widget.show(Graph.from_resource(live), views, taken)

            for repeat in range(REPEATS):
                first.append(await timed(frames, lambda: True, lambda: draw(50, True)))
                await pilot.pause()
                current = 60 + repeat
                redraw.append(await timed(frames, lambda: True, lambda c=current: draw(c, False)))
                await pilot.pause()
    return GraphFigures(first, redraw)


# --- 3. the editor ---------------------------------------------------------------------
@dataclass(frozen=True)
class EditorFigures:
    key_ms: list[float]
    diagnostics_ms: list[float]
    lines: int


async def measure_editor() -> EditorFigures:
    text = document_of_lines(EDITOR_LINES)
    key, diagnostics = [], []
    async with workbench_over([]) as workbench:
        app = make_app(workbench)
        async with running(app) as (pilot, frames):
            screen = app.screen
            assert isinstance(screen, EditorScreen)
            editor = screen.query_one("#editor", FlowEditor)
            editor.load_text(text)
            # A line in the middle of a step, on screen, cursor at its end.
            row = len(editor.document.lines) // 2
            editor.move_cursor((row, len(editor.document.get_line(row))))
            editor.scroll_cursor_visible(center=True, animate=False)
            await pilot.pause(VALIDATE_DELAY + 0.5)

            validating: dict[str, float] = {}
            diagnosed = asyncio.Event()
            set_diagnostics = editor.set_diagnostics
            validate_now = screen._validate_now

            def timed_validate() -> None:
                validating["start"] = time.perf_counter()
                validate_now()

            def timed_set(found: Any) -> None:
                set_diagnostics(found)
                diagnosed.set()

            screen._validate_now = timed_validate  # type: ignore[method-assign]
            editor.set_diagnostics = timed_set  # type: ignore[method-assign]

            for _ in range(REPEATS):
                before = editor.document.get_line(row)
                diagnosed.clear()

                def typed(expected: str = before + "x") -> bool:
                    return editor.document.get_line(row) == expected

                key.append(await timed(frames, typed, lambda: pilot.press("x")))
                # The diagnostics of that keystroke: the frame after they arrive.
                frame = frames.frame_where(diagnosed.is_set)
                end = await asyncio.wait_for(frame, WAIT)
                diagnostics.append((end - validating["start"]) * 1000)
                await pilot.pause()
    return EditorFigures(key, diagnostics, text.count("\n"))


# --- the table -------------------------------------------------------------------------
def fmt(values: list[float]) -> str:
    return f"{min(values):8.1f} {statistics.median(values):8.1f}"


def row(label: str, values: list[float], base: list[float] | None, target: float | None) -> str:
    best_over = min(values) - min(base) if base else None
    median_over = statistics.median(values) - statistics.median(base) if base else None
    over = f"{best_over:+8.1f} {median_over:+8.1f}" if best_over is not None else " " * 17
    if target is None or median_over is None:
        verdict = "(info)"
    else:
        verdict = f"< {target:.0f}  {'PASS' if median_over < target else 'FAIL'}"
    return f"{label:<44} {fmt(values)}  {over}  {verdict}"


async def run_all() -> list[str]:
    # Blinking cursors would paint frames of their own; the tests switch them off too.
    TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    base = await measure_empty()
    browser = await measure_browser()
    graph = await measure_graph()
    editor = await measure_editor()
    header = f"{'figure (ms)':<44} {'best':>8} {'median':>8}  {'+best':>8} {'+median':>8}  target"
    return [
        header,
        "-" * len(header),
        row("empty app: push screen -> frame", base.push_ms, None, None),
        row("empty app: refresh() -> frame", base.refresh_ms, None, None),
        row("empty app: key -> frame", base.key_ms, None, None),
        row(
            f"1. browser, {RUNS:,} runs: switch -> rows shown",
            browser.mount_ms,
            base.push_ms,
            TARGET_BROWSER_MS,
        ),
        row("   of which workbench.summaries('flowrun')", browser.summaries_ms, None, None),
        row(
            f"2. graph, {GRAPH_STEPS} steps: live redraw -> frame",
            graph.redraw_ms,
            base.refresh_ms,
            TARGET_GRAPH_MS,
        ),
        row(f"   graph, {GRAPH_STEPS} steps: layout + draw -> frame", graph.first_ms, None, None),
        row(
            f"3. editor, {editor.lines:,} lines: key -> frame",
            editor.key_ms,
            base.key_ms,
            TARGET_KEY_MS,
        ),
        row(
            f"   editor: diagnostics after {VALIDATE_DELAY * 1000:.0f} ms pause -> frame",
            editor.diagnostics_ms,
            None,
            None,
        ),
    ]


def main() -> None:
    start = time.perf_counter()
    lines = asyncio.run(run_all())
    print(f"Textual workbench at {SIZE[0]}x{SIZE[1]}, headless; '+' = more than the empty app")
    for line in lines:
        print(line)
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
