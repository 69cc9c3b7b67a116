"""Tools T1-T5: unique ``name:version`` per project, the field rules of create and update, public
tools read-only."""

from __future__ import annotations

import re
import uuid

from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import BadField, PublicReadOnly, ToolExists, ToolNotFound
from gcsapply.emulator.rules import TOOL_VERSION, VENDOR_FORBIDDEN, check_name, check_strings, check_text, page

CATEGORIES = ("others", "qualitycontrol", "basic", "gatk", "callvariant", "environment")
TYPES = ("container", "spark")
SCOPES = ("domain", "public")
UPDATABLE = ("description", "version", "vendor", "image", "instruction", "cpu", "memory",
             "command", "category", "scope")
_CPU = re.compile(r"^([0-9]+(?:\.[0-9]+)?)C$")
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)G$")


def create_tool(app: Emulator, project_id: str, body: dict) -> str:
    """T1: the id of the new tool."""
    name = check_name(body.get("name"), "name", 64)
    fields = _tool_fields(body, {"version": "", "category": "others", "cpu": "2C", "memory": "8G",
                                 "vendor": app.credentials.domain, "type": "container"},
                          image_max=255)
    now = app.clock.now()
    tool_id = str(uuid.uuid4())
    with app.store.transaction():
        if _find(app, project_id, name, fields["version"]):
            raise ToolExists(f"{name}:{fields['version']}")
        version, category = fields.pop("version"), fields.pop("category")
        fields.update(domain=app.credentials.domain, domain_id=app.credentials.domain_id)
        app.store.insert("tools", {"id": tool_id, "project_id": project_id, "name": name,
                                   "version": version, "scope": "domain", "category": category,
                                   "created_at": now, "updated_at": now, "doc": fields})
    return tool_id


def update_tool(app: Emulator, project_id: str, tool: dict, body: dict) -> None:
    """T3: only the ``UPDATABLE`` fields; blank values leave a field unchanged."""
    unknown = sorted(set(body) - set(UPDATABLE))
    if unknown:
        raise BadField(f"field(s) {', '.join(unknown)} cannot be updated; updatable: "
                       f"{', '.join(UPDATABLE)}")
    given = {k: v for k, v in body.items() if v not in (None, "")}
    if given.get("scope", "domain") != "domain":
        raise PublicReadOnly("only GCS can publish tools")
    given.pop("scope", None)
    current = {**tool["doc"], "version": tool["version"], "category": tool["category"]}
    fields = _tool_fields({**current, **given}, current, image_max=128)
    version, category = fields.pop("version"), fields.pop("category")
    with app.store.transaction():
        if version != tool["version"] and _find(app, project_id, tool["name"], version):
            raise ToolExists(f"{tool['name']}:{version}")
        app.store.update("tools", "id", tool["id"], {
            "version": version, "category": category, "updated_at": app.clock.now(),
            "doc": {**tool["doc"], **fields}})


def delete_tool(app: Emulator, tool: dict) -> None:
    """T2."""
    app.store.delete("tools", tool["id"])


def get_tool(app: Emulator, project_id: str, tool_id: str, *, writable: bool = False) -> dict:
    """A tool of the project or a public one; ``writable`` refuses public ones."""
    row = app.store.get("tools", project_id, tool_id, public=True)
    if row is None:
        raise ToolNotFound(f"no tool {tool_id}")
    if writable and row["scope"] == "public":
        raise PublicReadOnly(f"tool {row['name']}:{row['version']} is public")
    return row


def list_tools(app: Emulator, project_id: str, *, scope: str, name: str | None,
               whole_name: str | None, category: str, start: int, limit: int | None) -> list[dict]:
    """T5: the page of the project's (``scope`` domain) or the public tools, by name and version;
    ``name`` matches a substring, ``whole_name`` the whole name."""
    sql, args = ("SELECT * FROM tools WHERE scope = 'public'", []) if scope == "public" else (
        "SELECT * FROM tools WHERE project_id = ? AND scope = 'domain'", [project_id])
    if name:
        sql, args = sql + " AND instr(name, ?) > 0", args + [name]
    if whole_name:
        sql, args = sql + " AND name = ?", args + [whole_name]
    if category:
        sql, args = sql + " AND category = ?", args + [category]
    return page(app.store.rows(sql + " ORDER BY name, version, seq", args), start, limit)


def _find(app: Emulator, project_id: str, name: str, version: str) -> dict | None:
    return app.store.row("SELECT id FROM tools WHERE project_id = ? AND name = ? AND version = ?",
                         (project_id, name, version))


def _tool_fields(body: dict, defaults: dict, *, image_max: int) -> dict:
    check_strings(body, UPDATABLE + ("type", "logo", "new_category", "enterprise_project_id"))
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
