"""The plan pipeline around the pure core: load, connect, read state, list, build.

``plan``, ``apply DIR``, ``apply FILE`` (re-plan) and ``destroy`` all go through
:func:`prepare_plan`. It never writes state: the only files it may create are
``.gcsapply/.gitignore`` and the embedded emulator's database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.config import Target, open_target, state_path
from gcsapply.live import fetch_live
from gcsapply.manifest.build import LoadedStack, load_stack
from gcsapply.plan import Plan, PlanOptions, build_plan
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
        live = fetch_live(target.api, loaded.desired, state, page_size=stack.page_size,
                          templates=loaded.templates)
        plan = build_plan(loaded.desired, live, state, options, templates=loaded.templates,
                          target_line=target.description)
    except BaseException:
        target.close()
        raise
    return PreparedPlan(plan, loaded, state, path, target, pending, notes)


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
