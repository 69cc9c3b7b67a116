"""State: the stack's inventory (``state.json``), its journal, and its lock (DESIGN §3).

``plan`` reads (:func:`read_current_state`: the file with the journal replayed in memory) and
never writes; ``apply``/``destroy`` append to the :class:`Journal`, :func:`compact` it into the
file atomically, and hold :mod:`gcsapply.state.lock` while they run.
"""

from gcsapply.state.file import FORMAT_VERSION, Binding, State, load_state, render_state, write_state_atomic
from gcsapply.state.journal import JOURNAL_NAME, Journal, apply_entries, compact, pending_entries, read_current_state

__all__ = ["FORMAT_VERSION", "Binding", "State", "load_state", "render_state",
           "write_state_atomic", "JOURNAL_NAME", "Journal", "apply_entries", "compact",
           "pending_entries", "read_current_state"]
