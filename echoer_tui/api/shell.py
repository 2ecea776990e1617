"""The shell over HTTP: what a remote workbench needs besides resources and runs.

`POST /shell` runs one statement server-side and answers the Reply as JSON;
`POST /validate` and `POST /apply` check or create a whole FSL document.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from echoer_tui.api.body import FSL_BODY, SHELL_BODY
from echoer_tui.api.errors import diagnostic_to_dict
from echoer_tui.api.routing import ApiContext, Endpoint, JsonResponse, QueryParam
from echoer_tui.api.schemas import REPLY, VALIDATION
from echoer_tui.errors import EchoerError
from echoer_tui.service import commands as cmd
from echoer_tui.service.facade import Reply, Validation


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return {
        "status": reply.status,
        "text": reply.text,
        "rendered": reply.render(),
        "diagnostics": [diagnostic_to_dict(d) for d in reply.diagnostics],
        "data": reply.data,
    }


def validation_to_dict(validation: Validation) -> dict[str, Any]:
    return {
        "ok": validation.ok,
        "statements": validation.statements,
        "diagnostics": [diagnostic_to_dict(d) for d in validation.diagnostics],
        "applied": list(validation.applied),
    }


def refuse_server_files(statement: str) -> None:
    """`load FILE` would read a file of the server's disk for whoever can reach the API."""
    try:
        command = cmd.parse_command(statement)
    except EchoerError:
        return  # execute() answers it as an E| reply
    if isinstance(command, cmd.Load):
        raise EchoerError(
            "load reads files on the server and is refused over HTTP; send the file's "
            "text to POST /apply instead (the remote shell does this for you)",
            field="statement",
        )


def _flag(text: str, field: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise EchoerError(f"{field}: expected true or false, got {text!r}", field=field)


def shell_endpoints(ctx: ApiContext) -> list[Endpoint]:
    async def execute(request: Request) -> Response:
        body = await ctx.body(request, SHELL_BODY)
        refuse_server_files(body["statement"])
        width = body.get("width")
        reply = await ctx.workbench.execute(body["statement"], width=width)
        return JsonResponse(reply_to_dict(reply))

    async def validate(request: Request) -> Response:
        body = await ctx.body(request, FSL_BODY)
        allow_applied = _flag(request.query_params.get("allow_applied", "false"), "allow_applied")
        validation = await ctx.workbench.validate(body["data"], allow_applied=allow_applied)
        return JsonResponse(validation_to_dict(validation))

    async def apply(request: Request) -> Response:
        body = await ctx.body(request, FSL_BODY)
        replies = await ctx.workbench.apply_fsl(body["data"])
        return JsonResponse([reply_to_dict(r) for r in replies])

    return [
        Endpoint(
            "POST",
            "/shell",
            execute,
            "Run one shell statement (without the trailing /)",
            "shell",
            body=SHELL_BODY,
            answer=REPLY,
        ),
        Endpoint(
            "POST",
            "/validate",
            validate,
            "Check an FSL document against the store without writing",
            "shell",
            body=FSL_BODY,
            query=(
                QueryParam(
                    "allow_applied",
                    "a statement the store already holds as written is no error",
                    {"type": "boolean"},
                ),
            ),
            answer=VALIDATION,
        ),
        Endpoint(
            "POST",
            "/apply",
            apply,
            "Create every statement of an FSL document, one reply per statement",
            "shell",
            body=FSL_BODY,
            answer={"type": "array", "items": REPLY},
        ),
    ]
