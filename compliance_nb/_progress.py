"""Progress display (placeholder until the widget panel lands): concise lines on stderr.

``resolve_progress(progress)`` turns the user's ``progress=`` argument into a reporter:
an object you call with each :class:`~compliance_nb.ProgressEvent`, then ``close()``.
"""

from __future__ import annotations

import sys
from typing import Any

from ._events import ProgressEvent

__all__ = ["Reporter", "resolve_progress"]


class Reporter:
    """Receives progress events; ``close(error)`` is called once at the end."""

    def __call__(self, event: ProgressEvent) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, error: BaseException | None = None) -> None:
        pass


class _Lines(Reporter):
    def __call__(self, event: ProgressEvent) -> None:
        if event.stage in ("uploading", "downloading", "processing"):
            return
        msg = f" {event.message}" if event.message else ""
        print(f"[{event.kind or '-'} {event.job_id or '-'}] {event.stage}{msg}", file=sys.stderr)


class _Callback(Reporter):
    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def __call__(self, event: ProgressEvent) -> None:
        self._fn(event)


def resolve_progress(progress: Any) -> Reporter | None:
    """``"auto"``/``True``: a display; ``False``/``None``: nothing; a callable: that callable."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress if isinstance(progress, Reporter) else _Callback(progress)
    return _Lines()
