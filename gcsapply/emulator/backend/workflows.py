"""Workflows W1-W9: unique names per project, lenient template validation, public workflows
read-only, no new file (and no delete) while executions use a workflow."""

from __future__ import annotations

import json
import uuid

from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import (
    BadBody,
    BadField,
    BadTemplate,
    PublicReadOnly,
    WorkflowInUse,
    WorkflowNameTaken,
    WorkflowNotFound,
)
from gcsapply.emulator.rules import VENDOR_FORBIDDEN, check_file_name, check_name, check_text, page
from gcsapply.template.parse import Template, parse_template

SCOPES = ("domain", "public")


def create_workflow(app: Emulator, project_id: str, resource: dict, content: bytes,
                    upload_name: str | None) -> str:
    """W1: store the template ``content`` under the fields of ``resource``; the new id."""
    name = check_name(resource.get("name"), "name", 64)
    fields = _resource_fields(resource, tenant=app.credentials.domain)
    fields["domain_id"] = app.credentials.domain_id
    fields["filename"] = check_file_name(resource.get("filename") or upload_name or f"{name}.yaml")
    validate_template(content, fields["filename"])
    now = app.clock.now()
    workflow_id = str(uuid.uuid4())
    with app.store.transaction():
        if find_workflow(app, project_id, name) is not None:
            raise WorkflowNameTaken(f"a workflow named {name!r} already exists in this project")
        digest = app.store.put_template(content)
        app.store.insert("workflows", {"id": workflow_id, "project_id": project_id, "name": name,
                                       "scope": "domain", "template_hash": digest,
                                       "created_at": now, "updated_at": now, "doc": fields})
    return workflow_id


def update_workflow(app: Emulator, project_id: str, workflow: dict, resource: dict,
                    content: bytes | None, upload_name: str | None) -> None:
    """W3: new fields from ``resource`` (empty: unchanged) and a new file when ``content`` is
    given -- refused while executions use the workflow."""
    changes: dict = {}
    doc = dict(workflow["doc"])
    if resource:
        if resource.get("name") not in (None, "", workflow["name"]):
            changes["name"] = check_name(resource["name"], "name", 64)
        doc.update(_resource_fields(resource, tenant=app.credentials.domain, base=doc))
    if content is not None:
        doc["filename"] = check_file_name(resource.get("filename") or upload_name
                                          or doc.get("filename") or "workflow.yaml")
        validate_template(content, doc["filename"])
    with app.store.transaction():
        if "name" in changes and find_workflow(app, project_id, changes["name"]) is not None:
            raise WorkflowNameTaken(f"a workflow named {changes['name']!r} already exists")
        if content is not None:
            if _executions_using(app, workflow["id"]):
                raise WorkflowInUse(f"workflow {workflow['name']} is used by executions and cannot "
                                    "get a new file; delete them or create a new workflow")
            changes["template_hash"] = app.store.put_template(content)
        changes.update(doc=doc, updated_at=app.clock.now())
        app.store.update("workflows", "id", workflow["id"], changes)


def delete_workflow(app: Emulator, workflow: dict) -> None:
    """W2: refused while executions use the workflow."""
    with app.store.transaction():
        count = _executions_using(app, workflow["id"])
        if count:
            raise WorkflowInUse(f"workflow {workflow['name']} is used by {count} execution(s); "
                                "delete them first")
        app.store.delete("workflows", workflow["id"])


def get_workflow(app: Emulator, project_id: str, workflow_id: str, *,
                 writable: bool = False) -> dict:
    """A workflow of the project or a public one; ``writable`` refuses public ones."""
    row = app.store.get("workflows", project_id, workflow_id, public=True)
    if row is None:
        raise WorkflowNotFound(f"no workflow {workflow_id} in project {project_id}")
    if writable and row["project_id"] != project_id:
        raise PublicReadOnly(f"workflow {row['name']} is public")
    return row


def find_workflow(app: Emulator, project_id: str, name: str) -> dict | None:
    """The project's workflow named ``name``, if any."""
    return app.store.row("SELECT * FROM workflows WHERE project_id = ? AND name = ?",
                         (project_id, name))


def list_workflows(app: Emulator, project_id: str, *, scope: str, name: str, start: int,
                   limit: int | None) -> list[dict]:
    """W8: the page of workflows, newest first; ``scope`` "" means the project's and public."""
    clauses = {"domain": "project_id = ?", "public": "scope = 'public'",
               "": "(project_id = ? OR scope = 'public')"}[scope]
    args = [project_id] if scope != "public" else []
    if name:
        clauses += " AND instr(name, ?) > 0"
        args.append(name)
    rows = app.store.rows("SELECT * FROM workflows WHERE " + clauses
                          + " ORDER BY created_at DESC, seq DESC", args)
    return page(rows, start, limit)


def workflow_content(app: Emulator, workflow: dict) -> bytes:
    """The stored YAML of a workflow."""
    return app.store.get_template(workflow["template_hash"]) or b""


def workflow_template(app: Emulator, workflow: dict) -> Template:
    """The parsed template of a workflow."""
    return app.template(workflow["template_hash"])


def workflow_tools(app: Emulator, project_id: str, workflow: dict) -> dict[str, dict | None]:
    """W7: each ``name:version`` the steps name, in order, with its tool record (None if unknown;
    the project's own before a public one)."""
    data = workflow_template(app, workflow).data or {}
    steps = data.get("workflow") if isinstance(data.get("workflow"), dict) else {}
    tools: dict[str, dict | None] = {}
    for body in steps.values():
        ref = body.get("tool") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref or ref in tools:
            continue
        name, _, version = ref.partition(":")
        tools[ref] = app.store.row("SELECT * FROM tools WHERE name = ? AND version = ? AND "
                                   "(project_id = ? OR scope = 'public') ORDER BY scope",
                                   (name, version, project_id))
    return tools


def validate_content(content) -> list:
    """W9: the error diagnostics of a template given as a JSON object (its metadata ignored)."""
    if not isinstance(content, dict):
        raise BadBody("workflow_content must be the template as a JSON object")
    text = json.dumps({k: v for k, v in content.items() if k != "metadata"}, ensure_ascii=False)
    return [d for d in parse_template(text, "workflow_content").validate(strict=False) if d.is_error]


def validate_template(content: bytes, filename: str) -> None:
    """The service's lenient check: the grammar's [DOC] rules only; never tools, PVCs, namespaces."""
    problems = [d for d in parse_template(content, filename).validate(strict=False) if d.is_error]
    if problems:
        shown = "; ".join(f"line {d.line}: {d.message}" if d.line else d.message
                          for d in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BadTemplate(f"{filename}: {shown}{more}")


def _resource_fields(resource: dict, *, tenant: str, base: dict | None = None) -> dict:
    base = base or {}
    scope = resource.get("scope") or "domain"
    if scope != "domain":
        raise BadField(f"scope={scope!r}: only GCS itself can create public workflows")
    return {
        "description": check_text(resource.get("description", base.get("description", "")),
                                  "description", utf8_bytes=True),
        # an empty vendor means the tenant's name (the SDK's update resets a vendor left out)
        "vendor": check_text((resource["vendor"] or tenant) if "vendor" in resource
                             else (base.get("vendor") or tenant), "vendor",
                             max_len=64, forbidden=VENDOR_FORBIDDEN),
        "logo": str(resource.get("logo", base.get("logo", "")) or ""),
        "image": str(resource.get("image", base.get("image", "")) or ""),
        "enterprise_project_id": str(resource.get("enterprise_project_id",
                                                  base.get("enterprise_project_id", "0"))),
        "domain": tenant,
    }


def _executions_using(app: Emulator, workflow_id: str) -> int:
    return app.store.scalar("SELECT COUNT(*) FROM executions WHERE workflow_id = ?", (workflow_id,))
