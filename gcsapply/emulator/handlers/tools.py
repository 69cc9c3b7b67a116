"""Tools T1-T5 (the tool list's odd double nesting included)."""

from __future__ import annotations

from gcsapply.emulator.backend import tools
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.rules import choice_arg, parse_paging
from gcsapply.emulator.views import tool_view
from gcsapply.emulator.wire import Request, Response


def create_tool(app: Emulator, req: Request) -> Response:
    return Response.json(201, {"id": tools.create_tool(app, req.project_id, req.json())})


def update_tool(app: Emulator, req: Request) -> Response:
    tool = tools.get_tool(app, req.project_id, req.params["tool_id"], writable=True)
    tools.update_tool(app, req.project_id, tool, req.json())
    return Response.json(200, {"id": tool["id"]})


def delete_tool(app: Emulator, req: Request) -> Response:
    tools.delete_tool(app, tools.get_tool(app, req.project_id, req.params["tool_id"], writable=True))
    return Response.empty(204)


def get_tool(app: Emulator, req: Request) -> Response:
    return Response.json(200, tool_view(tools.get_tool(app, req.project_id, req.params["tool_id"])))


def list_tools(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    scope = choice_arg(req.arg("scope"), "scope", tools.SCOPES, default="domain")
    category = choice_arg(req.arg("category"), "category", tools.CATEGORIES)
    rows = tools.list_tools(app, req.project_id, scope=scope, name=req.arg("name"),
                            whole_name=req.arg("whole_name"), category=category, start=start,
                            limit=limit)
    return Response.json(200, {"tools": [{"tool": [tool_view(r) for r in rows]}]})
