"""Sliding 60-second windows per credential and class (reads = GET, writes = the rest)."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque

WINDOW_S = 60.0


class SlidingWindowLimiter:
    """``admit(key, limit, now)`` -> None when admitted, else seconds to wait (Retry-After)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._windows: dict[tuple, deque] = defaultdict(deque)

    def admit(self, key: tuple, limit: int, now: float) -> float | None:
        if not limit or limit <= 0:
            return None
        with self._lock:
            window = self._windows[key]
            while window and window[0] <= now - WINDOW_S:
                window.popleft()
            if len(window) >= limit:
                return max(1.0, math.ceil(window[0] + WINDOW_S - now))
            window.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
