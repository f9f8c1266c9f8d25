"""The request budget shared by every process of this machine that uses one App.

X counts 150 requests per 15 minutes per route and App, whoever sends them: two notebooks
polling long jobs spend one budget. :class:`SharedRateBudget` keeps the send times of every
route in one small file beside the job ledger (``rate_budget.json`` in
``$COMPLIANCE_NB_CACHE_DIR`` or the user cache folder), read and written under an exclusive
file lock for each slot taken, so that every process waits for the same slots. An App is
told apart by a hash of its API URL and bearer token (the token itself is never written).
Where the file cannot be used (no file locks, a folder that cannot be written), the budget
counts this process's requests only, as :class:`~compliance_nb.api.ratelimit.RateBudget`.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "rate_budget.json"
>>> one = SharedRateBudget(path, app_key("https://api.x.com", "token"), limit=2, window=60)
>>> two = SharedRateBudget(path, app_key("https://api.x.com", "token"), limit=2, window=60)
>>> one.acquire("GET /2/compliance/jobs/:id", lambda s: None)
0.0
>>> two.used("GET /2/compliance/jobs/:id"), two.delay("GET /2/compliance/jobs/:id")
(1, 0.0)
>>> _ = two.acquire("GET /2/compliance/jobs/:id", lambda s: None)
>>> one.delay("GET /2/compliance/jobs/:id") > 55
True
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._cachedir import default_cache_dir
from .ratelimit import RateBudget

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: each process keeps its own count
    fcntl = None  # type: ignore[assignment]

__all__ = ["BUDGET_FILE", "SharedRateBudget", "app_key", "shared_budget"]

#: The file's name in the cache folder.
BUDGET_FILE = "rate_budget.json"


def app_key(base_url: str, token: str) -> str:
    """Which App a budget belongs to: a hash of the API URL and the bearer token.

    >>> len(app_key("https://api.x.com", "secret")), "secret" in app_key("u", "secret")
    (16, False)
    """
    return hashlib.sha256(f"{base_url}\n{token}".encode()).hexdigest()[:16]


class SharedRateBudget(RateBudget):
    """A :class:`~compliance_nb.api.ratelimit.RateBudget` kept in a file shared by processes.

    Parameters
    ----------
    path : path-like
        The budget file (created 0600).
    app : str
        The App's key (:func:`app_key`).
    limit, window, clock
        As for :class:`~compliance_nb.api.ratelimit.RateBudget`; the clock must be the wall
        clock (the file's times are epoch seconds).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        app: str,
        limit: int,
        window: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(limit, window, clock)
        self.path = Path(path)
        self.app = app

    @contextmanager
    def _state(self) -> Iterator[None]:
        with self._lock:
            fd = self._open()
            if fd is None:  # this process's own counts, as a plain budget
                yield
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                data = _read(fd)
                found = data.get(self.app)
                mine: dict[str, Any] = found if isinstance(found, dict) else {}
                self._sent = {
                    str(route): sorted(float(t) for t in stamps)
                    for route, stamps in (mine.get("sent") or {}).items()
                }
                self._blocked_until = {
                    str(route): float(until) for route, until in (mine.get("blocked") or {}).items()
                }
                yield
                now = self.clock()
                data[self.app] = self._dump()
                # the Apps whose every count has aged out go (a sandbox is a new App each time)
                data = {
                    key: value
                    for key, value in data.items()
                    if isinstance(value, dict) and float(value.get("expires", 0)) > now
                }
                _write(fd, data)
            finally:
                os.close(fd)  # releases the lock

    def _open(self) -> int | None:
        if fcntl is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None

    def _dump(self) -> dict[str, Any]:
        """This App's state, without what has aged out."""
        now = self.clock()
        sent = {}
        for route, stamps in self._sent.items():
            kept = [t for t in stamps if t > now - self.window]
            if kept:
                sent[route] = kept
        blocked = {route: until for route, until in self._blocked_until.items() if until > now}
        ends = [stamps[-1] + self.window for stamps in sent.values()] + list(blocked.values())
        return {"sent": sent, "blocked": blocked, "expires": max(ends, default=0.0)}


def _read(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"{}")
    except ValueError:  # a file cut short (a process killed while writing): start afresh
        return {}
    return data if isinstance(data, dict) else {}


def _write(fd: int, data: dict[str, Any]) -> None:
    payload = json.dumps(data, separators=(",", ":")).encode()
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, payload)


def shared_budget(base_url: str, token: str | None, limit: int, window: float) -> RateBudget:
    """The budget for one App: shared through the cache folder's file when there is a
    token, else this process's own.

    >>> type(shared_budget("https://api.x.com", None, 150, 900.0)).__name__
    'RateBudget'
    """
    if token is None:
        return RateBudget(limit, window)
    path = default_cache_dir() / BUDGET_FILE
    return SharedRateBudget(path, app_key(base_url, token), limit, window)
