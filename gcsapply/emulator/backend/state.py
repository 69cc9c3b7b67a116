"""The emulator's state: settings, store, clock, counters and caches -- the ``app`` that every
handler and backend function takes first. Also what a new tenant gets the first time its
project is seen, and the pure caches of parsed templates, expanded graphs and run snapshots."""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, fields

from gcsapply.clock import SystemClock
from gcsapply.emulator.credentials import EmulatorCredentials
from gcsapply.emulator.errors import BadField
from gcsapply.emulator.faults import FaultInjector
from gcsapply.emulator.lifecycle import Facts, Snapshot, simulate
from gcsapply.emulator.ratelimit import SlidingWindowLimiter
from gcsapply.emulator.seed import public_tool_records, tenant_environment_records
from gcsapply.emulator.store import Store
from gcsapply.template.parse import Template, parse_template

EXECUTION_NAMES = ("unique", "any")
MAX_CLOCK_OFFSET_S = 315_576_000.0  # ten years of 365.25 days: per advance, and in all
# the numeric settings: (type, lowest, highest); checked before anything changes
SETTING_BOUNDS: dict[str, tuple[type, float, float]] = {
    "job_seconds": (float, 0.0, 30 * 86_400.0),
    "reads_per_minute": (int, 0, 10**9),
    "writes_per_minute": (int, 0, 10**9),
    "latency_ms": (float, 0.0, 60_000.0),
    "fault_rate": (float, 0.0, 1.0),
    "fault_seed": (int, -(2**63 - 1), 2**63 - 1),
}


@dataclass
class Settings:
    """Knobs that ``PUT /_emulator/faults`` may change at run time."""

    job_seconds: float = 5.0
    reads_per_minute: int = 0
    writes_per_minute: int = 0
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_seed: int = 0
    execution_names: str = "unique"

    def updated(self, changes: dict) -> "Settings":
        """A copy with ``changes`` applied and checked; BadField names what is wrong."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise BadField(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        values = asdict(self)
        for name, value in changes.items():
            values[name] = _convert_setting(name, value)
        return Settings(**values)


class OffsetClock:
    """System time plus an offset that ``POST /_emulator/clock`` moves forward, never back and
    never beyond ``MAX_CLOCK_OFFSET_S``; ``persist(offset)`` is called with the new offset before
    the clock moves (a served emulator keeps it in its database)."""

    def __init__(self, offset: float = 0.0, base=None, persist=None):
        self.base = base or SystemClock()
        self.offset = float(offset)
        self._persist = persist
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.base.now() + self.offset

    def monotonic(self) -> float:
        return self.base.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (checked by the caller: finite, >= 0); ValueError if the
        offset would pass ``MAX_CLOCK_OFFSET_S``, and then nothing moves or is stored."""
        with self._lock:
            offset = self.offset + float(seconds)
            if offset > MAX_CLOCK_OFFSET_S:
                raise ValueError(f"the clock is {self.offset:.0f} s ahead of system time; it may "
                                 f"be at most {MAX_CLOCK_OFFSET_S:.0f} s (ten years) ahead in all")
            if self._persist is not None:
                self._persist(offset)
            self.offset = offset

    def sleep(self, seconds: float) -> None:
        self.base.sleep(seconds)


class Emulator:
    """State shared by the handlers and the backend. Thread-safe: the store locks, caches lock."""

    def __init__(self, store: Store, clock, credentials: EmulatorCredentials, settings: Settings):
        self.store = store
        self.clock = clock
        self.credentials = credentials
        self.initial_settings = settings
        self.settings = settings
        self.limiter = SlidingWindowLimiter()
        self.faults = FaultInjector(settings.fault_rate, settings.fault_seed)
        self._stats: Counter = Counter()
        self._lock = threading.Lock()
        self._templates: OrderedDict = OrderedDict()
        self._graphs: OrderedDict = OrderedDict()
        self._snapshots: OrderedDict = OrderedDict()
        self._seed_public_tools()

    # --- settings, stats, reset ---------------------------------------------------------------
    def configure(self, changes: dict) -> Settings:
        settings = self.settings.updated(changes)
        if {"fault_rate", "fault_seed"} & set(changes):
            self.faults.configure(settings.fault_rate, settings.fault_seed)
        self.settings = settings
        return settings

    def count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    def stats(self) -> dict:
        with self._lock:
            return dict(sorted(self._stats.items()))

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()

    def reset(self) -> None:
        """Forget every resource, token and counter; restore the settings given at start."""
        self.store.reset()
        self.reset_stats()
        self.limiter.clear()
        self.settings = self.initial_settings
        self.faults.configure(self.settings.fault_rate, self.settings.fault_seed)
        with self._lock:
            self._snapshots.clear()
        self._seed_public_tools()

    # --- tenants ------------------------------------------------------------------------------
    def ensure_tenant(self, project_id: str) -> None:
        """Seed a project the first time it is seen, like a new GCS tenant."""
        if self.store.tenant_seeded(project_id):
            return
        now = self.clock.now()
        with self.store.transaction():
            if self.store.tenant_seeded(project_id):
                return
            self.store.insert_many("environments", tenant_environment_records(
                project_id, self.credentials.domain_id, now))
            self.store.mark_tenant(project_id, now)

    # --- templates, graphs, snapshots (pure caches) ---------------------------------------------
    def template(self, digest: str) -> Template:
        with self._lock:
            cached = self._templates.get(digest)
        if cached is not None:
            return cached
        template = parse_template(self.store.get_template(digest) or b"", "workflow.yaml")
        with self._lock:
            _remember(self._templates, digest, template, 256)
        return template

    def graph(self, digest: str, inputs: dict, builtins: dict):
        key = (digest, json.dumps(inputs, sort_keys=True, default=str),
               json.dumps(builtins, sort_keys=True))
        with self._lock:
            cached = self._graphs.get(key)
        if cached is not None:
            return cached
        graph = self.template(digest).expand(inputs, builtins=builtins)
        with self._lock:
            _remember(self._graphs, key, graph, 1024)
        return graph

    def snapshot(self, row: dict, now: float | None = None) -> Snapshot:
        """The run's state at ``now`` (default: the clock), from its stored facts only."""
        now = self.clock.now() if now is None else now
        key = (row["id"], len(row["ops"]))
        with self._lock:
            cached = self._snapshots.get(key)
        if cached is not None:
            return cached
        doc = row["doc"]
        builtins = builtins_for(doc)
        facts = Facts(row["name"], row["id"], row["created_at"], doc["job_seconds"],
                      doc["pending_seconds"], row["ops"], doc.get("fail_first_job", False),
                      doc.get("inputs") or {})
        graph = self.graph(row["template_hash"], doc.get("inputs") or {}, builtins)
        snap = simulate(graph, facts, now,
                        lambda inputs: self.graph(row["template_hash"], inputs, builtins))
        if snap.next_change_at is None:  # stable until the next operation: safe to keep
            with self._lock:
                _remember(self._snapshots, key, snap, 50_000)
        return snap

    def _seed_public_tools(self) -> None:
        if self.store.scalar("SELECT COUNT(*) FROM tools WHERE scope = 'public'"):
            return
        self.store.insert_many("tools", public_tool_records(self.clock.now()))


def builtins_for(doc: dict) -> dict:
    """Values of the ``${GCS_*_PVC}`` built-ins for a run."""
    return {"GCS_SFS_PVC": doc.get("sfs_pvc_name", ""),
            "GCS_DATA_PVC": doc.get("data_pvc_name", "gene-data-pvc"),
            "GCS_REF_PVC": doc.get("ref_pvc_name", "gene-ref-pvc")}


def _remember(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def valid_clock_offset(value: str | None) -> float | None:
    """A stored clock offset as a float, or None when it is not one this emulator would store."""
    try:
        offset = float(value or "0")
    except ValueError:
        return None
    return offset if 0 <= offset <= MAX_CLOCK_OFFSET_S else None  # NaN fails both


def _convert_setting(name: str, value):
    if name == "execution_names":
        if not isinstance(value, str) or value not in EXECUTION_NAMES:
            raise BadField(f"execution_names={value!r} must be one of {', '.join(EXECUTION_NAMES)}")
        return value
    kind, low, high = SETTING_BOUNDS[name]
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or (kind is int and value != int(value))):
        raise BadField(f"{name}={value!r} must be {'an integer' if kind is int else 'a number'} "
                       f"between {_show(low)} and {_show(high)}")
    if not low <= value <= high:
        raise BadField(f"{name}={value!r} must be between {_show(low)} and {_show(high)}")
    return kind(value)


def _show(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)
