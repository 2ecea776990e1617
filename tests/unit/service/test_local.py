"""LocalWorkbench end to end over a MemoryStore and the real engine.

Resources are seeded through the real translation (hand-built trees), so these tests
do not depend on the parser; the FSL round trips live in test_local_fsl.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from echoer_tui.engine import Engine
from echoer_tui.errors import ConflictError, NotFoundError, TranslationError
from echoer_tui.model.translate import Catalog, translate
from echoer_tui.service.facade import RunArgs
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import open_store
from echoer_tui.storage.memory import MemoryStore
from tests.unit.model.builders import action, flow, flow_run, seed_actions, seed_flow, step
from tests.unit.service.conftest import ActionService


async def seed(bench: LocalWorkbench, *statements: Any) -> None:
    result = translate(list(statements), Catalog())
    assert result.ok, result.diagnostics
    for resource in result.resources:
        await bench._repo.put(resource)


async def wait_for_state(bench: LocalWorkbench, run: str, state: str) -> dict[str, Any]:
    """The run once its current_state is `state` (waits on the store's change stream)."""

    async def follow() -> dict[str, Any]:
        since = bench._repo.seq
        current = await bench.get("flowrun", run)
        if current["spec"]["current_state"] == state:
            return current
        async for change in bench.watch(["flowrun"], since):
            resource = change.resource
            if change.name == run and resource and resource["spec"]["current_state"] == state:
                return resource
        raise AssertionError("watch ended")

    return await asyncio.wait_for(follow(), timeout=10)


async def test_get_flow_prints_the_original_json(workbench: LocalWorkbench) -> None:
    await seed(workbench, *seed_actions(), seed_flow())
    reply = await workbench.execute("get flow my_flow")
    assert reply.status == "result"
    assert reply.render().startswith('R| {"metadata":{"kind":"flow","name":"my_flow","uuid":"')
    assert '"spec":{"steps":[{"action_name":"ci","returns":{"FAIL":"A","SUCCESS":"D"},' in (
        reply.text
    )
    assert json.loads(reply.text) == reply.data
    assert reply.data["metadata"]["version"] == 1


async def test_list_is_a_table(workbench: LocalWorkbench) -> None:
    await seed(workbench, *seed_actions())
    reply = await workbench.execute("LIST actions/")
    assert reply.status == "result"
    lines = reply.text.splitlines()
    assert [cell.strip() for cell in lines[1].split("|")[1:-1]] == [
        "NAME",
        "KIND",
        "UUID",
        "VERSION",
    ]
    assert all(line.split("|")[2].strip() == "action" for line in lines[3:-1])
    names = [line.split("|")[1].strip() for line in lines[3:-1]]
    assert names == ["approval", "approval_2", "ci", "deploy_1", "notify"]
    assert [r["metadata"]["name"] for r in reply.data] == names


async def test_unknown_things_are_errors_not_tracebacks(workbench: LocalWorkbench) -> None:
    cases = {
        "get flow nope": "flow 'nope' does not exist",
        "get widget x": "unknown kind 'widget'",
        "lsit flow": "did you mean list?",
        "get step r.A": "flowrun 'r' does not exist",
        "pause flowrun ghost": "ghost",
        "export flow nope dot": "does not exist",
        "del action nope": "action 'nope' does not exist",
        "events nope": "flowrun 'nope' does not exist",
        "load /dev/urandom": "not a regular file",
    }
    for statement, words in cases.items():
        reply = await workbench.execute(statement)
        assert reply.status == "error", statement
        assert words in reply.text, (statement, reply.text)
        assert reply.render().startswith("E| ")


async def test_help_and_watch_and_exit_answer(workbench: LocalWorkbench) -> None:
    reply = await workbench.execute("help")
    assert reply.status == "result" and "rerun flowrun <name> from <step>" in reply.text
    assert (await workbench.execute("help ack")).text.startswith("ack <flowrun>.<step>")
    assert "exit leaves the shell" in (await workbench.execute("exit")).text


async def test_deleting_an_action_in_use_is_refused(workbench: LocalWorkbench) -> None:
    await seed(workbench, *seed_actions(), seed_flow())
    reply = await workbench.execute("del action ci")
    assert reply.status == "error"
    assert reply.text == (
        "action 'ci' is still used by flow my_flow; delete those (or let the runs finish) first"
    )
    with pytest.raises(ConflictError):
        await workbench.delete("action", "approval")
    assert (await workbench.execute("del flow my_flow")).render() == "OK"
    assert (await workbench.execute("del action ci")).render() == "OK"
    with pytest.raises(NotFoundError):
        await workbench.get("action", "ci")


async def test_known_names_follow_the_store(workbench: LocalWorkbench) -> None:
    await seed(workbench, action("a1", {}, ["OK"]))

    async def until(names: list[str]) -> None:
        while list(workbench.known_names("action")) != names:
            await asyncio.sleep(0)  # yield to the watcher task; bounded by wait_for

    await asyncio.wait_for(until(["a1"]), timeout=5)
    await workbench.delete("action", "a1")
    await asyncio.wait_for(until([]), timeout=5)
    assert workbench.known_names("flow_runs") == []


async def test_export_commands(workbench: LocalWorkbench) -> None:
    await seed(workbench, *seed_actions(), seed_flow())
    dot = await workbench.execute("export flow my_flow dot")
    assert dot.status == "result" and dot.text.startswith('digraph "my_flow" {')
    mermaid = await workbench.execute("export flow my_flow mermaid")
    assert mermaid.text.splitlines()[0] == "flowchart TD"


async def test_load_missing_file(workbench: LocalWorkbench, tmp_path: Path) -> None:
    reply = await workbench.execute(f"load {tmp_path / 'nope.fsl'}")
    assert reply.status == "error"
    assert "load: " in reply.text and "no such file" in reply.text and "nope.fsl" in reply.text
    (tmp_path / "dir.fsl").mkdir()
    assert "is a directory" in (await workbench.execute(f"load {tmp_path / 'dir.fsl'}")).text


async def test_run_flow_type_checks_its_args(workbench: LocalWorkbench) -> None:
    await seed(
        workbench,
        action("build", {"project": "str", "n": "int"}, ["OK", "KO"]),
        flow("pipe", step("B", "build", "OK->done | KO->B")),
    )
    reply = await workbench.execute('run flow pipe as p1 with (project="x", n="two")')
    assert reply.status == "error"
    assert 'arg "n" is str \'two\', but action "build" declares it int' in reply.text
    with pytest.raises(TranslationError, match='arg "n" \\(int\\)'):
        await workbench.run_flow("pipe", "p1", RunArgs({"project": "x"}))
    with pytest.raises(NotFoundError):
        await workbench.run_flow("nope", "p1", RunArgs({}))
    assert await workbench.count("flowrun") == 0


async def test_a_run_end_to_end_with_manual_acks(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    """run flow -> dispatch to a real loopback service -> ack by hand -> done."""
    await seed(
        workbench,
        action(
            "build",
            {"project": "str", "n": "int"},
            ["OK", "KO"],
            addr=f"{action_service.url}/build",
        ),
        action(
            "approve", {"project": "str"}, ["AGREE", "REJECT"], addr=f"{action_service.url}/approve"
        ),
        flow(
            "pipe",
            step("B", "build", "OK->P | KO->B"),
            step("P", "approve", "AGREE->done | REJECT->B", kind="deci"),
        ),
    )
    reply = await workbench.execute('run flow pipe as p1 with (project="demo", n=2)')
    assert reply.render() == "OK", reply.text

    first = await action_service.next_dispatch()
    assert first["_path"] == "build"
    assert first["project"] == "demo" and first["n"] == 2
    assert first["flowId"] == "p1" and first["stepName"] == "B"
    assert first["ackStates"] == ["OK", "KO"]
    assert (await workbench.execute("list flowrun")).text.count("p1") == 1

    assert (await workbench.execute("ack p1.B OK built")).render() == "OK"
    second = await action_service.next_dispatch()
    assert second["stepName"] == "P" and second["project"] == "demo" and "n" not in second

    assert (await workbench.execute("pause flowrun p1")).render() == "OK"
    assert (await wait_for_state(workbench, "p1", "suspend"))["spec"]["current_state"] == "suspend"
    assert (await workbench.execute("continue flowrun p1")).render() == "OK"
    assert (await workbench.execute('ack p1.P AGREE "fine by me"')).render() == "OK"
    done = await wait_for_state(workbench, "p1", "done")
    assert done["spec"]["flow_name"] == "pipe"

    attempts = await workbench.attempts("p1")
    assert [a["spec"]["step_name"] for a in attempts] == ["B", "P"]
    events = await workbench.execute("events p1")
    assert events.status == "result" and "p1" in events.text and events.data
    step_reply = await workbench.execute("get step p1.B")
    assert json.loads(step_reply.text)["spec"]["action_run"]["action_params"] == {
        "project": "demo",
        "n": 2,
    }
    mermaid = await workbench.execute("export flowrun p1 mermaid")
    assert "done_((done))" in mermaid.text

    # A run that is over does not hold its actions; deleting it goes through the engine.
    assert (await workbench.execute("del flowrun p1")).render() == "OK"
    assert await workbench.attempts("p1") == []
    assert await workbench.events("p1") == []


async def test_a_live_run_holds_its_action(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    await seed(
        workbench,
        action("a", {}, ["OK"], addr=f"{action_service.url}/a"),
        flow_run("r1", step("S", "a", "OK->done")),
    )
    await workbench._engine.launch("r1")
    await action_service.next_dispatch()
    reply = await workbench.execute("del action a")
    assert reply.status == "error"
    assert "flowrun r1 (S)" in reply.text
    [attempt] = await workbench.attempts("r1")
    refused = await workbench.execute(f"del step {attempt['metadata']['name']}")
    assert refused.status == "error" and "belongs to flowrun r1, which is still S" in refused.text
    assert (await workbench.execute("stop flowrun r1")).render() == "OK"
    await wait_for_state(workbench, "r1", "stopped")
    assert (await workbench.execute("del action a")).render() == "OK"


async def test_with_the_durable_store(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "data")
    bench = LocalWorkbench(
        store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x", owns_store=True
    )
    await bench.start()
    try:
        await seed(bench, *seed_actions(), seed_flow())
        assert (await bench.execute("del action ci")).status == "error"
        assert (await bench.execute("del action deploy_1")).status == "error"
    finally:
        await bench.close()
    store = await open_store(tmp_path / "data")
    bench = LocalWorkbench(
        store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x", owns_store=True
    )
    await bench.start()
    try:
        assert list(bench.known_names("action")) == [
            "approval",
            "approval_2",
            "ci",
            "deploy_1",
            "notify",
        ]
        got = await bench.execute("get flow my_flow")
        assert got.render().startswith('R| {"metadata":{"kind":"flow","name":"my_flow",')
    finally:
        await bench.close()


async def test_watch_answers_the_state_and_a_hint(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    await seed(
        workbench,
        action("a", {}, ["OK"], addr=f"{action_service.url}/a"),
        flow_run("r2", step("S", "a", "OK->done")),
    )
    reply = await workbench.execute("watch flowrun r2")
    assert reply.status == "result"
    assert reply.text.startswith("flowrun r2 is ready: (no transitions yet)")
    assert "GET /watch" in reply.text


async def test_seq_is_the_last_committed_change_and_watch_from_it_skips_the_backlog(
    workbench: LocalWorkbench, store: MemoryStore
) -> None:
    before = workbench.seq
    await workbench.apply_fsl(
        'action a\n addr = "http://127.0.0.1:1/a";\n method = http;\n'
        " args = (str p);\n return = (OK);\naction_end"
    )
    assert workbench.seq == store.seq > before
    since = workbench.seq
    changes = workbench.watch(["action"], since)
    next_change = asyncio.ensure_future(anext(changes))
    await workbench.apply_fsl(
        'action b\n addr = "http://127.0.0.1:1/b";\n method = http;\n'
        " args = (str p);\n return = (OK);\naction_end"
    )
    change = await asyncio.wait_for(next_change, 10)
    await changes.aclose()  # type: ignore[attr-defined]
    assert change.name == "b" and change.seq > since


async def test_shell_tables_fit_the_width_they_are_given(workbench: LocalWorkbench) -> None:
    long_name = "an_action_with_a_name_far_longer_than_any_terminal_" + "x" * 100
    await seed(workbench, action(long_name, {}, ["OK"]))
    default = await workbench.execute("list action")
    assert default.status == "result"
    assert max(len(line) for line in default.text.splitlines()) == 120
    narrow = await workbench.execute("list action", width=60)
    assert {len(line) for line in narrow.text.splitlines()} == {60}
    assert "| an_action_with_a" in narrow.text and "…" in narrow.text
    assert narrow.data and narrow.data[0]["metadata"]["name"] == long_name  # data is whole
