"""Apply's side of the journal: record every mutating call, compact, resolve what a crash left.

:class:`ApplyRecorder` wraps :class:`gcsapply.state.Journal` for the engine's worker threads:
one fsynced ``begin`` line before each mutating call and one ``end`` line after it, the end of
a change's last call carrying the state updates
(:func:`gcsapply.engine.record_changes.state_updates`).
``state.json`` is compacted every 100 entries, every 5 seconds and at close — under the same
lock as the appends, so compaction never loses a line.

:func:`resolve_pending` runs at the start of the next apply: every ``begin`` without its
``end`` (a crash, ``kill -9``, a second Ctrl-C) is resolved by exact-name lookups. Found with
our labels: adopted (the state records it). Not found: closed as absent, so the change is simply
planned again -- but a create begun so recently that it may still be on its way to GCS is
looked for until it could no longer land (:func:`look_until_settled`, also what
:mod:`gcsapply.engine.calls` does after an unknown outcome). A call is never repeated before
this has happened.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from pathlib import Path

from gcsapply.client.api import execution_guid
from gcsapply.engine.record_changes import state_updates
from gcsapply.errors import Interrupted, StateError
from gcsapply.live.lookup import find_execution, find_workflow, run_status
from gcsapply.live.model import DELETING, LiveExecution
from gcsapply.plan.model import Action, Change
from gcsapply.state import State, compact
from gcsapply.state.backend import LocalBackend

COMPACT_EVERY_ENTRIES = 100
COMPACT_EVERY_SECONDS = 5.0
SETTLE_GRACE_SECONDS = 30.0  # beyond the request timeout, how long a sent call may still land
LOOKUP_FIRST_DELAY_SECONDS = 1.0
LOOKUP_MAX_DELAY_SECONDS = 10.0


class ApplyRecorder:
    """Thread-safe journaling of one apply; holds the inventory as it is now."""

    def __init__(self, store, state: State, clock, *, binding=None):
        """``store``: the workspace's state backend (or, in tests, a state file's path)."""
        self.store = LocalBackend(store) if isinstance(store, (str, Path)) else store
        self.state_path = getattr(self.store, "path", None)
        self.journal = self.store.open_journal(clock=clock)
        self.push_problem: StateError | None = None  # a remote push that failed mid-apply
        self.resources = {address: entry for address, entry in state.resources.items()}
        self.clock = clock
        self._binding = binding
        self._needs_meta = state.lineage is None
        self._lock = threading.Lock()
        self._since_compaction = 0
        self._last_compaction = clock.monotonic()
        self.entries_written = 0

    def begin(self, change: Change, call: str, **extra) -> str:
        """Journal the intent to send ``call`` for ``change``; returns the entry id."""
        entry_id = uuid.uuid4().hex
        self._append({"phase": "begin", "id": entry_id, "address": change.address,
                      "kind": str(change.kind), "action": str(change.action), "call": call,
                      "gcs_name": change.gcs_name, "gcs_id": change.gcs_id,
                      "at": self.clock.now(), **extra})
        return entry_id

    def end(self, entry_id: str | None, change: Change, *, ok: bool, gcs_id: str | None = None,
            final: bool = True, workflow_id: str | None = None, **extra) -> None:
        """Journal the outcome; the end of a change's last successful call updates state."""
        entry = {"phase": "end", "id": entry_id or uuid.uuid4().hex, "address": change.address,
                 "ok": ok, "gcs_id": gcs_id, **extra}
        with self._lock:
            if ok and final:
                updates = state_updates(self.resources, change, gcs_id=gcs_id,
                                        workflow_id=workflow_id)
                if updates:
                    entry["set"] = updates
                    for address, resource in updates.items():
                        if resource is None:
                            self.resources.pop(address, None)
                        else:
                            self.resources[address] = resource
            self._append_locked(entry)

    def record(self, change: Change, *, gcs_id: str | None = None) -> None:
        """A change that makes no call (noop adoption, forget, policy-only update).

        Journaled only when state learns something: an unchanged stack of 10,000 runs writes
        (and fsyncs) no line at all."""
        gcs_id = gcs_id if gcs_id is not None else change.gcs_id
        with self._lock:
            if not state_updates(self.resources, change, gcs_id=gcs_id):
                return
        self.end(None, change, ok=True, gcs_id=gcs_id)

    def close(self) -> State:
        """Compact the journal into the stored state; returns the state written."""
        with self._lock:
            return self._compact_locked(final=True)

    def _append(self, entry: dict) -> None:
        with self._lock:
            self._append_locked(entry)

    def _append_locked(self, entry: dict) -> None:
        if self._needs_meta:
            self.journal.append({"phase": "meta", "lineage": str(uuid.uuid4()),
                                 "binding": self._binding.to_json() if self._binding else None})
            self._needs_meta = False
        self.journal.append(entry)
        self.entries_written += 1
        self._since_compaction += 1
        if (self._since_compaction >= COMPACT_EVERY_ENTRIES
                or self.clock.monotonic() - self._last_compaction >= COMPACT_EVERY_SECONDS):
            self._compact_locked()

    def _compact_locked(self, *, final: bool = False) -> State | None:
        """Fold the journal into the stored state. A remote push that fails mid-apply (the
        store did not answer) is tried again at the next compaction and at close: the journal
        keeps every line until a push succeeds, and a worker's call is never failed for it."""
        self.journal.close()  # compaction replaces the file: reopen it for the next append
        self._since_compaction = 0
        self._last_compaction = self.clock.monotonic()
        try:
            state = compact(self.store, clock=self.clock)
        except StateError as exc:
            if final or not self.store.requires_base:
                raise
            self.push_problem = exc
            return None
        self.push_problem = None
        return state


def resolve_pending(pending: list[dict], api, recorder: ApplyRecorder, desired) -> list[str]:
    """Close every pending entry by an exact-name lookup; returns one note per entry.

    A create whose ``begin`` is recent may still be on its way to GCS (a crash just after
    sending it): its lookups go on until it could no longer land (:func:`settle_seconds` after
    the ``begin``), so an immediate re-plan never launches it a second time."""
    specs = {}
    for spec in list(desired.workflows.values()) + list(desired.executions.values()):
        specs[spec.gcs_name] = spec
    notes = []
    for entry in pending:
        notes.append(_resolve_one(entry, api, recorder, specs.get(entry.get("gcs_name")),
                                  desired.stack.name))
    return notes


def settle_seconds(api) -> float:
    """How long after a call was sent it may still land: the request timeout plus a grace
    period (a request the client gave up on may still be queued on its way to the service)."""
    return api.request_timeout + SETTLE_GRACE_SECONDS


def look_until_settled(lookup, seconds: float, clock, *, stop=None,
                       first_delay: float = LOOKUP_FIRST_DELAY_SECONDS):
    """``lookup()`` until it finds something or ``seconds`` have passed on ``clock``, with
    backoff between lookups (the last one at or after the deadline). Returns what was found, or
    None. Raises :class:`Interrupted` when ``stop`` is set while waiting."""
    deadline = clock.monotonic() + max(0.0, seconds)
    delay = first_delay
    while True:
        found = lookup()
        if found:
            return found
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            return None
        _sleep(clock, min(delay, remaining), stop)
        delay = min(delay * 2, LOOKUP_MAX_DELAY_SECONDS)


def _sleep(clock, seconds: float, stop) -> None:
    while seconds > 0:
        if stop is not None and stop.is_set():
            raise Interrupted("stopping while the outcome of a call is unknown")
        step = min(0.5, seconds)
        clock.sleep(step)
        seconds -= step


def _still_landing(entry: dict, api, clock) -> float:
    """Seconds a pending call begun at ``entry["at"]`` may still take to land (0 when that
    time is past; a begin without a time is an old one)."""
    began = entry.get("at")
    if not isinstance(began, (int, float)) or isinstance(began, bool):
        return 0.0
    now = clock.now()
    return max(0.0, min(began, now) + settle_seconds(api) - now)


def _resolve_one(entry: dict, api, recorder: ApplyRecorder, spec, stack_name: str) -> str:
    call = str(entry.get("call", ""))
    name = entry.get("gcs_name")
    address = entry.get("address") or "?"
    known = entry.get("action") is not None and name is not None and "/" in address
    change = Change(address=address, kind=entry.get("kind"), name=address.split("/", 1)[-1],
                    gcs_name=name, gcs_id=entry.get("gcs_id"),
                    action=Action(entry["action"]) if known else Action.NOOP,
                    reason=None, before=None, after=None, desired=spec)
    if not known:  # too incomplete to look up; what landed, plan finds by our labels
        recorder.end(entry.get("id"), change, ok=False, final=False, resolved="re-planned")
        return f"{address}: an interrupted {call or 'call'} is planned again from what GCS shows"
    if call == "create_execution":
        labels = entry.get("labels") or (spec.gcs_labels(stack_name) if spec else None)
        found = look_until_settled(lambda: find_execution(api, name, labels),
                                   _still_landing(entry, api, recorder.clock), recorder.clock)
        gcs_id = execution_guid(found) if found else None
        recorder.end(entry.get("id"), change, ok=found is not None, gcs_id=gcs_id,
                     final=spec is not None, workflow_id=entry.get("workflow_id"),
                     resolved="adopted" if found else "absent")
        return (f"{address}: an interrupted launch of {name} was found and adopted" if found
                else f"{address}: an interrupted launch of {name} never happened; planned again")
    if call == "create_workflow":
        found = look_until_settled(lambda: find_workflow(api, name),
                                   _still_landing(entry, api, recorder.clock), recorder.clock)
        recorder.end(entry.get("id"), change, ok=found is not None,
                     gcs_id=found.get("id") if found else None, final=spec is not None,
                     resolved="adopted" if found else "absent")
        return (f"{address}: an interrupted upload of {name} was found and adopted" if found
                else f"{address}: an interrupted upload of {name} never happened; planned again")
    if call.startswith("delete_"):
        if call == "delete_execution":
            found = find_execution(api, name, None, gcs_id=entry.get("gcs_id"))
            gone = found is None or run_status(found) == DELETING
        else:
            gone = find_workflow(api, name, gcs_id=entry.get("gcs_id")) is None
        recorder.end(entry.get("id"), change, ok=gone, gcs_id=entry.get("gcs_id"), final=gone,
                     resolved="deleted" if gone else "still-there")
        return f"{address}: an interrupted delete of {name} " + (
            "completed" if gone else "did not happen; planned again")
    if call == "operate_execution:retry":
        # Whether the retry landed cannot always be told apart from a fast new failure; it
        # counts as an attempt either way, so an interrupted retry never adds a run.
        found = find_execution(api, name, None, gcs_id=entry.get("gcs_id"))
        live = LiveExecution.from_item(found) if found else None
        recorder.end(entry.get("id"), dataclasses.replace(change, live=live),
                     ok=found is not None, gcs_id=entry.get("gcs_id"),
                     final=found is not None and spec is not None, resolved="counted")
        return f"{address}: an interrupted retry of {name} counts as an attempt"
    # operate cancel/update, workflow update: plan compares live again and decides
    recorder.end(entry.get("id"), change, ok=False, final=False, resolved="re-planned")
    return f"{address}: an interrupted {call} of {name} is planned again from what GCS shows"
