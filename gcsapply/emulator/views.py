"""Execution JSON as GCS shows it: ``{execution, object, status, enterprise_project}``."""

from __future__ import annotations

import base64
import json

from gcsapply.emulator.lifecycle import RUNNING, SUCCEEDED, Snapshot, step_status
from gcsapply.emulator.rules import iso
from gcsapply.template.graph import DEFAULT_CPU, DEFAULT_MEMORY_GB

API_VERSION = "gene.kubedag/v1alpha1"


def execution_view(row: dict, snap: Snapshot, now: float, *, detail: bool = False,
                   template: bytes | None = None, outputs: dict | None = None) -> dict:
    """The X4 object. List items (``detail`` False) leave out the per-job maps
    (``sub_job_status``, ``subObjectStatuses``, ``elementStatuses``) and ``objectData``."""
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
        "inputs_json": json.dumps(current_inputs(row), ensure_ascii=False, sort_keys=True),
        "outputs_json": _outputs_json(outputs) if snap.status == SUCCEEDED else "",
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
    return {"outputs": {name: {"paths": list(paths)} for name, paths in graph.outputs.items()}}


def _outputs_json(outputs: dict | None) -> str:
    if not outputs:
        return ""
    return json.dumps({name: {"paths": list(paths)} for name, paths in outputs.items()},
                      ensure_ascii=False, sort_keys=True)


def current_inputs(row: dict) -> dict:
    """The inputs given at create, as replaced by the latest retry that gave inputs."""
    inputs = row["doc"].get("inputs") or {}
    for op in row["ops"]:
        inputs = op.get("inputs") or inputs
    return inputs


def _sum_resources(steps) -> dict:
    cpu = sum(s["resources"]["CPU"] for s in steps)
    memory = sum(s["resources"]["Memory"] for s in steps)
    return {"CPU": round(cpu, 3), "GPU": 0, "Memory": round(memory, 3)}


def _span(start: float | None, end: float | None, now: float) -> int:
    if start is None:
        return 0
    return int(round((end if end is not None else now) - start))
