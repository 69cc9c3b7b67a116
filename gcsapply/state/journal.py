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

A torn last line (a crash or ``kill -9`` mid-write: no newline, or not JSON) is never fatal:
replay reads past it without writing, so ``plan`` stays read-only, and the first writer under
the lock (``apply``, ``destroy``; :class:`gcsapply.state.lock.StateLock`) cuts it off before
anything is appended, keeping a copy of the whole journal as ``journal.jsonl.torn-<UTC time>``.
A bad line anywhere else is a :class:`StateError` naming the line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from gcsapply.clock import SystemClock
from gcsapply.diagnostics import excerpt
from gcsapply.errors import StateError
from gcsapply.state.file import (
    JOURNAL_NAME,
    Binding,
    FileStore,
    State,
    fsync_dir,
    read_file_bytes,
    write_text_atomic,
)
from gcsapply.state.shapes import PHASES, StrictJsonError, journal_entry_problem, loads_strict

TORN_SUFFIX = ".torn-"
STALE_SUFFIX = ".stale-"

_JOURNAL_HINT = ("a journal is only ever appended, so a damaged line before its end was edited "
                 "or written by a failing disk: restore it from a backup, or move it away "
                 "while no apply runs (runs are re-found by their labels, so nothing is "
                 "launched again)")


@dataclass(frozen=True)
class TornTail:
    """The last line of a journal whose write was cut short (a crash, ``kill -9``)."""

    offset: int  # the byte where the torn line starts: the journal is cut back to here
    line: int  # its line number


class Journal:
    """The journal file beside a state file.

    Reading never writes: a torn last line is read past (:attr:`torn` says where). Taking the
    lock cuts it off (:meth:`repair`, keeping a copy of the whole journal), and so does the
    first append of a process, so a new line never joins a torn one."""

    def __init__(self, path: Path, *, clock=None, header=None):
        self.path = Path(path)
        self.clock = clock or SystemClock()
        self.header = header  # () -> entries a new journal starts with (a remote state's base)
        self.torn: TornTail | None = None  # what the last replay read past
        self._handle = None

    @classmethod
    def beside(cls, state_path: Path, *, clock=None) -> "Journal":
        return cls(Path(state_path).with_name(JOURNAL_NAME), clock=clock)

    def append(self, entry: dict) -> None:
        """Write one entry as one line and fsync it before returning."""
        if entry.get("phase") not in PHASES:
            raise ValueError(f"journal entry without a known phase: {entry!r}")
        line = _line(entry)
        if self._handle is None:
            self.repair()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")
            if self.header is not None and self._handle.tell() == 0:
                for first in self.header():
                    self._handle.write(_line(first) + "\n")
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def replay(self) -> list[dict]:
        """Every entry in order; a missing journal is empty. Writes nothing."""
        entries, self.torn = parse_journal(read_file_bytes(self.path, "the journal") or b"",
                                           where=str(self.path))
        return entries

    def pending(self) -> list[dict]:
        """``begin`` entries with no ``end``: calls whose outcome is unknown."""
        return pending_entries(self.replay())

    def repair(self) -> Path | None:
        """Cut off a torn last line so the next append starts a line of its own; first a copy
        of the whole journal is kept beside it (``journal.jsonl.torn-<UTC time>``), which is
        returned. Only a writer holding the lock calls this (apply, destroy)."""
        data = read_file_bytes(self.path, "the journal")
        torn = torn_tail(data) if data else None
        if torn is None:
            return None
        self.close()
        copy = self._copy_path()
        try:
            with open(copy, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            with open(self.path, "r+b") as handle:
                handle.truncate(torn.offset)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise StateError(f"cannot cut off the torn last line of the journal: {exc.strerror}",
                             where=str(self.path),
                             hint="make the folder writable, or move the journal away") from exc
        fsync_dir(self.path.parent)
        self.torn = None
        return copy

    def rewrite(self, entries: list[dict]) -> None:
        """Replace the journal with ``entries`` (atomically): what compaction keeps."""
        self.close()
        text = "".join(_line(e) + "\n" for e in entries)
        if not entries and not self.path.exists():
            return
        write_text_atomic(self.path, text)

    def set_aside(self) -> Path | None:
        """Move the journal away (``journal.jsonl.stale-<UTC time>``); returns where, or None
        when there is none. Only a writer holding the lock calls this."""
        self.close()
        if not self.path.exists():
            return None
        target = self._copy_path(STALE_SUFFIX)
        os.replace(self.path, target)
        fsync_dir(self.path.parent)
        return target

    def _copy_path(self, suffix: str = TORN_SUFFIX) -> Path:
        stamp = datetime.fromtimestamp(self.clock.now(), timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = self.path.with_name(f"{self.path.name}{suffix}{stamp}")
        candidate, number = base, 1
        while candidate.exists():
            number += 1
            candidate = base.with_name(f"{base.name}-{number}")
        return candidate


def parse_journal(data: bytes, *, where: str | None = None) -> tuple[list[dict], TornTail | None]:
    """The entries of a journal's bytes, and its torn last line (read past), if any.

    A torn line is the last one: it has no newline (its write was cut), or it is not JSON.
    A bad line anywhere before it is a :class:`StateError`."""
    torn = torn_tail(data)
    body = data[:torn.offset] if torn else data
    entries = []
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            entry = loads_strict(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise StateError(f"journal line {number} is not JSON: not UTF-8", where=where,
                             hint=_JOURNAL_HINT) from exc
        except json.JSONDecodeError as exc:
            raise StateError(f"journal line {number} is not JSON: {exc.msg}", where=where,
                             hint=_JOURNAL_HINT) from exc
        except StrictJsonError as exc:
            raise StateError(f"journal line {number} is not JSON: {exc}", where=where,
                             hint=_JOURNAL_HINT) from exc
        problem = journal_entry_problem(entry)
        if problem:
            raise StateError(f"journal line {number} is not a journal entry: {problem}",
                             where=where, hint=_JOURNAL_HINT)
        entries.append(entry)
    return entries, torn


def torn_tail(data: bytes) -> TornTail | None:
    """Where the torn last line of ``data`` starts, or None when every line is whole.

    The last line with content is torn when no newline follows it (its write was cut short:
    even a line that parses is dropped, as its write never returned) or when it is not JSON."""
    end = len(data.rstrip(b" \t\r\n"))
    if end == 0:
        return None
    start = data.rfind(b"\n", 0, end) + 1
    if b"\n" in data[end:] and _parses(data[start:end]):
        return None
    return TornTail(start, data.count(b"\n", 0, start) + 1)


def _parses(line: bytes) -> bool:
    try:
        loads_strict(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def pending_entries(entries: list[dict]) -> list[dict]:
    ended = {e.get("id") for e in entries if e.get("phase") == "end"}
    return [e for e in entries if e.get("phase") == "begin" and e.get("id") not in ended]


def apply_entries(state: State, entries: list[dict], *, where: str | None = None) -> State:
    """Pure: ``state`` with the ``meta`` and ``end`` entries applied, in order (entries of the
    shapes :func:`parse_journal` checks; ``where`` names the journal in errors)."""
    result = state.copy()
    changed = False
    for entry in entries:
        phase = entry.get("phase")
        if phase == "meta":
            _check_meta(entry, state, where)  # against state.json (metas of one journal may differ)
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


def _check_meta(entry: dict, state: State, where: str | None) -> None:
    """A journal started for another lineage or target must not be folded into this state."""
    lineage, binding = entry.get("lineage"), entry.get("binding")
    binding = binding and Binding(binding["endpoint"], binding["project_id"], binding["stack"])
    if lineage and state.lineage and lineage != state.lineage:
        problem = f"lineage {excerpt(lineage)} (the state's is {excerpt(state.lineage)})"
    elif binding and state.binding and binding != state.binding:
        problem = (f"{excerpt(binding.describe(), None)} (the state's is "
                   f"{excerpt(state.binding.describe(), None)})")
    else:
        return
    raise StateError(f"the journal beside the state file belongs to another state: {problem}",
                     where=where,
                     hint="move journal.jsonl (or state.json) away: each belongs with its own "
                          "state file")


def read_current_state(store) -> tuple[State, list[dict]]:
    """The stored state with the journal replayed in memory, and the pending entries. Writes
    nothing: a torn last line of the journal is read past (the next apply cuts it off).

    ``store`` is a state file's path, a :class:`~gcsapply.state.file.FileStore` or a remote
    store. This is what ``plan`` sees: completed changes not yet compacted are already owned.
    A remote state's journal that does not continue the stored state is ignored here
    (:func:`stale_journal`; the next apply sets it aside).
    """
    store = _store(store)
    state = store.read()
    journal = Journal(store.journal_path)
    entries = journal.replay()
    if stale_journal(store, state, entries):
        return state, []
    return current_state(state, entries, where=str(journal.path))


def current_state(state: State, entries: list[dict], *, where: str | None = None
                  ) -> tuple[State, list[dict]]:
    """Pure: ``state`` with a journal's ``entries`` folded in, and the pending ones."""
    if not entries:
        return state, []
    return apply_entries(state, entries, where=where), pending_entries(entries)


def stale_journal(store, state: State, entries: list[dict]) -> str | None:
    """Why a remote state's local journal does not continue ``state`` (None when it does).

    The journal of a remote state starts with a ``base`` line: the serial and lineage of the
    state it was written against. Another runner that applied since (after this one was killed
    and its lease ran out) moved the serial; folding these older lines in would overwrite its
    newer entries, and what this runner launched was adopted there by its labels."""
    if not store.requires_base or all(entry.get("phase") == "base" for entry in entries):
        return None
    base = next((entry for entry in entries if entry.get("phase") == "base"), None)
    if base is None:
        return "it has no base line (it was written for a local state)"
    if base.get("lineage") != state.lineage or base.get("serial") != state.serial:
        return (f"it continues serial {base.get('serial')} of lineage "
                f"{excerpt(str(base.get('lineage')), 12)}, and the stored state is now serial "
                f"{state.serial} of lineage {excerpt(str(state.lineage), 12)}")
    return None


def compact(store, *, clock=None) -> State:
    """Fold the journal into the stored state (an atomic write, or a compare-and-swap on a
    remote object) and keep only the pending entries; a torn last line is cut off first
    (:meth:`Journal.repair`). ``store`` is a state file's path or a store."""
    store = _store(store)
    journal = Journal(store.journal_path, clock=clock)
    journal.repair()
    entries = journal.replay()
    state = store.read()
    if not entries:
        return state
    compacted = apply_entries(state, entries, where=str(journal.path))
    if compacted.serial != state.serial or not store.exists():
        store.write(compacted)
    pending = pending_entries(entries)
    journal.rewrite(store.journal_header() + pending if pending else [])
    return compacted


def _store(store):
    return FileStore(store) if isinstance(store, (str, Path)) else store


def _line(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
