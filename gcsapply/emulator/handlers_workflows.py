"""Workflows W1-W9: multipart uploads, lenient template validation, in-use rules."""

from __future__ import annotations

import json
import uuid

from gcsapply.emulator.app import Emulator
from gcsapply.emulator.errors import (
    BadBody,
    BadField,
    BadTemplate,
    MissingField,
    PublicReadOnly,
    WorkflowInUse,
    WorkflowNameTaken,
    WorkflowNotFound,
)
from gcsapply.emulator.rules import (
    VENDOR_FORBIDDEN,
    check_file_name,
    check_name,
    check_project_arg,
    check_text,
    choice_arg,
    iso,
    page,
    parse_bool_arg,
    parse_paging,
)
from gcsapply.emulator.wire import Request, Response
from gcsapply.template.parse import parse_template

SCOPES = ("domain", "public")


def create_workflow(app: Emulator, req: Request) -> Response:
    parts = req.parts()
    if "resource" not in parts:
        raise MissingField("the multipart part 'resource' (a JSON string) is required")
    if "archive_content" not in parts:
        raise MissingField("the multipart part 'archive_content' (the YAML file) is required")
    resource = _resource(parts["resource"].text)
    name = check_name(resource.get("name"), "name", 64)
    fields = _resource_fields(resource, tenant=app.credentials.domain)
    fields["domain_id"] = app.credentials.domain_id
    fields["filename"] = check_file_name(resource.get("filename") or parts["archive_content"].filename
                                         or f"{name}.yaml")
    content = parts["archive_content"].content
    validate_template(content, fields["filename"])
    now = app.clock.now()
    workflow_id = str(uuid.uuid4())
    with app.store.transaction():
        if _find_by_name(app, req.project_id, name) is not None:
            raise WorkflowNameTaken(f"a workflow named {name!r} already exists in this project")
        digest = app.store.put_template(content)
        app.store.insert("workflows", {"id": workflow_id, "project_id": req.project_id, "name": name,
                                       "scope": "domain", "template_hash": digest,
                                       "created_at": now, "updated_at": now, "doc": fields})
    return Response.json(201, {"id": workflow_id})


def update_workflow(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"], writable=True)
    parts = req.parts()
    resource_text = parts["resource"].text.strip() if "resource" in parts else ""
    archive = parts.get("archive_content")
    if not resource_text and archive is None:
        raise MissingField("give 'resource', 'archive_content' or both; both are empty")
    resource = _resource(resource_text) if resource_text else {}
    changes: dict = {}
    doc = dict(workflow["doc"])
    if resource:
        if resource.get("name") not in (None, "", workflow["name"]):
            changes["name"] = check_name(resource["name"], "name", 64)
        updated = _resource_fields(resource, tenant=app.credentials.domain, base=doc)
        doc.update(updated)
    if archive is not None:
        doc["filename"] = check_file_name(resource.get("filename") or archive.filename
                                          or doc.get("filename") or "workflow.yaml")
        validate_template(archive.content, doc["filename"])
    with app.store.transaction():
        if "name" in changes and _find_by_name(app, req.project_id, changes["name"]) is not None:
            raise WorkflowNameTaken(f"a workflow named {changes['name']!r} already exists")
        if archive is not None:
            if _in_use(app, workflow["id"]):
                raise WorkflowInUse(f"workflow {workflow['name']} is used by executions and cannot "
                                    "get a new file; delete them or create a new workflow")
            changes["template_hash"] = app.store.put_template(archive.content)
        changes.update(doc=doc, updated_at=app.clock.now())
        app.store.update("workflows", "id", workflow["id"], changes)
    return Response.json(201, {"id": workflow["id"]})


def delete_workflow(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"], writable=True)
    parse_bool_arg(req.arg("del_workflow_package"), "del_workflow_package")
    with app.store.transaction():
        count = _in_use(app, workflow["id"])
        if count:
            raise WorkflowInUse(f"workflow {workflow['name']} is used by {count} execution(s); "
                                "delete them first")
        app.store.delete("workflows", workflow["id"])
    return Response.empty(204)


def download_workflow(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"])
    content = app.store.get_template(workflow["template_hash"]) or b""
    filename = workflow["doc"].get("filename") or f"{workflow['name']}.yaml"
    return Response.raw(200, content, "application/x-yaml",
                        {"Content-Disposition": f'attachment; filename="{filename}"'})


def get_workflow(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"])
    view = workflow_view(workflow)
    if parse_bool_arg(req.arg("get_archive"), "get_archive"):
        view["content"] = (app.store.get_template(workflow["template_hash"]) or b"").decode(
            "utf-8", errors="replace")
    return Response.json(200, view)


def get_workflow_inputs(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"])
    template = app.template(workflow["template_hash"])
    inputs = {}
    for name, spec in template.inputs.items():
        entry = {"type": spec.type or "string"}
        if spec.has_default:
            entry["default"] = spec.default
        if spec.description is not None:
            entry["description"] = spec.description
        if spec.label is not None:
            entry["label"] = spec.label
        inputs[name] = entry
    return Response.json(200, {"inputs": inputs})


def get_workflow_tools(app: Emulator, req: Request) -> Response:
    workflow = get_workflow_row(app, req.project_id, req.params["workflow_id"])
    data = app.template(workflow["template_hash"]).data or {}
    steps = data.get("workflow") if isinstance(data.get("workflow"), dict) else {}
    tools = {}
    for body in steps.values():
        ref = body.get("tool") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref or ref in tools:
            continue
        name, _, version = ref.partition(":")
        row = app.store.row("SELECT * FROM tools WHERE name = ? AND version = ? AND (project_id = ? "
                            "OR scope = 'public') ORDER BY scope", (name, version, req.project_id))
        doc = row["doc"] if row else {}
        tools[ref] = {"command": doc.get("command", ""), "cpu": doc.get("cpu", "2C"),
                      "description": doc.get("description", ""), "image": doc.get("image", ref),
                      "memory": doc.get("memory", "8G"), "name": name,
                      "scope": row["scope"] if row else "", "type": doc.get("type", "container"),
                      "version": version}
    return Response.json(200, {"tools": tools})


def list_workflows(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    check_project_arg(req.arg("project_id"), req.project_id)
    scope = choice_arg(req.arg("scope"), "scope", SCOPES)
    sql = "SELECT * FROM workflows WHERE "
    clauses = {"domain": "project_id = ?", "public": "scope = 'public'",
               "": "(project_id = ? OR scope = 'public')"}[scope]
    args = [req.project_id] if scope != "public" else []
    name = req.arg("name") or ""
    if name:
        clauses += " AND instr(name, ?) > 0"
        args.append(name)
    rows = app.store.rows(sql + clauses + " ORDER BY created_at DESC, seq DESC", args)
    return Response.json(200, {"workflow": [workflow_view(r) for r in page(rows, start, limit)]})


def validate_workflow(app: Emulator, req: Request) -> Response:
    content = req.json().get("workflow_content")
    if not isinstance(content, dict):
        raise BadBody("workflow_content must be the template as a JSON object")
    text = json.dumps({k: v for k, v in content.items() if k != "metadata"}, ensure_ascii=False)
    problems = [d for d in parse_template(text, "workflow_content").validate(strict=False)
                if d.is_error]
    return Response.json(200, {"valid": not problems, "errors": [
        {"code": d.code, "message": d.message, "path": d.path} for d in problems]})


def get_workflow_row(app: Emulator, project_id: str, workflow_id: str, *,
                     writable: bool = False) -> dict:
    row = app.store.get("workflows", project_id, workflow_id, public=True)
    if row is None:
        raise WorkflowNotFound(f"no workflow {workflow_id} in project {project_id}")
    if writable and row["project_id"] != project_id:
        raise PublicReadOnly(f"workflow {row['name']} is public")
    return row


def validate_template(content: bytes, filename: str) -> None:
    """The service's lenient check: the grammar's [DOC] rules only; never tools, PVCs, namespaces."""
    problems = [d for d in parse_template(content, filename).validate(strict=False) if d.is_error]
    if problems:
        shown = "; ".join(f"line {d.line}: {d.message}" if d.line else d.message
                          for d in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BadTemplate(f"{filename}: {shown}{more}")


def workflow_view(row: dict) -> dict:
    doc = row["doc"]
    return {
        "id": row["id"], "name": row["name"], "description": doc.get("description", ""),
        "vendor": doc.get("vendor", ""), "scope": row["scope"], "project_id": row["project_id"],
        "domain_id": doc.get("domain_id", ""), "domain": doc.get("domain", ""),
        "create_at": iso(row["created_at"]), "update_at": iso(row["updated_at"]),
        "workflow_url": f"obs://gcs-workflows/{row['project_id']}/{row['id']}/"
                        f"{doc.get('filename', '')}",
        "logo": doc.get("logo", ""), "image": doc.get("image", ""),
        "enterprise_project": {"id": doc.get("enterprise_project_id", "0"), "name": "default"},
    }


def _resource(text: str) -> dict:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the 'resource' part is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise BadBody("the 'resource' part must be a JSON object")
    return value


def _resource_fields(resource: dict, *, tenant: str, base: dict | None = None) -> dict:
    base = base or {}
    scope = resource.get("scope") or "domain"
    if scope != "domain":
        raise BadField(f"scope={scope!r}: only GCS itself can create public workflows")
    fields = {
        "description": check_text(resource.get("description", base.get("description", "")),
                                  "description", utf8_bytes=True),
        "vendor": check_text(resource.get("vendor") or base.get("vendor") or tenant, "vendor",
                             max_len=64, forbidden=VENDOR_FORBIDDEN),
        "logo": str(resource.get("logo", base.get("logo", "")) or ""),
        "image": str(resource.get("image", base.get("image", "")) or ""),
        "enterprise_project_id": str(resource.get("enterprise_project_id",
                                                  base.get("enterprise_project_id", "0"))),
        "domain": tenant,
    }
    return fields


def _find_by_name(app: Emulator, project_id: str, name: str) -> dict | None:
    return app.store.row("SELECT id FROM workflows WHERE project_id = ? AND name = ?",
                         (project_id, name))


def _in_use(app: Emulator, workflow_id: str) -> int:
    return app.store.scalar("SELECT COUNT(*) FROM executions WHERE workflow_id = ?", (workflow_id,))
