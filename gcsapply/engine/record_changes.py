"""How an applied change updates the state's inventory (the entries of :mod:`gcsapply.state.entries`).

:func:`state_updates` is pure: the recorder (:mod:`gcsapply.engine.recorder`) calls it after a
change succeeded and journals the ``{address: entry | None}`` it returns. It reads the change's
typed ``desired`` spec and ``live`` object, never its rendered diff. The entry of a spec
records the views plan compares (:mod:`gcsapply.plan.views`), so this module sits in the engine,
which may import both plan and state; state itself knows no plan.
"""

from __future__ import annotations

import copy

from gcsapply.manifest.model import ExecutionSpec, WorkflowSpec
from gcsapply.plan.model import KIND_EXECUTION, KIND_WORKFLOW, Action, Change
from gcsapply.plan.settings import recorded_fingerprint
from gcsapply.plan.views import execution_policies, fingerprint, launch_settings, workflow_after
from gcsapply.state.entries import drop_if_empty, superseded_after, version_record


def execution_entry(spec: ExecutionSpec, *, gcs_id: str | None, workflow_id: str | None = None,
                    attempts: int = 0, superseded=(), launch: dict | None = None) -> dict:
    """A run launched (or adopted) under ``spec``: its ``fingerprint`` is that of the settings
    it was launched with, as no edit of them has been recorded yet (:mod:`gcsapply.plan.settings`)."""
    launch = launch if launch is not None else launch_settings(spec)
    return {
        "kind": KIND_EXECUTION, "name": spec.name, "gcs_id": gcs_id, "gcs_name": spec.gcs_name,
        "key": spec.key, "workflow": spec.workflow, "workflow_id": workflow_id,
        "launch": launch, "fingerprint": fingerprint(launch),
        **execution_policies(spec),
        "attempts": attempts, "superseded": list(superseded),
    }


def workflow_entry(spec: WorkflowSpec, *, gcs_id: str | None, created: bool, versions=(),
                   update_at: str | None = None) -> dict:
    after = workflow_after(spec)
    return {
        "kind": KIND_WORKFLOW, "name": spec.name, "gcs_id": gcs_id, "gcs_name": spec.gcs_name,
        "digest": spec.digest, "versioning": spec.versioning,
        "description": after["description"], "vendor": after["vendor"],
        "update_at": update_at, "fingerprint": fingerprint(after),
        "prevent_destroy": spec.prevent_destroy, "created": created,
        "versions": list(versions),
    }


def state_updates(resources: dict, change: Change, *, gcs_id: str | None = None,
                  workflow_id: str | None = None) -> dict:
    """``{address: new entry | None}`` after ``change`` succeeded (None removes the address).

    ``resources`` is the state's inventory as it is now; ``gcs_id`` the id a create returned;
    ``workflow_id`` the workflow a launched run uses. Returns ``{}`` when state is unchanged.
    """
    owner = change.owner
    entry = copy.deepcopy(resources.get(owner))
    if change.kind == KIND_EXECUTION:
        new = (_execution_version(entry, change) if change.is_version
               else _execution(entry, change, gcs_id, workflow_id))
    else:
        new = (_workflow_version(entry, change) if change.is_version
               else _workflow(entry, change, gcs_id))
    if new is _UNCHANGED or new == resources.get(owner):
        return {}
    return {owner: new}


_UNCHANGED = object()


def _execution(entry, change: Change, gcs_id, workflow_id):
    spec, live = change.desired, change.live
    action = change.action
    if action is Action.CREATE:
        superseded = [s for s in superseded_after(entry, spec.key) if s.get("gcs_id") != gcs_id]
        return execution_entry(spec, gcs_id=gcs_id, workflow_id=workflow_id,
                               superseded=superseded)
    if action in (Action.DELETE, Action.FORGET):
        if entry and entry.get("superseded"):
            entry.update(gcs_id=None, gcs_name=None, key=None)
            return entry
        return None
    if spec is None:
        return _UNCHANGED
    if entry is None or entry.get("key") != spec.key or entry.get("gcs_id") is None:
        if live is None or live.id is None:
            return _UNCHANGED  # nothing launched under this key: nothing to own yet
        entry = execution_entry(spec, gcs_id=live.id, workflow_id=live.workflow_id,
                                superseded=superseded_after(entry, spec.key))
    entry.update(execution_policies(spec))
    # a run cancelled or retried now has its priority looked at again by the next plan
    _record_settings(entry, spec, live if action in (Action.NOOP, Action.UPDATE) else None)
    if action is Action.RETRY:
        entry["attempts"] = int(entry.get("attempts") or 0) + 1
    return entry


def _record_settings(entry: dict, spec: ExecutionSpec, live) -> None:
    """Remember the edits a plan warned about that change no run (a launch setting, the
    priority of a finished run), so the next plan does not warn again."""
    recorded = recorded_fingerprint(entry, spec, live, spec.key)
    if recorded is not None:
        entry["fingerprint"] = recorded


def _execution_version(entry, change: Change):
    record = {"gcs_id": change.gcs_id, "gcs_name": change.gcs_name,
              "key": (change.before or {}).get("key")}
    if change.action in (Action.DELETE, Action.FORGET):
        if entry is None:
            return _UNCHANGED
        entry["superseded"] = [s for s in entry.get("superseded", [])
                               if s.get("gcs_id") != change.gcs_id]
        return drop_if_empty(entry)
    if entry is None:
        entry = {"kind": KIND_EXECUTION, "name": change.name, "gcs_id": None, "gcs_name": None,
                 "key": None, "superseded": []}
    if any(s.get("gcs_id") == change.gcs_id for s in entry.get("superseded", [])):
        return _UNCHANGED
    entry.setdefault("superseded", []).append(record)
    return entry


def _workflow(entry, change: Change, gcs_id):
    spec, live, action = change.desired, change.live, change.action
    if action in (Action.CREATE, Action.REPLACE):
        versions = list((entry or {}).get("versions", []))
        if entry and entry.get("gcs_id") and entry.get("gcs_id") != gcs_id \
                and entry.get("digest") != spec.digest and entry.get("created"):
            versions.append(version_record(entry))  # only what we created is ever deleted
        return workflow_entry(spec, gcs_id=gcs_id, created=True, versions=versions)
    if action in (Action.DELETE, Action.FORGET):
        if entry and entry.get("versions"):
            entry.update(gcs_id=None, gcs_name=None, digest=None)
            return entry
        return None
    if spec is None or live is None or live.id is None:
        return _UNCHANGED
    if entry is None or entry.get("gcs_id") != live.id:
        versions = list((entry or {}).get("versions", []))
        if entry and entry.get("gcs_id") and entry.get("gcs_id") != live.id \
                and entry.get("created"):
            versions.append(version_record(entry))
        return workflow_entry(spec, gcs_id=live.id, created=False, versions=versions,
                              update_at=live.update_at)
    created = bool(entry.get("created"))
    return workflow_entry(spec, gcs_id=live.id, created=created,
                          versions=entry.get("versions", []),
                          update_at=None if action is Action.UPDATE else live.update_at)


def _workflow_version(entry, change: Change):
    if change.action in (Action.DELETE, Action.FORGET):
        if entry is None:
            return _UNCHANGED
        entry["versions"] = [v for v in entry.get("versions", [])
                             if v.get("gcs_id") != change.gcs_id]
        return drop_if_empty(entry)
    return _UNCHANGED  # old versions enter state only through a create (they are ours)
