"""The original's resource routes: `/action`, `/flow`, `/flowrun`, `/step`, `/event`.

GET lists (filtered by `?metadata.name=` as the original, or by `?prefix=`), GET
one by name, POST `{"data": "<fsl>"}` to create from FSL, DELETE by name (and by
name + uuid, as the original). FSL is checked completely — syntax, statement kind,
translation against the store — and then written in one commit: all of it or nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from echoer_tui.api.body import FSL_BODY
from echoer_tui.api.errors import NameConflictError
from echoer_tui.api.routing import ApiContext, Endpoint, JsonResponse, QueryParam, path_param
from echoer_tui.api.schemas import RESOURCE, RESOURCE_LIST
from echoer_tui.errors import EchoerError, NotFoundError, TranslationError
from echoer_tui.fsl.ast import Diagnostic
from echoer_tui.model.translate import NAME_TAKEN, RESOURCE_KIND
from echoer_tui.storage.repository import summary_of

CREATABLE = ("action", "flow", "flowrun")
DELETABLE = ("action", "flow", "flowrun")
LISTABLE = ("action", "flow", "flowrun", "step", "event")
FSL_KEYWORDS = {kind: keyword for keyword, kind in RESOURCE_KIND.items()}

LIST_QUERY = (
    QueryParam("metadata.name", "only the resource with exactly this name (as the original)"),
    QueryParam("prefix", "only resources whose name starts with this"),
    QueryParam(
        "fields",
        "`summary`: each resource with its metadata and only the spec fields a list "
        "shows (a flow run's states and last error, not its steps)",
        schema={"type": "string", "enum": ["summary"]},
    ),
)
RUN_FILTER = QueryParam("flowrun", "only the step attempts or events of this flow run")


async def create_fsl(ctx: ApiContext, kind: str, text: str) -> None:
    """Create every statement of `text` in one commit, or refuse the request whole.

    Translation errors that are only names already taken answer 409 (the FSL is fine,
    the store is in the way), as does a name taken between translation and the commit.
    """
    try:
        await ctx.workbench.create_fsl(text, kind)
    except TranslationError as error:
        refusals = [d for d in error.diagnostics if isinstance(d, Diagnostic)]
        if refusals and all(d.code == NAME_TAKEN for d in refusals):
            raise NameConflictError(
                "FSL names a resource that already exists: " + "; ".join(map(str, refusals)),
                list(refusals),
            ) from None
        raise


def resource_endpoints(ctx: ApiContext) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    for kind in LISTABLE:
        endpoints += _read_endpoints(ctx, kind)
    for kind in CREATABLE:
        endpoints.append(_create_endpoint(ctx, kind))
    for kind in DELETABLE:
        endpoints += _delete_endpoints(ctx, kind)
    return endpoints


def _read_endpoints(ctx: ApiContext, kind: str) -> list[Endpoint]:
    by_run = kind in ("step", "event")

    async def list_resources(request: Request) -> Response:
        exact = request.query_params.get("metadata.name")
        prefix = request.query_params.get("prefix", "")
        run = request.query_params.get("flowrun") if by_run else None
        fields = request.query_params.get("fields")
        if fields not in (None, "summary"):
            raise EchoerError(
                f"fields={fields!r} is not known; the only choice is fields=summary",
                field="fields",
            )
        items: list[dict[str, Any]]
        if run is not None:
            await ctx.workbench.get("flowrun", run)
            if kind == "step":
                items = await ctx.workbench.attempts(run)
            else:
                items = await ctx.workbench.events(run)
            items = [r for r in items if r["metadata"]["name"].startswith(prefix)]
            if fields:
                items = [summary_of(r) for r in items]
        elif fields:
            items = await ctx.workbench.summaries(kind, prefix)
        else:
            items = await ctx.workbench.list(kind, prefix)
        if exact:
            items = [r for r in items if r["metadata"]["name"] == exact]
        return JsonResponse(items)

    async def get_resource(request: Request) -> Response:
        return JsonResponse(await ctx.workbench.get(kind, path_param(request, "name")))

    query = (*LIST_QUERY, RUN_FILTER) if by_run else LIST_QUERY
    return [
        Endpoint(
            "GET",
            f"/{kind}",
            list_resources,
            f"List {kind} resources",
            kind,
            query=query,
            answer=RESOURCE_LIST,
        ),
        Endpoint(
            "GET",
            f"/{kind}/{{name}}",
            get_resource,
            f"One {kind} by name",
            kind,
            answer=RESOURCE,
        ),
    ]


def _create_endpoint(ctx: ApiContext, kind: str) -> Endpoint:
    async def create(request: Request) -> Response:
        body = await ctx.body(request, FSL_BODY)
        text = body["data"]
        await create_fsl(ctx, kind, text)
        return JsonResponse("")

    return Endpoint(
        "POST",
        f"/{kind}",
        create,
        f"Create {kind} resources from FSL `{FSL_KEYWORDS[kind]}` statements "
        '(answers "" as the original)',
        kind,
        body=FSL_BODY,
        answer={"type": "string"},
    )


def _delete_endpoints(ctx: ApiContext, kind: str) -> list[Endpoint]:
    async def delete(request: Request) -> Response:
        name = path_param(request, "name")
        current = await ctx.workbench.get(kind, name)
        uuid = request.path_params.get("uuid")
        if uuid is not None and current["metadata"].get("uuid") != uuid:
            raise NotFoundError(f"{kind} {name!r} with uuid {uuid!r} does not exist", field="uuid")
        await ctx.workbench.delete(kind, name)
        return JsonResponse(current)

    return [
        Endpoint(
            "DELETE",
            f"/{kind}/{{name}}",
            delete,
            f"Delete a {kind}",
            kind,
            answer=RESOURCE,
        ),
        Endpoint(
            "DELETE",
            f"/{kind}/{{name}}/{{uuid}}",
            delete,
            f"Delete a {kind} only if its uuid still matches (as the original)",
            kind,
            answer=RESOURCE,
        ),
    ]
