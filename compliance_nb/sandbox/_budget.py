"""The sandbox's rate limit: ``limit`` requests per route in each fixed window.

>>> budget = RouteBudget(limit=2, window=60)
>>> [budget.spend("get")[0] for _ in range(3)]
[True, True, False]
>>> budget.spend("list")[:3]
(True, 2, 1)
"""

from __future__ import annotations

import threading
import time

__all__ = ["RouteBudget"]


class RouteBudget:
    """``limit`` requests per route per fixed window of ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._state: dict[str, list[float]] = {}  # route -> [window start, count]

    def spend(self, route: str, count_it: bool = True) -> tuple[bool, int, int, int]:
        """Count one request (unless ``count_it`` is false); return
        (allowed, limit, remaining, reset in epoch seconds)."""
        now = time.time()
        with self._lock:
            start, count = self._state.get(route, [now, 0])
            if now >= start + self.window:
                start, count = now, 0
            allowed = count < self.limit
            if allowed and count_it:
                count += 1
            self._state[route] = [start, count]
        reset = int(start + self.window) + (0 if (start + self.window).is_integer() else 1)
        return allowed, self.limit, max(0, self.limit - int(count)), reset
