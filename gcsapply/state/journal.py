"""``journal.jsonl``: the append-only log apply writes around every mutating call (DESIGN §3).

One fsynced line before each mutating call (``phase: begin``) and one after (``phase: end``).
``state.json`` is compacted from the journal (every 100 entries, every 5 s and at exit). A
``begin`` without its ``end`` is *pending*: the call may or may not have happened; the next
apply resolves it by an exact-name lookup.

Entries (one JSON object per line)::

    {"phase": "meta",  "lineage": "...", "binding": {...}}            first apply of a lineage
    {"phase": "begin", "id": "op-1", "address": "execution/a", "action": "create",
                       "gcs_name": "a-3f2a9c1d", ...}
    {"phase": "end",   "id": "op-1", "result": "ok", "gcs_id": "...",
                       "set": {"execution/a": {...entry...}}}        null removes an address
    {"phase": "state", "set": {...}}                                 a state-only update

``set`` carries the entries the engine computed for the change
(:func:`gcsapply.engine.record_changes.state_updates`).

Replay ignores a torn last line (a crash mid-write) and refuses a torn line anywhere else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gcsapply.errors import StateError
from gcsapply.state.file import Binding, State, load_state, resources_problem, write_state_atomic, write_text_atomic

JOURNAL_NAME = "journal.jsonl"
PHASES = ("meta", "begin", "end", "state")


_JOURNAL_HINT = "a journal is only ever appended; restore it from a backup"


class Journal:
    """The journal file beside a state file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._handle = None

    @classmethod
    def beside(cls, state_path: Path) -> "Journal":
        return cls(Path(state_path).with_name(JOURNAL_NAME))

    def append(self, entry: dict) -> None:
        """Write one entry as one line and fsync it before returning."""
        if entry.get("phase") not in PHASES:
            raise ValueError(f"journal entry without a known phase: {entry!r}")
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def replay(self) -> list[dict]:
        """Every entry in order; a missing journal is empty."""
        try:
            text = self.path.read_text("utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StateError(f"cannot read the journal: {exc.strerror}",
                             where=str(self.path)) from exc
        entries = []
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                line.encode("utf-8")
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeEncodeError) as exc:
                if _is_last(lines, number):
                    break  # torn last line: the write that was cut never completed
                problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
                raise StateError(f"journal line {number} is not JSON: {problem}",
                                 where=str(self.path), hint=_JOURNAL_HINT) from exc
            if not _well_formed(entry):
                if _is_last(lines, number) and not text.endswith("\n"):
                    break  # a cut write that happens to parse (``{}`` is never written alone)
                raise StateError(f"journal line {number} is not a journal entry",
                                 where=str(self.path), hint=_JOURNAL_HINT)
            entries.append(entry)
        return entries

    def pending(self) -> list[dict]:
        """``begin`` entries with no ``end``: calls whose outcome is unknown."""
        return pending_entries(self.replay())

    def rewrite(self, entries: list[dict]) -> None:
        """Replace the journal with ``entries`` (atomically): what compaction keeps."""
        self.close()
        text = "".join(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                       + "\n" for e in entries)
        if not entries and not self.path.exists():
            return
        write_text_atomic(self.path, text)


def _is_last(lines: list[str], number: int) -> bool:
    """Line ``number`` (1-based) is the last one with content (asked only of a bad line)."""
    return all(not rest.strip() for rest in lines[number:])


def _well_formed(entry) -> bool:
    """The shape :func:`apply_entries` relies on (anything else is a damaged journal)."""
    if not isinstance(entry, dict) or entry.get("phase") not in PHASES:
        return False
    updates = entry.get("set") or {}
    if not isinstance(updates, dict) or not all(v is None or isinstance(v, dict)
                                                for v in updates.values()):
        return False
    binding = entry.get("binding")
    return not binding or (isinstance(binding, dict)
                           and all(isinstance(binding.get(k), str)
                                   for k in ("endpoint", "project_id", "stack")))


def pending_entries(entries: list[dict]) -> list[dict]:
    ended = {e.get("id") for e in entries if e.get("phase") == "end"}
    return [e for e in entries if e.get("phase") == "begin" and e.get("id") not in ended]


def apply_entries(state: State, entries: list[dict]) -> State:
    """Pure: ``state`` with the ``meta`` and ``end`` entries applied, in order."""
    result = state.copy()
    changed = False
    for entry in entries:
        phase = entry.get("phase")
        if phase == "meta":
            _check_meta(entry, state)  # against state.json (metas of one journal may differ)
            if entry.get("binding") and result.binding is None:
                b = entry["binding"]
                result.binding = Binding(b["endpoint"], b["project_id"], b["stack"])
                changed = True
            if entry.get("lineage") and result.lineage is None:
                result.lineage = entry["lineage"]
                changed = True
        elif phase in ("end", "state"):
            for address, resource in (entry.get("set") or {}).items():
                if resource is None:
                    result.resources.pop(address, None)
                else:
                    result.resources[address] = resource
                changed = True
    if changed:
        result.serial = state.serial + 1
    return result


def _check_meta(entry: dict, state: State) -> None:
    """A journal started for another lineage or target must not be folded into this state."""
    lineage, binding = entry.get("lineage"), entry.get("binding")
    binding = binding and {k: binding[k] for k in ("endpoint", "project_id", "stack")}
    if lineage and state.lineage and lineage != state.lineage:
        problem = f"lineage {lineage} (the state's is {state.lineage})"
    elif binding and state.binding and Binding(**binding) != state.binding:
        problem = f"{Binding(**binding).describe()} (the state's is {state.binding.describe()})"
    else:
        return
    raise StateError(f"the journal beside the state file belongs to another state: {problem}",
                     hint="move journal.jsonl (or state.json) away: each belongs with its own "
                          "state file")


def read_current_state(state_path: Path) -> tuple[State, list[dict]]:
    """``state.json`` with the journal replayed in memory, and the pending entries. Writes nothing.

    This is what ``plan`` sees: completed changes not yet compacted are already owned.
    """
    state = load_state(state_path)
    entries = Journal.beside(state_path).replay()
    if not entries:
        return state, []
    current = apply_entries(state, entries)
    problem = resources_problem(current.resources)
    if problem:
        raise StateError(f"the journal holds a malformed entry: {problem}",
                         where=str(Journal.beside(state_path).path), hint=_JOURNAL_HINT)
    return current, pending_entries(entries)


def compact(state_path: Path) -> State:
    """Fold the journal into ``state.json`` (atomic write) and keep only pending entries."""
    state_path = Path(state_path)
    journal = Journal.beside(state_path)
    entries = journal.replay()
    state = load_state(state_path)
    if not entries:
        return state
    compacted = apply_entries(state, entries)
    if compacted.serial != state.serial or not state_path.exists():
        write_state_atomic(state_path, compacted)
    journal.rewrite(pending_entries(entries))
    return compacted
