"""What an ``update`` sends, decided from typed fields: the change's desired spec and the live
object it was planned against (never from the rendered diff; DESIGN §4, STYLE §1).

A run's priority is updated while the run can still change (Pending, Running, Retrying). A
workflow's description and vendor are sent when they differ (a vendor the manifest leaves empty
is the service's default, the tenant name, and is never sent); its template is uploaded anew
only under ``versioning: none`` and only when the digest the plan compared is known and differs.
An update that sends nothing is state-only (a policy change).
"""

from __future__ import annotations

from gcsapply.live.model import ACTIVE, LiveExecution, LiveWorkflow
from gcsapply.manifest.model import ExecutionSpec, WorkflowSpec


def priority_to_update(spec: ExecutionSpec, run: LiveExecution | None) -> int | None:
    """The manifest's priority when it differs on a run that can still change, else None."""
    if run is None or run.status not in ACTIVE or spec.priority == run.priority:
        return None
    return spec.priority


def workflow_fields_to_update(spec: WorkflowSpec, live: LiveWorkflow) -> dict:
    """The metadata fields that differ, as the update's ``resource`` sends them."""
    fields = {}
    if (spec.description or "") != (live.description or ""):
        fields["description"] = spec.description
    if spec.vendor and spec.vendor != (live.vendor or ""):
        fields["vendor"] = spec.vendor
    return fields


def template_to_upload(spec: WorkflowSpec, live: LiveWorkflow) -> bool:
    """True when the template must be uploaded anew (an unknown digest is never overwritten)."""
    return spec.versioning == "none" and live.digest is not None and live.digest != spec.digest
