"""The body of a launch (``create_execution``) built from an :class:`ExecutionSpec`.

The run's name and labels carry its identity (DESIGN §2): ``<name>-<key[:8]>`` and the labels
``gcsapply-stack`` / ``gcsapply-key``, which is how a lost state or an unknown outcome is
resolved without launching twice; ``gcsapply-lineage`` names the state that launched it (the
lineage written to that state), so a plan tells another stack of the same name from this one
(DESIGN §3). The environment is named in the manifest and resolved here to
its cluster id, from one environments listing per apply.
"""

from __future__ import annotations

import threading

from gcsapply.errors import PlanRefusedError


def execution_body(spec, stack_name: str, workflow_id: str, cluster_id: str | None, *,
                   lineage: str | None = None) -> dict:
    body = {"name": spec.gcs_name, "workflow_id": workflow_id,
            "sfs_pvc_name": spec.sfs_pvc_name or "", "namespace": spec.namespace or "",
            "inputs_json": dict(spec.inputs), "timeout": spec.timeout,
            "priority": spec.priority, "target": spec.target,
            "label": spec.gcs_labels(stack_name, lineage)}
    if spec.description:
        body["description"] = spec.description
    if cluster_id:
        body["cluster_id"] = cluster_id
    advanced = {"image_pull_policy": spec.image_pull_policy}
    if spec.job_retry_count is not None:
        advanced["job_retry_count"] = str(spec.job_retry_count)
    body["advanced_options"] = advanced
    if spec.notification:
        notification = spec.notification
        endpoints = {key: list(notification[key]) for key in ("email", "sms")
                     if notification.get(key)}
        body["notification"] = {"events": list(notification.get("events") or []),
                                "endpoints": endpoints}
    return body


class EnvironmentResolver:
    """Environment name -> cluster id, from a single listing made on first use."""

    def __init__(self, api):
        self._api = api
        self._lock = threading.Lock()
        self._clusters: dict[str, str] | None = None

    def cluster_id(self, name: str | None) -> str | None:
        if not name:
            return None
        with self._lock:
            if self._clusters is None:
                self._clusters = {env.get("name"): env.get("cluster_id") or ""
                                  for env in self._api.list_environments()}
        if name not in self._clusters:
            raise PlanRefusedError(f"environment {name!r} does not exist",
                                   hint="list them with the GCS console; plan checks this too")
        return self._clusters[name] or None
