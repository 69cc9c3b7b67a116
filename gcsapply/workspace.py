"""The plan pipeline around the pure core: load, connect, read state, list, build.

``plan``, ``apply DIR``, ``apply FILE`` (re-plan) and ``destroy`` all go through
:func:`prepare_plan`. It never writes state: the only files it may create are
``.gcsapply/.gitignore`` and the embedded emulator's database.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.config import Target, open_target, state_path
from gcsapply.live.fetch import fetch_live
from gcsapply.manifest.build import LoadedStack, load_stack
from gcsapply.plan.build import Plan, PlanOptions, build_plan, run_keys
from gcsapply.state.file import State
from gcsapply.state.journal import read_current_state
from gcsapply.state.lock import LOCK_NAME, read_lock


@dataclass
class PreparedPlan:
    """A plan with everything it was made from. Close it (or use ``with``) to release the
    target (an embedded emulator stops)."""

    plan: Plan
    loaded: LoadedStack
    state: State
    state_path: Path
    target: Target
    pending: list[dict] = field(default_factory=list)  # journal entries of unknown outcome
    notes: list[str] = field(default_factory=list)  # for stderr: lock held, pending entries

    def close(self) -> None:
        self.target.close()

    def __enter__(self) -> "PreparedPlan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def prepare_plan(root: Path, options: PlanOptions | None = None, *, clock=None,
                 emulator_factory=None, environ=None, stop_event=None,
                 allow_empty: bool = False) -> PreparedPlan:
    """Load the stack under ``root``, open its target, and plan. Raises on bad input."""
    options = options or PlanOptions()
    loaded = load_stack(Path(root), allow_empty=allow_empty or options.destroy)
    stack = loaded.desired.stack
    path = state_path(stack)
    state, pending = read_current_state(path)
    notes = _lock_notes(path) + _pending_notes(pending)
    target = open_target(stack, clock=clock, emulator_factory=emulator_factory,
                         environ=environ, stop_event=stop_event)
    try:
        state.check_binding(target.binding, path=path)
        keys = run_keys(loaded.desired)
        live = fetch_live(target.api, loaded.desired, state, page_size=stack.page_size,
                          templates=loaded.templates, keys=keys)
        plan = build_plan(loaded.desired, live, state, options, templates=loaded.templates,
                          target_line=target.description, keys=keys)
    except BaseException:
        target.close()
        raise
    return PreparedPlan(plan, loaded, state, path, target, pending, notes)


@contextmanager
def fewer_collections(threshold: int = 50_000):
    """Run a plan with the cyclic garbage collector mostly out of the way.

    Planning allocates many small, acyclic objects (a record, a view and a change per run);
    the default collector thresholds make it rescan them over and over, a quarter of the CPU
    of a 10,000-run plan. Objects alive on entry are frozen; settings are restored on exit.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _lock_notes(path: Path) -> list[str]:
    holder = read_lock(path.with_name(LOCK_NAME))
    if holder is None:
        return []
    return [f"warning: the state is locked by {holder.describe()}; an apply may be changing "
            "GCS right now, so this plan may already be out of date"]


def _pending_notes(pending: list[dict]) -> list[str]:
    if not pending:
        return []
    addresses = ", ".join(sorted({e.get("address", "?") for e in pending}))
    return [f"note: {len(pending)} journal entr{'y' if len(pending) == 1 else 'ies'} of unknown "
            f"outcome ({addresses}); the next apply resolves them by exact-name lookup, and "
            "this plan already shows what GCS holds"]
