"""Building execution records: the create-time rules of X1/X2, shared with ``/_emulator/seed``."""

from __future__ import annotations

import uuid

from gcsapply.emulator.app import Emulator, builtins_for
from gcsapply.emulator.errors import BadField, BadInputs, ExecutionNameTaken, MissingPvc
from gcsapply.emulator.rules import DIGITS, check_name, check_text
from gcsapply.errors import TemplateError

TARGETS = ("cci", "cce")
PULL_POLICIES = ("IfNotPresent", "Always", "Never")
EXECUTION_NAME_MAX_BYTES = 63
DEFAULT_TIMEOUT_MIN = 1440


def launch_settings(app: Emulator, project_id: str, body: dict, workflow: dict) -> dict:
    """The ``doc`` of a new run, minus its inputs; raises the documented 400s."""
    sfs = body.get("sfs_pvc_name")
    if not isinstance(sfs, str) or not sfs:
        raise MissingPvc("sfs_pvc_name is required")
    target = body.get("target") or "cci"
    if target not in TARGETS:
        raise BadField(f"target={target!r} must be cci or cce")
    namespace = body.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise BadField("namespace must be a string")
    labels = body.get("label") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise BadField("label must be an object of string keys and string values")
    notification = body.get("notification") or {}
    if not isinstance(notification, dict):
        raise BadField("notification must be an object {events, endpoints}")
    options = body.get("advanced_options") or {}
    if not isinstance(options, dict):
        raise BadField("advanced_options must be an object")
    policy = options.get("image_pull_policy") or "IfNotPresent"
    if policy not in PULL_POLICIES:
        raise BadField(f"advanced_options.image_pull_policy must be one of {', '.join(PULL_POLICIES)}")
    retries = options.get("job_retry_count", "3" if target == "cce" else "0")
    if isinstance(retries, bool) or not DIGITS.match(str(retries)):
        raise BadField("advanced_options.job_retry_count must be a string holding an integer")
    return {
        "namespace": namespace or ("default" if target == "cce" else ""),
        "cluster_id": str(body.get("cluster_id") or ""),
        "description": check_text(body.get("description"), "description"),
        "sfs_pvc_name": sfs,
        "data_pvc_name": f"gene-pvc-{project_id[:8]}",
        "ref_pvc_name": "gene-ref-pvc",
        "target": target,
        "timeout": check_integer(body.get("timeout", DEFAULT_TIMEOUT_MIN), "timeout", 1, 10**6),
        "label": labels,
        "notification": notification,
        "advanced_options": {"image_pull_policy": policy, "job_retry_count": str(retries)},
        "ref_bucket_name": str(body.get("ref_bucket_name") or ""),
        "data_bucket_name": str(body.get("data_bucket_name") or ""),
        "enterprise_project_id": str(body.get("enterprise_project_id") or "0"),
        "workflow_scope": workflow["scope"],
        "job_seconds": float(app.settings.job_seconds),
        "pending_seconds": min(1.0, float(app.settings.job_seconds)),
        "domain_id": app.credentials.domain_id,
    }


def check_inputs(app: Emulator, workflow: dict, inputs, doc: dict, what: str = "inputs_json") -> dict:
    """Run-time inputs checked against the template and expanded once; BadInputs otherwise."""
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise BadInputs(f"{what} must be an object of input name -> value")
    problems = app.template(workflow["template_hash"]).check_inputs(inputs)
    if problems:
        raise BadInputs("; ".join(problems))
    try:
        app.graph(workflow["template_hash"], inputs, builtins_for(doc))
    except TemplateError as exc:
        raise BadInputs(exc.message) from None
    return inputs


def execution_record(project_id: str, workflow: dict, name: str, doc: dict, inputs: dict, *,
                     priority: int, created_at: float, batch_name: str = "") -> dict:
    return {"id": str(uuid.uuid4()), "project_id": project_id, "name": name,
            "workflow_id": workflow["id"], "workflow_name": workflow["name"],
            "batch_name": batch_name, "priority": priority,
            "template_hash": workflow["template_hash"], "created_at": created_at,
            "updated_at": created_at, "doc": {**doc, "inputs": inputs}, "ops": []}


def check_execution_name(value, suffix: str = "") -> str:
    check_name(value, "name", EXECUTION_NAME_MAX_BYTES)
    return check_name(f"{value}{suffix}", "name", EXECUTION_NAME_MAX_BYTES)


def insert_runs(app: Emulator, records: list[dict]) -> None:
    """Insert runs atomically, refusing taken names unless execution names may repeat."""
    with app.store.transaction():
        if app.settings.execution_names == "unique" and records:
            names = [r["name"] for r in records]
            if len(set(names)) != len(names):
                raise ExecutionNameTaken("the batch repeats a name")
            for start in range(0, len(names), 500):
                chunk = names[start:start + 500]
                marks = ",".join("?" for _ in chunk)
                taken = app.store.rows(f"SELECT name FROM executions WHERE project_id = ? AND "
                                       f"name IN ({marks})", [records[0]["project_id"], *chunk])
                if taken:
                    raise ExecutionNameTaken(f"{taken[0]['name']!r} is already used in this project")
        app.store.insert_many("executions", records)


def check_integer(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not DIGITS.match(str(value)):
        raise BadField(f"{what}={value!r} must be an integer between {low} and {high}")
    number = int(value)
    if not low <= number <= high:
        raise BadField(f"{what}={number} must be between {low} and {high}")
    return number
