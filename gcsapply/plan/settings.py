"""Edits that change no run, said once (DESIGN §2, §4).

A run keeps the launch settings it was launched with (environment, timeout, labels, ...: not in
its run key), and its priority once it is past Pending, Running and Retrying. An edit of them
changes nothing in GCS, so a plan warns about it (``applies-to-next-run``,
``priority-not-updatable``) — once: the apply that follows records the edit in the entry's
``fingerprint`` (:func:`recorded_fingerprint`, written by
:mod:`gcsapply.engine.record_changes`), and later plans stay quiet until the manifest changes
again.

An entry's ``fingerprint`` is one of two values: the fingerprint of its ``launch`` settings
(nothing recorded beyond the launch: what a launch or an adoption writes), or that of
:func:`~gcsapply.plan.views.applied_settings` of the manifest whose edits an apply recorded.
Pure functions; no I/O.
"""

from __future__ import annotations

from gcsapply.live.model import STOPPING, TERMINAL, LiveExecution
from gcsapply.manifest.model import ExecutionSpec
from gcsapply.plan.diff import FIELD_RULES, diff_fields
from gcsapply.plan.model import KIND_EXECUTION, Action, PlanWarning
from gcsapply.plan.views import applied_settings, fingerprint, launch_settings

RULES = FIELD_RULES[KIND_EXECUTION]
_SETTLED = TERMINAL | STOPPING  # statuses whose priority can no longer change


def launch_edits(entry: dict | None, spec: ExecutionSpec, key: str) -> tuple[str, ...]:
    """The launch settings (top-level names, sorted) the manifest changed since the entry's
    current run was launched; () when the entry holds no run under ``key``."""
    if not entry or entry.get("key") != key or not isinstance(entry.get("launch"), dict):
        return ()
    changed = diff_fields(entry["launch"], launch_settings(spec), RULES.next_run, rules=RULES)
    return tuple(sorted({d.path.split(".")[0].split("[")[0] for d in changed}))


def priority_settled(spec: ExecutionSpec, run: LiveExecution | None) -> bool:
    """True when the manifest's priority differs from that of a run which can no longer change
    it (Succeeded, Failed, Cancelled, or on its way out)."""
    return run is not None and run.status in _SETTLED and run.priority != spec.priority


def recorded_fingerprint(entry: dict, spec: ExecutionSpec, run: LiveExecution | None,
                         key: str) -> str | None:
    """The ``fingerprint`` an apply records for ``entry``: the manifest's settings when it has
    edits a plan warned about, else that of the launch settings (so a later return to an edit
    already recorded is said again). None when the entry has no launch settings to go by."""
    if launch_edits(entry, spec, key) or priority_settled(spec, run):
        return fingerprint(applied_settings(spec))
    if not isinstance(entry.get("launch"), dict):
        return None
    return fingerprint(entry["launch"])


def settings_warnings(spec: ExecutionSpec, gcs_name: str, entry: dict | None,
                      run: LiveExecution | None, key: str, action: Action) -> list[PlanWarning]:
    """The warnings about edits that change no run, unless an apply already recorded them."""
    fields = launch_edits(entry, spec, key)
    settled = action is not Action.RETRY and priority_settled(spec, run)  # retried: updated next
    if not (fields or settled) or (
            entry and entry.get("fingerprint") == fingerprint(applied_settings(spec))):
        return []
    warnings = []
    if fields:
        warnings.append(PlanWarning(
            spec.address, "applies-to-next-run",
            f"{', '.join(fields)} changed; launch settings are not part of the run key, so this "
            f"applies to the next run only ({gcs_name} keeps its settings)"))
    if settled:
        warnings.append(PlanWarning(
            spec.address, "priority-not-updatable",
            "priority changes only while a run is Pending, Running or Retrying; run "
            f"{run.name} is {run.status}, so priority {run.priority} -> {spec.priority} "
            "applies to the next run only"))
    return warnings
