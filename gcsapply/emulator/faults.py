"""Seeded fault injection: per API request, with probability ``fault_rate``, one of four faults.

A quarter each: ``500``, ``503``, ``429``, and ``drop`` -- on writes the request is carried out
and committed, then the connection is closed without an answer; on reads the fourth quarter is
``slow500`` (``latency`` then 500). The same seed and the same request sequence give the same
faults.
"""

from __future__ import annotations

import random
import threading

FAULT_500, FAULT_503, FAULT_429, FAULT_DROP, FAULT_SLOW_500 = "500", "503", "429", "drop", "slow500"
SLOW_500_DELAY_S = 0.05  # the "latency" of a slow 500 (plus any latency_ms)


class FaultInjector:
    def __init__(self, rate: float = 0.0, seed: int = 0):
        self._lock = threading.Lock()
        self.configure(rate, seed)

    def configure(self, rate: float, seed: int) -> None:
        with self._lock:
            self.rate = float(rate)
            self.seed = int(seed)
            self._rng = random.Random(self.seed)

    def draw(self, is_write: bool) -> str | None:
        """The fault for the next request, or None."""
        with self._lock:
            if self.rate <= 0:
                return None
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.randrange(4)
        return (FAULT_500, FAULT_503, FAULT_429, FAULT_DROP if is_write else FAULT_SLOW_500)[kind]
