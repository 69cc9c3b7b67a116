"""Workflows W1-W9: multipart uploads (a ``resource`` JSON part and an ``archive_content`` file)."""

from __future__ import annotations

from gcsapply.emulator.backend import workflows
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import MissingField
from gcsapply.emulator.rules import check_project_arg, choice_arg, parse_bool_arg, parse_paging
from gcsapply.emulator.views import workflow_inputs_view, workflow_tools_view, workflow_view
from gcsapply.emulator.wire import Part, Request, Response, decode_json_object


def create_workflow(app: Emulator, req: Request) -> Response:
    parts = req.parts()
    if "resource" not in parts:
        raise MissingField("the multipart part 'resource' (a JSON string) is required")
    if "archive_content" not in parts:
        raise MissingField("the multipart part 'archive_content' (the YAML file) is required")
    archive = parts["archive_content"]
    workflow_id = workflows.create_workflow(app, req.project_id, _resource(parts["resource"]),
                                            archive.content, archive.filename)
    return Response.json(201, {"id": workflow_id})


def update_workflow(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"], writable=True)
    parts = req.parts()
    given = "resource" in parts and parts["resource"].content.strip()
    archive = parts.get("archive_content")
    if not given and archive is None:
        raise MissingField("give 'resource', 'archive_content' or both; both are empty")
    resource = _resource(parts["resource"]) if given else {}
    workflows.update_workflow(app, req.project_id, workflow, resource,
                              archive.content if archive is not None else None,
                              archive.filename if archive is not None else None)
    return Response.json(201, {"id": workflow["id"]})


def delete_workflow(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"], writable=True)
    parse_bool_arg(req.arg("del_workflow_package"), "del_workflow_package")
    workflows.delete_workflow(app, workflow)
    return Response.empty(204)


def download_workflow(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"])
    filename = workflow["doc"].get("filename") or f"{workflow['name']}.yaml"
    return Response.raw(200, workflows.workflow_content(app, workflow), "application/x-yaml",
                        {"Content-Disposition": f'attachment; filename="{filename}"'})


def get_workflow(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"])
    view = workflow_view(workflow)
    if parse_bool_arg(req.arg("get_archive"), "get_archive"):
        view["content"] = workflows.workflow_content(app, workflow).decode("utf-8", errors="replace")
    return Response.json(200, view)


def get_workflow_inputs(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"])
    return Response.json(200, workflow_inputs_view(workflows.workflow_template(app, workflow)))


def get_workflow_tools(app: Emulator, req: Request) -> Response:
    workflow = workflows.get_workflow(app, req.project_id, req.params["workflow_id"])
    return Response.json(200, workflow_tools_view(workflows.workflow_tools(app, req.project_id,
                                                                           workflow)))


def list_workflows(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    check_project_arg(req.arg("project_id"), req.project_id)
    scope = choice_arg(req.arg("scope"), "scope", workflows.SCOPES)
    rows = workflows.list_workflows(app, req.project_id, scope=scope, name=req.arg("name") or "",
                                    start=start, limit=limit)
    return Response.json(200, {"workflow": [workflow_view(r) for r in rows]})


def validate_workflow(app: Emulator, req: Request) -> Response:
    problems = workflows.validate_content(req.json().get("workflow_content"))
    return Response.json(200, {"valid": not problems, "errors": [
        {"code": d.code, "message": d.message, "path": d.path} for d in problems]})


def _resource(part: Part) -> dict:
    """The ``resource`` part: a JSON object."""
    return decode_json_object(part.content, "the 'resource' part")
