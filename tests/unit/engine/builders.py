"""Resources for engine tests, built with the model dataclasses (no FSL translator needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from echoer_tui.model.resources import (
    ActionRun,
    ActionSpec,
    FlowRunSpec,
    Metadata,
    Resource,
    StepSpec,
)
from echoer_tui.storage.repository import Query, Repository


def action(
    name: str,
    endpoints: list[str],
    params: Mapping[str, int],
    states: list[str],
    *,
    retry: int = 3,
    timeout: int = 0,
) -> dict[str, Any]:
    spec = ActionSpec(
        endpoints=endpoints, params=dict(params), return_states=states, retry=retry, timeout=timeout
    )
    return Resource(Metadata(name, "action"), spec).to_dict()


def step(
    name: str,
    action_name: str,
    args: Mapping[str, Any],
    returns: Mapping[str, str],
    kind: str = "step",
) -> dict[str, Any]:
    spec = StepSpec(
        flow_id="",
        flow_run_uuid="",
        action_run=ActionRun(action_name, dict(args), dict(returns)),
        type=kind,
        step_name=name,
    )
    return Resource(Metadata(name, "step"), spec).to_dict()


def flowrun(name: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return Resource(Metadata(name, "flowrun"), FlowRunSpec(steps=steps)).to_dict()


def readme_actions(base: str) -> list[dict[str, Any]]:
    """The five actions of the original README, served under `base`."""
    return [
        action(
            "ci",
            [f"{base}/ci"],
            {"project": 0, "version": 0, "retry_count": 1},
            ["SUCCESS", "FAIL"],
        ),
        action(
            "approval",
            [f"{base}/approval"],
            {"work_order": 0, "version": 1},
            ["AGREE", "REJECT", "NEXT", "FAIL"],
        ),
        action("deploy_1", [f"{base}/deploy"], {"project": 0, "version": 1}, ["SUCCESS", "FAIL"]),
        action(
            "approval_2",
            [f"{base}/approval2"],
            {"project": 0, "version": 1},
            ["AGREE", "REJECT", "FAIL"],
        ),
        action("notify", [f"{base}/notify"], {"project": 0, "version": 1}, ["SUCCESS", "FAIL"]),
    ]


def readme_run(name: str = "my_flow_run") -> dict[str, Any]:
    """`flow_run my_flow_run` of the original README."""
    return flowrun(
        name,
        [
            step(
                "A",
                "ci",
                {
                    "project": "https://github.com/yametech/compass.git",
                    "version": "v0.1.0",
                    "retry_count": 10,
                },
                {"SUCCESS": "D", "FAIL": "A"},
            ),
            step(
                "D",
                "approval",
                {"work_order": "nz00001", "version": 12343},
                {"AGREE": "B", "REJECT": "C", "NEXT": "E", "FAIL": "D"},
            ),
            step(
                "B",
                "deploy_1",
                {"project": "nz00001", "version": 12343},
                {"FAIL": "B", "SUCCESS": "C"},
            ),
            step(
                "E",
                "approval_2",
                {"project": "nz00001", "version": 12343},
                {"REJECT": "C", "AGREE": "B", "FAIL": "E"},
            ),
            step(
                "C",
                "notify",
                {"project": "nz00001", "version": 12343},
                {"SUCCESS": "done", "FAIL": "C"},
            ),
        ],
    )


async def store_all(repo: Repository, resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        await repo.put(resource)


async def wait_resource(
    repo: Repository,
    kind: str,
    name: str,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = 5.0,
) -> dict[str, Any]:
    """The resource once `predicate` holds, waiting on the store's change stream (never sleeping).

    The stream is opened from the sequence read before the first look, so a change that
    lands between the look and the watch is still seen.
    """
    since = repo.seq
    current = await repo.get(kind, name)
    if current is not None and predicate(current):
        return current
    async with asyncio.timeout(timeout):
        async for change in repo.watch([kind], since):
            if change.name == name and change.resource is not None and predicate(change.resource):
                return change.resource
    raise AssertionError("unreachable")


async def wait_run(
    repo: Repository, name: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """The run once `predicate` holds, waiting on the store's change stream (never sleeping)."""
    return await wait_resource(repo, "flowrun", name, predicate, timeout)


def state_is(*states: str) -> Callable[[dict[str, Any]], bool]:
    return lambda run: run["spec"]["current_state"] in states


async def attempts(repo: Repository, run: str) -> list[dict[str, Any]]:
    found = await repo.list(Query("step", labels={"flowrun": run}))
    return sorted(found, key=lambda a: a["spec"]["attempt"])


async def events(repo: Repository, run: str) -> list[dict[str, Any]]:
    return await repo.list(Query("event", labels={"flowrun": run}))


async def wait_attempt(
    repo: Repository, name: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """The step attempt once `predicate` holds (waiting on the change stream)."""
    return await wait_resource(repo, "step", name, predicate, timeout)


def retried(n: int) -> Callable[[dict[str, Any]], bool]:
    return lambda attempt: attempt["spec"]["retry_count"] >= n


def dispatched(attempt: dict[str, Any]) -> bool:
    return bool(attempt["spec"]["dispatched_time"])


async def wait_gone(repo: Repository, kind: str, name: str, timeout: float = 5.0) -> None:
    """Until kind/name is deleted (waiting on the change stream)."""
    since = repo.seq
    if await repo.get(kind, name) is None:
        return
    async with asyncio.timeout(timeout):
        async for change in repo.watch([kind], since):
            if change.name == name and change.op == "delete":
                return
