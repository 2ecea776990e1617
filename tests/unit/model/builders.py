"""FSL syntax trees built by hand, so translation is tested apart from the parser.

Every node gets a span of its own (a distinct line), so a test can check that a
diagnostic points at exactly the node it names.
"""

from __future__ import annotations

import itertools

from echoer_tui.fsl.ast import (
    ActionDecl,
    ArgValue,
    Edge,
    FlowDecl,
    FlowRunDecl,
    Method,
    ParamDecl,
    ParamType,
    Span,
    StateDecl,
    StepDecl,
)

_lines = itertools.count(1)


def span() -> Span:
    line = next(_lines)
    return Span(line, 3, line, 9, line * 100, line * 100 + 6)


def action(
    name: str,
    params: dict[str, ParamType],
    returns: list[str],
    *,
    addr: str | None = None,
    method: Method = "http",
    capem: str | None = None,
) -> ActionDecl:
    return ActionDecl(
        name=name,
        addrs=(addr or f"{method}://127.0.0.1:1/x",),
        method=method,
        params=tuple(ParamDecl(n, t, span()) for n, t in params.items()),
        returns=tuple(StateDecl(s, span()) for s in returns),
        span=span(),
        name_span=span(),
        capem=capem,
        addr_span=span(),
        method_span=span(),
        capem_span=span(),
    )


def step(
    name: str,
    action_name: str,
    edges: str,
    args: dict[str, str | int] | None = None,
    kind: str = "step",
) -> StepDecl:
    """`edges` as in FSL without parentheses: "SUCCESS->D | FAIL->A" ("" for `()`)."""
    parsed = []
    for part in filter(None, (p.strip() for p in edges.split("|"))):
        state, _, target = (x.strip() for x in part.partition("->"))
        parsed.append(Edge(state, target or "done", span(), span()))
    return StepDecl(
        name=name,
        kind="deci" if kind == "deci" else "step",
        edges=tuple(parsed),
        action=action_name,
        args=tuple(ArgValue(k, v, span()) for k, v in (args or {}).items()),
        span=span(),
        name_span=span(),
        action_span=span(),
    )


def flow(name: str, *steps: StepDecl) -> FlowDecl:
    return FlowDecl(name, tuple(steps), span(), span())


def flow_run(name: str, *steps: StepDecl) -> FlowRunDecl:
    return FlowRunDecl(name, tuple(steps), span(), span())


def seed_actions() -> list[ActionDecl]:
    """The five actions of the README / upper_example.fss."""
    return [
        action(
            "ci", {"project": "str", "version": "str", "retry_count": "int"}, ["SUCCESS", "FAIL"]
        ),
        action(
            "approval", {"work_order": "str", "version": "int"}, ["AGREE", "REJECT", "NEXT", "FAIL"]
        ),
        action("deploy_1", {"project": "str", "version": "int"}, ["SUCCESS", "FAIL"]),
        action("approval_2", {"project": "str", "version": "int"}, ["AGREE", "REJECT", "FAIL"]),
        action("notify", {"project": "str", "version": "int"}, ["AGREE", "REJECT", "FAIL"]),
    ]


def seed_flow() -> FlowDecl:
    return flow(
        "my_flow",
        step("A", "ci", "SUCCESS->D | FAIL->A"),
        step("D", "approval", "AGREE->B | REJECT->C | NEXT->E | FAIL->D", kind="deci"),
        step("B", "deploy_1", "FAIL->B | SUCCESS->C"),
        step("E", "approval_2", "REJECT->C | AGREE->B | FAIL->E"),
        step("C", "notify", "FAIL->C"),
    )
