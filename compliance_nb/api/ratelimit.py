"""The per-route request budget: never more than N requests per window on one route.

X allows 150 requests per 15 minutes on each compliance route, per app. The client
asks :class:`RateBudget` for a slot before every API request; when the next request
would exceed the budget, :meth:`RateBudget.acquire` sleeps until the oldest request
in the window falls out of it. The API's own ``x-rate-limit-remaining`` and
``x-rate-limit-reset`` headers are honoured as well (:meth:`RateBudget.observe`):
when they say nothing is left, the budget waits until the reset time.

>>> now = [0.0]
>>> budget = RateBudget(limit=2, window=10.0, clock=lambda: now[0])
>>> def sleep(s):
...     now[0] += s
>>> [budget.acquire("GET /2/compliance/jobs/:id", sleep) for _ in range(3)]
[0.0, 0.0, 10.0]
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from ..rules.limits import RATE_LIMIT, RATE_WINDOW

__all__ = ["RateBudget"]


class RateBudget:
    """A sliding-window request budget per route, shared by every call of one client.

    Parameters
    ----------
    limit
        requests allowed per window on one route (X: 150).
    window
        the window length in seconds (X: 900).
    clock
        wall-clock seconds (``time.time``); the reset headers are epoch seconds.

    Thread-safe: a background run and the notebook may share one client.
    """

    def __init__(
        self,
        limit: int = RATE_LIMIT,
        window: float = RATE_WINDOW,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window <= 0:
            raise ValueError("window must be positive")
        self.limit = limit
        self.window = float(window)
        self.clock: Callable[[], float] = clock or time.time
        self._sent: dict[str, list[float]] = {}  # sorted send times per route
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _state(self) -> Iterator[None]:
        """Hold the budget's state (here: this process's lock) while it is read or changed."""
        with self._lock:
            yield

    def _prune(self, route: str, now: float) -> list[float]:
        sent = self._sent.setdefault(route, [])
        cut = bisect_right(sent, now - self.window)
        if cut:
            del sent[:cut]
        return sent

    def delay(self, route: str) -> float:
        """Seconds to wait before a request on ``route`` fits the budget (0 if it fits now)."""
        with self._state():
            now = self.clock()
            return max(0.0, self._wait(self._prune(route, now), route, now))

    def _wait(self, sent: list[float], route: str, now: float) -> float:
        """Seconds until one more request on ``route`` fits (call with the lock held)."""
        wait = 0.0
        if len(sent) >= self.limit:
            wait = sent[len(sent) - self.limit] + self.window - now
        return max(wait, self._blocked_until.get(route, 0.0) - now)

    def acquire(self, route: str, sleep: Callable[[float], None]) -> float:
        """Wait (through ``sleep``) until a request on ``route`` fits, then count it.

        Returns the total seconds waited.
        """
        waited = 0.0
        while True:
            with self._state():
                now = self.clock()
                sent = self._prune(route, now)
                wait = self._wait(sent, route, now)
                if wait <= 0:
                    sent.append(now)  # now >= every earlier stamp: stays sorted
                    return waited
            sleep(wait)
            waited += wait

    def observe(self, route: str, headers: Mapping[str, str]) -> None:
        """Take the API's ``x-rate-limit-remaining`` / ``x-rate-limit-reset`` into account.

        When the API says no request is left, no request is sent on ``route`` before the
        reset time. When it says fewer are left than the local count allows, the local
        window is filled up so the two agree.
        """
        remaining = _int_header(headers, "x-rate-limit-remaining")
        reset = _int_header(headers, "x-rate-limit-reset")
        if remaining is None:
            return
        with self._state():
            now = self.clock()
            sent = self._prune(route, now)
            if remaining <= 0 and reset is not None and reset > now:
                self._blocked_until[route] = max(self._blocked_until.get(route, 0.0), reset)
            local_left = self.limit - len(sent)
            # The server counts calls this client did not see (other processes, same app):
            # count them here too, as if made just early enough to age out at the reset.
            stamp = now if reset is None else min(now, max(reset - self.window, now - self.window))
            for _ in range(max(0, min(local_left - remaining, self.limit))):
                insort(sent, stamp)

    def block_until(self, route: str, epoch_seconds: float) -> None:
        """Send nothing on ``route`` before ``epoch_seconds`` (after a 429)."""
        with self._state():
            self._blocked_until[route] = max(self._blocked_until.get(route, 0.0), epoch_seconds)

    def used(self, route: str) -> int:
        """Requests counted on ``route`` in the current window."""
        with self._state():
            return len(self._prune(route, self.clock()))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
