"""Tools T1-T5 (the tool list's odd double nesting included)."""

from __future__ import annotations

import re
import uuid

from gcsapply.emulator.app import Emulator
from gcsapply.emulator.errors import BadField, PublicReadOnly, ToolExists, ToolNotFound
from gcsapply.emulator.rules import (
    TOOL_VERSION,
    VENDOR_FORBIDDEN,
    check_name,
    check_strings,
    check_text,
    choice_arg,
    iso,
    page,
    parse_paging,
)
from gcsapply.emulator.wire import Request, Response

CATEGORIES = ("others", "qualitycontrol", "basic", "gatk", "callvariant", "environment")
TYPES = ("container", "spark")
_CPU = re.compile(r"^([0-9]+(?:\.[0-9]+)?)C$")
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)G$")
_UPDATABLE = ("description", "version", "vendor", "image", "instruction", "cpu", "memory",
              "command", "category", "scope")


def create_tool(app: Emulator, req: Request) -> Response:
    body = req.json()
    name = check_name(body.get("name"), "name", 64)
    fields = _tool_fields(body, {"version": "", "category": "others", "cpu": "2C", "memory": "8G",
                                 "vendor": app.credentials.domain, "type": "container"},
                          image_max=255)
    now = app.clock.now()
    tool_id = str(uuid.uuid4())
    with app.store.transaction():
        if app.store.row("SELECT id FROM tools WHERE project_id = ? AND name = ? AND version = ?",
                         (req.project_id, name, fields["version"])):
            raise ToolExists(f"{name}:{fields['version']}")
        version, category = fields.pop("version"), fields.pop("category")
        fields.update(domain=app.credentials.domain, domain_id=app.credentials.domain_id)
        app.store.insert("tools", {"id": tool_id, "project_id": req.project_id, "name": name,
                                   "version": version, "scope": "domain", "category": category,
                                   "created_at": now, "updated_at": now, "doc": fields})
    return Response.json(201, {"id": tool_id})


def update_tool(app: Emulator, req: Request) -> Response:
    tool = _get(app, req, writable=True)
    body = req.json()
    unknown = sorted(set(body) - set(_UPDATABLE))
    if unknown:
        raise BadField(f"field(s) {', '.join(unknown)} cannot be updated; updatable: "
                       f"{', '.join(_UPDATABLE)}")
    given = {k: v for k, v in body.items() if v not in (None, "")}
    if given.get("scope", "domain") != "domain":
        raise PublicReadOnly("only GCS can publish tools")
    given.pop("scope", None)
    current = {**tool["doc"], "version": tool["version"], "category": tool["category"]}
    fields = _tool_fields({**current, **given}, current, image_max=128)
    version, category = fields.pop("version"), fields.pop("category")
    with app.store.transaction():
        if version != tool["version"] and app.store.row(
                "SELECT id FROM tools WHERE project_id = ? AND name = ? AND version = ?",
                (req.project_id, tool["name"], version)):
            raise ToolExists(f"{tool['name']}:{version}")
        app.store.update("tools", "id", tool["id"], {
            "version": version, "category": category, "updated_at": app.clock.now(),
            "doc": {**tool["doc"], **fields}})
    return Response.json(200, {"id": tool["id"]})


def delete_tool(app: Emulator, req: Request) -> Response:
    tool = _get(app, req, writable=True)
    app.store.delete("tools", tool["id"])
    return Response.empty(204)


def get_tool(app: Emulator, req: Request) -> Response:
    return Response.json(200, tool_view(_get(app, req)))


def list_tools(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    scope = choice_arg(req.arg("scope"), "scope", ("domain", "public"), default="domain")
    sql, args = ("SELECT * FROM tools WHERE scope = 'public'", []) if scope == "public" else (
        "SELECT * FROM tools WHERE project_id = ? AND scope = 'domain'", [req.project_id])
    if req.arg("name"):
        sql, args = sql + " AND instr(name, ?) > 0", args + [req.arg("name")]
    if req.arg("whole_name"):
        sql, args = sql + " AND name = ?", args + [req.arg("whole_name")]
    category = choice_arg(req.arg("category"), "category", CATEGORIES)
    if category:
        sql, args = sql + " AND category = ?", args + [category]
    rows = app.store.rows(sql + " ORDER BY name, version, seq", args)
    return Response.json(200, {"tools": [{"tool": [tool_view(r) for r in
                                                   page(rows, start, limit)]}]})


def tool_view(row: dict) -> dict:
    doc = row["doc"]
    return {
        "guid": row["id"], "name": row["name"], "description": doc.get("description", ""),
        "project_id": row["project_id"], "version": row["version"], "scope": row["scope"],
        "domain": doc.get("domain", ""), "domain_id": doc.get("domain_id", ""),
        "vendor": doc.get("vendor", ""), "image": doc.get("image", ""),
        "create_at": iso(row["created_at"]), "update_at": iso(row["updated_at"]),
        "category": row["category"], "instruction": doc.get("instruction", ""),
        "cpu": doc.get("cpu", ""), "memory": doc.get("memory", ""), "command": doc.get("command", ""),
        "logo": doc.get("logo", ""), "type": doc.get("type", "container"),
        "enterprise_project": {"id": doc.get("enterprise_project_id", "0"), "name": "default"},
    }


def _tool_fields(body: dict, defaults: dict, *, image_max: int) -> dict:
    check_strings(body, _UPDATABLE + ("type", "logo", "new_category", "enterprise_project_id"))
    value = {k: body.get(k) if body.get(k) not in (None, "") else defaults.get(k, "")
             for k in ("version", "category", "cpu", "memory", "vendor", "type", "image",
                       "description", "instruction", "command", "logo")}
    if body.get("scope") not in (None, "", "domain"):
        raise PublicReadOnly("only GCS can create public tools")
    version = str(value["version"])
    if len(version) > 24 or (version and not TOOL_VERSION.match(version)):
        raise BadField(f"version {version!r} must match {TOOL_VERSION.pattern} and be <= 24 long")
    if value["category"] not in CATEGORIES:
        raise BadField(f"category must be one of {', '.join(CATEGORIES)}")
    if value["type"] not in TYPES:
        raise BadField("type must be container or spark")
    cpu, memory = _CPU.match(str(value["cpu"])), _MEMORY.match(str(value["memory"]))
    if not cpu or not 0 <= float(cpu.group(1)) <= 2000:
        raise BadField(f"cpu {value['cpu']!r} must be a number of cores with unit C, 0-2000")
    if not memory or not 0 < float(memory.group(1)) < 2000:
        raise BadField(f"memory {value['memory']!r} must be a number with unit G, >0 and <2000")
    if len(str(value["image"])) > image_max:
        raise BadField(f"image is longer than {image_max} characters")
    if len(str(value["command"])) > 1024:
        raise BadField("command is longer than 1024 characters")
    check_text(value["description"], "description")
    check_text(value["vendor"], "vendor", max_len=64, forbidden=VENDOR_FORBIDDEN)
    check_text(value["instruction"], "instruction", forbidden=VENDOR_FORBIDDEN)
    value["version"] = version
    return value


def _get(app: Emulator, req: Request, *, writable: bool = False) -> dict:
    row = app.store.get("tools", req.project_id, req.params["tool_id"], public=True)
    if row is None:
        raise ToolNotFound(f"no tool {req.params['tool_id']}")
    if writable and row["scope"] == "public":
        raise PublicReadOnly(f"tool {row['name']}:{row['version']} is public")
    return row
