"""Driving runs over HTTP: the wire-protocol ack (`POST /step`), run operations, `run flow`.

`POST /step` is what existing echoer action services call; its body is checked for
shape here and handed to the engine, which decides what the ack means (and answers
4xx naming the field for an unknown uuid or an undeclared state).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from echoer_tui.api.body import (
    ACK_BODY,
    MANUAL_ACK_BODY,
    RERUN_BODY,
    RUN_FLOW_BODY,
    TEXT,
    obj,
)
from echoer_tui.api.routing import ApiContext, Endpoint, JsonResponse, path_param
from echoer_tui.api.schemas import OBJECT, RESOURCE
from echoer_tui.errors import NoEngineError, NotFoundError
from echoer_tui.service.facade import RunArgs

RUN_OPERATIONS = ("pause", "continue", "stop", "rerun", "ack", "break", "unbreak")
"""What `POST /flowrun/{name}/<operation>` can do."""

BREAKPOINT_BODY = obj({"step": {**TEXT, "description": "step the run holds before"}}, ("step",))


def run_endpoints(ctx: ApiContext) -> list[Endpoint]:
    wb = ctx.workbench

    async def ack_step(request: Request) -> Response:
        body = await ctx.body(request, ACK_BODY)
        if ctx.engine_ack is None:
            raise NoEngineError("this server runs no engine; it cannot take acks")
        return JsonResponse(await ctx.engine_ack(body))

    async def pause(request: Request) -> Response:
        return JsonResponse(await wb.pause(path_param(request, "name")))

    async def resume(request: Request) -> Response:
        return JsonResponse(await wb.resume(path_param(request, "name")))

    async def stop(request: Request) -> Response:
        return JsonResponse(await wb.stop(path_param(request, "name")))

    async def rerun(request: Request) -> Response:
        name = path_param(request, "name")
        body = await ctx.body(request, RERUN_BODY)
        return JsonResponse(await wb.rerun(name, body["step"]))

    def breakpoint_op(on: bool) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            name = path_param(request, "name")
            body = await ctx.body(request, BREAKPOINT_BODY)
            return JsonResponse(await wb.set_breakpoint(name, body["step"], on))

        return handle

    async def manual_ack(request: Request) -> Response:
        name = path_param(request, "name")
        body = await ctx.body(request, MANUAL_ACK_BODY)
        return JsonResponse(await wb.ack(name, body["step"], body["state"], body.get("data", "")))

    async def run_flow(request: Request) -> Response:
        flow = path_param(request, "name")
        body = await ctx.body(request, RUN_FLOW_BODY)
        args = RunArgs(dict(body.get("args") or {}))
        return JsonResponse(await wb.run_flow(flow, body["run"], args))

    async def unknown_operation(request: Request) -> Response:
        # Without this, `DELETE /flowrun/{name}/{uuid}` matches the path and a typo'd
        # operation is answered 405 "Allow: DELETE", which misleads.
        operation = path_param(request, "operation")
        raise NotFoundError(
            f"flowrun has no operation {operation!r}; POST /flowrun/{{name}}/ one of "
            f"{', '.join(RUN_OPERATIONS)}",
            field="operation",
        )

    run = "/flowrun/{name}"
    return [
        Endpoint(
            "POST",
            "/step",
            ack_step,
            "Acknowledge a dispatched step (the wire protocol of action services)",
            "step",
            body=ACK_BODY,
            answer=OBJECT,
        ),
        Endpoint(
            "POST", f"{run}/pause", pause, "Pause a flow run (suspend)", "flowrun", answer=RESOURCE
        ),
        Endpoint(
            "POST",
            f"{run}/continue",
            resume,
            "Continue a paused flow run",
            "flowrun",
            answer=RESOURCE,
        ),
        Endpoint(
            "POST", f"{run}/stop", stop, "Stop a flow run for good", "flowrun", answer=RESOURCE
        ),
        Endpoint(
            "POST",
            f"{run}/rerun",
            rerun,
            "Re-run a stopped or done run from a step",
            "flowrun",
            body=RERUN_BODY,
            answer=RESOURCE,
        ),
        Endpoint(
            "POST",
            f"{run}/ack",
            manual_ack,
            "Answer the step a run waits on by hand, as its action service would",
            "flowrun",
            body=MANUAL_ACK_BODY,
            answer=OBJECT,
        ),
        Endpoint(
            "POST",
            f"{run}/break",
            breakpoint_op(True),
            "Hold the run before each entry of a step (until continued)",
            "flowrun",
            body=BREAKPOINT_BODY,
            answer=RESOURCE,
        ),
        Endpoint(
            "POST",
            f"{run}/unbreak",
            breakpoint_op(False),
            "Remove a step's breakpoint",
            "flowrun",
            body=BREAKPOINT_BODY,
            answer=RESOURCE,
        ),
        Endpoint(
            "POST",
            f"{run}/{{operation}}",
            unknown_operation,
            f"Any other operation is answered 404 naming these: {', '.join(RUN_OPERATIONS)}",
            "flowrun",
            answer=OBJECT,
        ),
        Endpoint(
            "POST",
            "/flow/{name}/run",
            run_flow,
            "Instantiate a flow as a new flow run and start it",
            "flow",
            body=RUN_FLOW_BODY,
            answer=RESOURCE,
        ),
    ]
