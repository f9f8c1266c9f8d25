"""The interface of a progress display, and a plain function wrapped as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._events import ProgressEvent

__all__ = ["CallbackReporter", "Reporter"]


class Reporter:
    """Receives progress events; ``close(error)`` is called once at the end."""

    def __call__(self, event: ProgressEvent) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, error: BaseException | None = None) -> None:
        pass


class CallbackReporter(Reporter):
    """A function called with each event; its ``close(error)``, if it has one, at the end."""

    def __init__(self, fn: Callable[[ProgressEvent], Any]) -> None:
        self._fn = fn

    def __call__(self, event: ProgressEvent) -> None:
        self._fn(event)

    def close(self, error: BaseException | None = None) -> None:
        close = getattr(self._fn, "close", None)
        if callable(close):
            close(error)
