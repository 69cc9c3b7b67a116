"""Exact-name lookups: how apply learns whether a call with an unknown outcome took effect.

The list operations filter ``name`` by substring, so every match is checked exactly here. A run
is ours only when it carries our labels (``gcsapply-stack`` and ``gcsapply-key``):
:func:`labels_match` is that rule, for plan's listing as for apply's lookups. Lookups are list
calls (reads), which the session may retry freely.
"""

from __future__ import annotations

from gcsapply.client.api import execution_guid
from gcsapply.live.model import listed_execution
from gcsapply.manifest.model import LABEL_KEY, LABEL_STACK


def find_execution(api, gcs_name: str, labels: dict | None, *, gcs_id: str | None = None
                   ) -> dict | None:
    """The listed run named exactly ``gcs_name`` (with our ``labels``, or this ``gcs_id``).

    With several matches (possible only under ``--execution-names any``) the oldest wins, so
    every lookup of the same name adopts the same run.
    """
    matches = [item for item in api.list_executions(name=gcs_name)
               if listed_execution(item).get("name") == gcs_name
               and (gcs_id is None or execution_guid(item) == gcs_id)
               and (labels is None or labels_match(listed_execution(item).get("label"), labels))]
    if not matches:
        return None
    return min(matches, key=lambda item: (listed_execution(item).get("create_at") or "",
                                          execution_guid(item) or ""))


def find_workflow(api, gcs_name: str, *, gcs_id: str | None = None) -> dict | None:
    """The tenant's workflow named exactly ``gcs_name`` (or with this ``gcs_id``)."""
    for workflow in api.list_workflows(name=gcs_name, scope="domain"):
        if workflow.get("name") == gcs_name and (gcs_id is None or workflow.get("id") == gcs_id):
            return workflow
    return None


def labels_match(found: dict | None, ours: dict) -> bool:
    """True when the run's labels ``found`` carry our stack and key labels."""
    found = found or {}
    return all(found.get(name) == ours.get(name) for name in (LABEL_STACK, LABEL_KEY))


def run_status(item: dict | None) -> str | None:
    return listed_execution(item).get("status") if item else None


def run_priority(item: dict | None) -> int | None:
    value = listed_execution(item).get("priority") if item else None
    return int(value) if value is not None else None
