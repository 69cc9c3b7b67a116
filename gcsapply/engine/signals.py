"""Ctrl-C and SIGTERM during apply (DESIGN §5).

The first signal sets a stop :class:`threading.Event` shared with the engine's dispatcher and
the session's token-bucket waits: nothing new starts (a call still waiting for a token has not
started), calls in flight finish, state is written, and the command exits 130. A second signal
raises :class:`~gcsapply.errors.Interrupted` at once in the main thread; the journal already
records what was in flight, and the next apply resolves it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from gcsapply.errors import Interrupted

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class StopSignals:
    """Turns the first SIGINT/SIGTERM into ``stop.set()`` and the second into ``Interrupted``.

    ``on_first(name)`` is called once, in the main thread, when the first signal arrives
    (commands use it to tell the user what happens next). Handlers are installed only in the
    main thread and restored on exit, so the class is also usable from tests in a worker.
    """

    def __init__(self, stop: threading.Event | None = None,
                 on_first: Callable[[str], None] | None = None):
        self.stop = stop if stop is not None else threading.Event()
        self.on_first = on_first
        self.received: list[str] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def trigger(self, name: str = "Ctrl-C") -> None:
        """What a signal does, for callers that are not the signal machinery (and tests)."""
        self.received.append(name)
        if len(self.received) == 1:
            self.stop.set()
            if self.on_first is not None:
                self.on_first(name)
            return
        again = " again" if name == self.received[0] else ""
        raise Interrupted(f"{name}{again}: stopped at once",
                          hint="calls in flight are in the journal; the next apply resolves them")

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def _handle(self, signum, frame) -> None:  # noqa: ARG002 - signal API
        self.trigger(_NAMES.get(signum, f"signal {signum}"))
