"""Every JSON shape the emulator answers with, rendered from what the backend returns:
executions (``{execution, object, status, enterprise_project}``), their inputs and outputs,
workflows, tools, environments, Cromwell runs and their batch delete. Nothing here reads the
store or the clock."""

from __future__ import annotations

import base64
import json

from gcsapply.emulator.backend.executions import Run
from gcsapply.emulator.cromwell_lifecycle import cromwell_snapshot
from gcsapply.emulator.lifecycle import RUNNING, SUCCEEDED, Snapshot, step_status
from gcsapply.emulator.wire import iso
from gcsapply.template.graph import DEFAULT_CPU, DEFAULT_MEMORY_GB

API_VERSION = "gene.kubedag/v1alpha1"


def execution_view(run: Run, now: float, *, detail: bool = False) -> dict:
    """The X4 object. List items (``detail`` False) leave out the per-job maps
    (``sub_job_status``, ``subObjectStatuses``, ``elementStatuses``) and ``objectData``."""
    row, snap, template = run.row, run.snapshot, run.template
    doc = row["doc"]
    steps = {name: step_view(state, snap, now, detail=detail) for name, state in snap.steps.items()}
    totals = _sum_resources(steps.values())
    duration = _span(snap.started_at, snap.finished_at, now)
    finished = sum(1 for s in steps.values() if s["status"] == SUCCEEDED)
    execution = {
        "guid": row["id"], "name": row["name"], "namespace": doc.get("namespace", ""),
        "cluster_name": doc.get("cluster_name", ""), "cluster_id": doc.get("cluster_id", ""),
        "project_id": row["project_id"], "domain_id": doc.get("domain_id", ""),
        "description": doc.get("description", ""), "status": snap.status,
        "workflow_id": row["workflow_id"], "workflow_name": row["workflow_name"],
        "workflow_scope": doc.get("workflow_scope", "domain"),
        "inputs_json": json.dumps(run.inputs, ensure_ascii=False, sort_keys=True),
        "outputs_json": _outputs_json(run.outputs) if snap.status == SUCCEEDED else "",
        "image": "", "time_duration": duration,
        "sfs_volume_name": doc.get("sfs_pvc_name", ""),
        "jobs_type": {name: f"{doc.get('target', 'cci').upper()}.Job" for name in snap.steps},
        "target": doc.get("target", "cci"), "create_at": iso(row["created_at"]),
        "update_at": iso(max(snap.updated_at, row["updated_at"])), "label": doc.get("label", {}),
        "resources": {**totals, "Percentage": 100 if duration else 0},
        "priority": row["priority"], "timeout": doc.get("timeout"),
        "batch_name": row.get("batch_name", ""),
    }
    jobs = [j for state in snap.steps.values() for j in state.jobs]
    done = sum(1 for j in jobs if j.status == SUCCEEDED)
    updated = iso(snap.updated_at)
    last_reason = snap.events[-1].reason.split("##")[-1] if snap.events else ""
    k8s = {
        "kind": "execution", "apiVersion": API_VERSION,
        "metadata": {"name": row["name"], "namespace": doc.get("namespace", ""),
                     "selfLink": f"/apis/{API_VERSION}/namespaces/{doc.get('namespace', '')}"
                                 f"/executions/{row['name']}",
                     "uid": row["id"], "annotations": {"gcs.priority": str(row["priority"])},
                     "resourceVersion": str(len(snap.events)),
                     "creationTimestamp": iso(row["created_at"])},
        "spec": {"metadata": {"labels": doc.get("label", {}), "namespace": doc.get("namespace", "")},
                 "actionName": "create", "timeoutInMinutes": doc.get("timeout"),
                 "onFailureStrategy": "DoNothing", "location": "",
                 "objectData": base64.b64encode(template).decode("ascii") if template else ""},
        "status": {
            "actionName": "create",
            "progress": int(100 * done / len(jobs)) if jobs else (100 if snap.status == SUCCEEDED else 0),
            "objectStatus": {"phase": snap.status, "message": "", "reason": last_reason,
                             "updateAt": updated},
        },
    }
    if detail:
        k8s["status"]["subObjectStatuses"] = {
            name: {"phase": s["status"], "message": "", "reason": "", "updateAt": updated,
                   "subActionName": "create", "createAt": iso(row["created_at"])}
            for name, s in steps.items()}
        k8s["status"]["elementStatuses"] = {name: s["status"] for name, s in steps.items()}
    view = {"execution": execution, "object": k8s,
            "enterprise_project": {"id": doc.get("enterprise_project_id", "0"), "name": "default"}}
    if steps:
        view["status"] = {"node_number": len(steps), "finished_node_number": finished,
                          "actual_node_status": steps}
    return view


def step_view(state, snap: Snapshot, now: float, *, detail: bool = True) -> dict:
    """One step in ``status.actual_node_status``: status, sub-jobs, duration, resources used."""
    plan = state.plan
    cpu = plan.cpu if plan.cpu is not None else DEFAULT_CPU
    memory = plan.memory_gb if plan.memory_gb is not None else DEFAULT_MEMORY_GB
    seconds, first, last = 0.0, None, None
    for job in state.jobs:
        spans = [(start, end) for start, end, _ in job.history]
        if job.status == RUNNING:
            spans.append((job.started, min(job.ended, now)))
        for start, end in spans:
            seconds += end - start
            first = start if first is None else min(first, start)
            last = end if last is None else max(last, end)
    view = {
        "name": state.name, "status": step_status(state, snap),
        "sub_job_num": len(state.jobs),
        "finished_sub_job_num": state.succeeded,
        "time_duration": int(round(last - first)) if first is not None else 0,
        "resources": {"CPU": round(cpu * seconds, 3), "GPU": 0,
                      "Memory": round(memory * seconds, 3)},
    }
    if detail:
        view["sub_job_status"] = {j.name: j.status for j in state.jobs}
    return view


def inputs_view(template, graph, doc: dict) -> dict:
    """X6: every declared input with its resolved ``value``, plus the internal PVC inputs."""
    inputs = {}
    for name, spec in template.inputs.items():
        entry = {"description": spec.description or "", "label": spec.label or "basic",
                 "type": spec.type or "string", "value": graph.inputs.get(name)}
        if spec.has_default:
            entry["default"] = spec.default
        inputs[name] = entry
    for name in ("data_pvc_name", "ref_pvc_name", "sfs_pvc_name"):
        inputs[name] = {"description": "", "label": "internal", "type": "string",
                        "value": doc.get(name, "")}
    return {"inputs": inputs}


def outputs_view(graph) -> dict:
    """X7: every declared output with its resolved paths."""
    return {"outputs": {name: {"paths": list(paths)} for name, paths in graph.outputs.items()}}


def workflow_view(row: dict) -> dict:
    """W5 (and the items of W8)."""
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


def workflow_inputs_view(template) -> dict:
    """W6: every declared input with its type, and its default, description and label if any."""
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
    return {"inputs": inputs}


def workflow_tools_view(tools: dict[str, dict | None]) -> dict:
    """W7: each ``name:version`` the steps name, described by its tool record when known."""
    shown = {}
    for ref, row in tools.items():
        name, _, version = ref.partition(":")
        doc = row["doc"] if row else {}
        shown[ref] = {"command": doc.get("command", ""), "cpu": doc.get("cpu", "2C"),
                      "description": doc.get("description", ""), "image": doc.get("image", ref),
                      "memory": doc.get("memory", "8G"), "name": name,
                      "scope": row["scope"] if row else "", "type": doc.get("type", "container"),
                      "version": version}
    return {"tools": shown}


def tool_view(row: dict) -> dict:
    """T4 (and the items of T5)."""
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


def environment_view(row: dict, now: float) -> dict:
    """E4 (and the items of E3): ``Creating`` until the environment is ready, then ``Running``."""
    doc = row["doc"]
    view = {
        "guid": row["id"], "project_id": row["project_id"], "domain_id": doc.get("domain_id", ""),
        "name": row["name"], "description": doc.get("description", ""),
        "status": "Running" if now >= doc.get("ready_at", 0) else "Creating",
        "create_at": iso(row["created_at"]), "update_at": iso(row["updated_at"]),
        "cluster_id": doc.get("cluster_id", ""), "cluster_name": doc.get("cluster_name", ""),
        "cpu": doc.get("cpu", 0), "memory": doc.get("memory", 0), "source": row["source"],
        "stack_id": doc.get("stack_id", ""), "is_gene_cluster": doc.get("is_gene_cluster", False),
        "bucket_name": doc.get("bucket_name", ""), "default_env": bool(row["default_env"]),
        "order_id": doc.get("order_id", ""), "enterprise_project": {"id": "0", "name": "default"},
    }
    if row["source"] != "cci":
        view["cluster_info"] = doc.get("cluster_info", "")
    return view


def cromwell_view(row: dict, now: float) -> dict:
    """A Cromwell run at ``now``: ``{execution, metadata, status, enterprise_project}``."""
    doc = row["doc"]
    snap = cromwell_snapshot(row, now)
    done = [c for c in snap.calls if c.status in ("Done", "Failed")]
    duration = int(round((snap.finished_at or now) - snap.started_at)) if snap.started_at else 0
    task_status = {"node_number": len(snap.calls), "finished_node_number": len(done),
                   "actual_node_status": {c.name: {
                       "name": c.name, "status": c.status, "sub_job_num": 1,
                       "finished_sub_job_num": int(c.status == "Done"),
                       "sub_job_status": {c.name: c.status},
                       "time_duration": int(round((c.end or now) - c.start)) if c.start else 0,
                       "resources": {"CPU": 0, "GPU": 0, "Memory": 0}} for c in snap.calls}}
    metadata = {"id": row["id"], "workflowName": row["workflow_name"], "status": snap.status,
                "submission": iso(row["created_at"]), "start": iso(snap.started_at),
                "end": iso(snap.finished_at), "inputs": doc.get("inputs") or {}, "outputs": {},
                "calls": {f"{row['workflow_name']}.{c.name}": [{"executionStatus": c.status,
                                                                "start": iso(c.start),
                                                                "end": iso(c.end)}]
                          for c in snap.calls}}
    return {
        "execution": {
            "guid": row["id"], "name": row["name"], "namespace": "", "project_id": row["project_id"],
            "domain_id": doc.get("domain_id", ""), "status": snap.status,
            "workflow_name": row["workflow_name"], "wdl_name": doc.get("wdl_name", ""),
            "workflow_id": doc.get("workflow_id") or "",
            "inputs_json": json.dumps(doc.get("inputs") or {}, sort_keys=True), "outputs_json": "{}",
            "image": "", "time_duration": duration, "target": "cromwell", "cromwell_type": "cce",
            "create_at": iso(row["created_at"]), "update_at": iso(snap.finished_at or snap.started_at
                                                                  or row["created_at"]),
            "task_status": task_status, "engine_deployment": f"cromwell-{doc['env_name']}",
            "env_guid": doc.get("env_guid", ""), "node_number": len(snap.calls),
            "metadata_json": json.dumps(metadata, sort_keys=True), "resources": {},
            "tae_resources": {}},
        "metadata": metadata,
        "status": task_status,
        "enterprise_project": {"id": doc.get("enterprise_project_id", "0"), "name": "default"},
    }


def cromwell_deleted_view(results) -> dict:
    """A batch delete's answer: ``{"executions": [{"id", "error"}]}``, ``error`` null for a run
    deleted, else ``{"error_code", "error_msg"}`` of what kept it."""
    return {"executions": [{"id": run_id, "error": None if error is None else
                            {"error_code": error.error_code, "error_msg": error.error_msg}}
                           for run_id, error in results]}


def _outputs_json(outputs: dict | None) -> str:
    if not outputs:
        return ""
    return json.dumps({name: {"paths": list(paths)} for name, paths in outputs.items()},
                      ensure_ascii=False, sort_keys=True)


def _sum_resources(steps) -> dict:
    cpu = sum(s["resources"]["CPU"] for s in steps)
    memory = sum(s["resources"]["Memory"] for s in steps)
    return {"CPU": round(cpu, 3), "GPU": 0, "Memory": round(memory, 3)}


def _span(start: float | None, end: float | None, now: float) -> int:
    if start is None:
        return 0
    return int(round((end if end is not None else now) - start))
