"""The per-address inventory entries of ``state.json``: their shapes, and edits of those shapes.

Execution entry::

    {"kind": "Execution", "name", "gcs_id", "gcs_name", "key", "workflow", "workflow_id",
     "launch": {...settings the current run was launched with...}, "fingerprint",
     "deletion_policy", "run_policy": {"mode", "max_retries"}, "prevent_destroy",
     "attempts", "superseded": [{"gcs_id", "gcs_name", "key"}]}

Workflow entry::

    {"kind": "Workflow", "name", "gcs_id", "gcs_name", "digest", "versioning", "description",
     "vendor", "update_at", "fingerprint", "prevent_destroy", "created",
     "versions": [{"gcs_id", "gcs_name", "digest", "created"}]}

An entry whose current object is gone but which still tracks superseded runs or old versions
keeps ``gcs_id: null``. The functions here know only these shapes; how an applied change
updates them is the engine's (:mod:`gcsapply.engine.record_changes`).
"""

from __future__ import annotations


def superseded_after(entry: dict | None, new_key: str) -> list:
    """The entry's superseded runs, plus its current run when ``new_key`` replaces it (once)."""
    superseded = [s for s in (entry or {}).get("superseded", []) if s.get("key") != new_key]
    if entry and entry.get("gcs_id") and entry.get("key") != new_key \
            and all(s.get("gcs_id") != entry["gcs_id"] for s in superseded):
        superseded.append(superseded_record(entry))
    return superseded


def superseded_record(entry: dict) -> dict:
    """The ``superseded`` record of an execution entry's current run."""
    return {"gcs_id": entry["gcs_id"], "gcs_name": entry.get("gcs_name"), "key": entry.get("key")}


def version_record(entry: dict) -> dict:
    """The ``versions`` record of a workflow entry's current version."""
    return {"gcs_id": entry["gcs_id"], "gcs_name": entry.get("gcs_name"),
            "digest": entry.get("digest"), "created": bool(entry.get("created"))}


def drop_if_empty(entry: dict) -> dict | None:
    """None (the address leaves the state) when the entry tracks nothing any more."""
    if entry.get("gcs_id") is None and not entry.get("superseded") and not entry.get("versions"):
        return None
    return entry
