"""Client-side rate limiting: one token bucket per call class, and interruptible waiting.

A bucket for ``L`` calls per minute holds at most ``max(1, floor(0.05 * L))`` tokens, refills at
``0.95 * L / 60`` tokens per second and starts full. In any 60-second window it hands out at
most ``capacity + 0.95 * L < L + 1`` tokens, i.e. never more than ``L``, and in steady state
95 % of ``L``. ``L = 0`` disables the bucket.
"""

from __future__ import annotations

import math
import threading

from gcsapply.clock import SystemClock
from gcsapply.errors import Interrupted

# Float slack: a clock near 1.7e9 s resolves ~2.4e-7 s, so a token due within a microsecond is
# granted now (the 60-second bound keeps a margin of 0.05 * L tokens).
_SLACK_S = 1e-6


class TokenBucket:
    """Hands out call tokens at a sustained ``0.95 * limit_per_minute / 60`` per second.

    Kept as a "theoretical arrival time" (GCRA), the exact equivalent of a token bucket that is
    robust to float rounding on clocks near 1.7e9 s: a token is available when
    ``tat - now <= (capacity - 1) * interval``; taking it moves ``tat`` one interval on."""

    def __init__(self, limit_per_minute: float, clock=None):
        if limit_per_minute < 0:
            raise ValueError("limit_per_minute must be >= 0")
        self.limit_per_minute = limit_per_minute
        self.clock = clock or SystemClock()
        self.capacity = max(1, math.floor(0.05 * limit_per_minute)) if limit_per_minute else 0
        self.rate_per_s = 0.95 * limit_per_minute / 60.0
        self._interval = 1.0 / self.rate_per_s if self.rate_per_s else 0.0
        self._tolerance = (self.capacity - 1) * self._interval
        self._origin = self.clock.monotonic()  # times kept relative to it: small floats, exact sums
        self._tat = 0.0  # starts full
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit_per_minute > 0

    def __repr__(self) -> str:
        return f"TokenBucket(limit_per_minute={self.limit_per_minute}, capacity={self.capacity})"

    def acquire(self, cancel_event: threading.Event | None = None) -> float:
        """Take one token, waiting through the clock if needed; returns the seconds waited.

        Raises :class:`Interrupted` if ``cancel_event`` is (or becomes) set while waiting, and
        then takes no token: a call waiting for a token has not started."""
        waited = 0.0
        while True:
            if cancel_event is not None and cancel_event.is_set():
                raise Interrupted("interrupted while waiting for a rate-limit token")
            if not self.enabled:
                return waited
            with self._lock:
                now = self.clock.monotonic() - self._origin
                tat = max(self._tat, now)
                delay = tat - now - self._tolerance
                if delay <= _SLACK_S:
                    self._tat = tat + self._interval
                    return waited
            wait_interruptibly(self.clock, delay, cancel_event)
            waited += delay

    def available(self) -> float:
        """Tokens available now (for display and tests)."""
        if not self.enabled:
            return float("inf")
        with self._lock:
            now = self.clock.monotonic() - self._origin
            return self.capacity - (max(self._tat, now) - now) / self._interval


def wait_interruptibly(clock, seconds: float, cancel_event: threading.Event | None) -> None:
    """Sleep ``seconds`` through ``clock``; raise :class:`Interrupted` if ``cancel_event`` is set.

    With the real clock the wait ends as soon as the event is set; an injected clock sleeps
    (instantly, for ``ManualClock``) and the event is checked before and after."""
    if cancel_event is not None and cancel_event.is_set():
        raise Interrupted("interrupted while waiting")
    if seconds <= 0:
        return
    if cancel_event is not None and isinstance(clock, SystemClock):
        if cancel_event.wait(seconds):
            raise Interrupted("interrupted while waiting")
        return
    clock.sleep(seconds)
    if cancel_event is not None and cancel_event.is_set():
        raise Interrupted("interrupted while waiting")
