"""Progress events: how the client and the pipeline tell a display what is happening.

Every long step emits :class:`ProgressEvent` objects to a callback
(``Callable[[ProgressEvent], None]``). The notebook widget, the terminal lines and
tests all consume the same events. Events never carry the bearer token; ``job`` is a
:class:`~compliance_nb.Job`, whose repr masks the signed URLs.

Stages, in the order a job normally passes them::

    creating -> created -> uploading* -> uploaded -> processing* -> downloading* ->
    downloaded -> joined

plus, at any point, ``waiting`` (a rate limit: ``wait_seconds`` until it resets),
``queued`` (before its job is created, the run waits for another run or job of its kind:
``message`` says which job, its status and how long the run has waited,
``elapsed_seconds`` the time waited, ``wait_seconds`` the time to the next check),
``retrying`` (a transient error: ``wait_seconds`` until the next try, ``message`` says
what failed), ``reattached`` (an existing job found in the ledger or by name),
``cached`` (results reused from the ledger), ``failed`` (``message`` holds the error
text) and ``cancelled``. Starred stages repeat with updated numbers.

A run over a JSON-lines collection (``apply_compliance_jsonl``) also reports its two
passes over the source file: ``reading``* (pass 1, before the jobs) and ``writing``*
(pass 2, after them). Their events have ``kind=None`` and ``job_id=None``;
``bytes_done``/``bytes_total`` count the source file's bytes on disk (for a gzip file,
the compressed bytes read so far), and the last event of each pass has
``bytes_done == bytes_total``.

>>> ev = ProgressEvent("uploading", kind="tweets", job_id="1", bytes_done=5, bytes_total=10)
>>> ev.fraction
0.5
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .api.job import Job

__all__ = [
    "STAGES",
    "CancelToken",
    "ProgressCallback",
    "ProgressEvent",
    "Stage",
    "emit",
    "job_event",
]

Stage = Literal[
    "creating",
    "created",
    "reattached",
    "cached",
    "uploading",
    "uploaded",
    "processing",
    "downloading",
    "downloaded",
    "joined",
    "waiting",
    "queued",
    "retrying",
    "failed",
    "cancelled",
    "reading",
    "writing",
]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of progress of one job (or, before a job exists, of one kind).

    A ``progress=`` function receives these; the notebook panel and the terminal lines
    are built on the same events. Every field but ``stage`` is optional: each stage sets
    those that mean something for it.

    Parameters
    ----------
    stage : str
        What is happening: one of :data:`STAGES` (see the module docstring).
    kind : str, optional
        ``"tweets"`` or ``"users"``; None for ``reading``/``writing``.
    job_id : str, optional
        The job's ID, once it exists.
    job_name : str, optional
        The job's name, if it has one.
    job : Job, optional
        The latest :class:`~compliance_nb.Job` seen, if any.
    bytes_done : int, optional
        Bytes sent or received so far (``uploading``, ``downloading``); for
        ``reading``/``writing``, bytes of the source file read so far.
    bytes_total : int, optional
        The size of that transfer or file, when known.
    wait_seconds : float, optional
        For ``waiting``/``retrying``, how long until the next try; for ``processing``
        and ``queued``, how long until the next poll.
    elapsed_seconds : float, optional
        For ``processing``, the time since the upload finished; for ``queued``, the time
        waited so far.
    message : str, optional
        A sentence for a person (never containing secrets).
    counts : dict of str to int, optional
        For ``joined``: ``checked``, ``available`` and one entry per reason.
    part : int, optional
        When the IDs are split over several jobs, which one this is (1-based).
    parts : int, optional
        When the IDs are split over several jobs, how many there are.

    Examples
    --------
    A ``progress=`` function that prints each transfer's share and each job's end:

    >>> def show(event):
    ...     if event.fraction is not None:
    ...         print(f"{event.kind} {event.stage}: {event.fraction:.0%}")
    ...     elif event.stage == "joined":
    ...         print(f"{event.kind} job {event.job_id}: {event.counts['checked']} checked")
    >>> show(ProgressEvent("uploading", kind="tweets", job_id="42", bytes_done=5,
    ...                    bytes_total=20))
    tweets uploading: 25%
    >>> show(ProgressEvent("joined", kind="tweets", job_id="42",
    ...                    counts={"checked": 2, "available": 1, "deleted": 1}))
    tweets job 42: 2 checked
    """

    stage: Stage
    kind: str | None = None
    job_id: str | None = None
    job_name: str | None = None
    job: Job | None = field(default=None, repr=False)
    bytes_done: int | None = None
    bytes_total: int | None = None
    wait_seconds: float | None = None
    elapsed_seconds: float | None = None
    message: str | None = None
    counts: dict[str, int] | None = None
    part: int | None = None
    parts: int | None = None

    @property
    def fraction(self) -> float | None:
        """``bytes_done / bytes_total`` when both are known, else None."""
        if self.bytes_done is None or not self.bytes_total:
            return None
        return min(1.0, self.bytes_done / self.bytes_total)


ProgressCallback = Callable[[ProgressEvent], None]


def job_event(
    stage: Stage, job: Job | None, *, kind: str | None = None, **fields: Any
) -> ProgressEvent:
    """The event of ``stage`` for ``job``, tagged with the job's kind, ID and name.

    Parameters
    ----------
    stage : str
        What is happening (one of :data:`STAGES`).
    job : Job or None
        The job the event is about; ``None`` before a job exists (then only ``kind``
        tags the event).
    kind : str, optional
        ``"tweets"`` or ``"users"``; by default the job's type.
    **fields
        The other fields of :class:`ProgressEvent` (``bytes_done``, ``message``, ...).

    Returns
    -------
    ProgressEvent
        The event, with ``job`` set to the job.

    Examples
    --------
    >>> from compliance_nb.api.job import Job
    >>> job = Job(id="7", type="users", status="created", name="mine")
    >>> ev = job_event("created", job)
    >>> ev.kind, ev.job_id, ev.job_name, ev.job is job
    ('users', '7', 'mine', True)
    >>> job_event("retrying", None, kind="tweets", wait_seconds=1.0).job_id is None
    True
    """
    if job is None:
        return ProgressEvent(stage, kind=kind, **fields)
    return ProgressEvent(
        stage, kind=kind or job.type, job_id=job.id, job_name=job.name, job=job, **fields
    )


def emit(callback: ProgressCallback | None, event: ProgressEvent) -> None:
    """Send ``event`` to ``callback`` if there is one. A display must never break a job,
    so exceptions from the callback are logged and swallowed."""
    if callback is None:
        return
    try:
        callback(event)
    except Exception:  # pragma: no cover - defensive
        import logging

        logging.getLogger("compliance_nb").exception("progress callback failed")


class CancelToken:
    """A flag a background run sets to ask the pipeline to stop.

    Long waits (polling, rate-limit sleeps, retry back-off) call :meth:`sleep`, which
    returns early and raises :class:`~compliance_nb.JobCancelledError` once cancelled.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            from ._exceptions import JobCancelledError

            raise JobCancelledError("The run was cancelled.")

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``; raise JobCancelledError as soon as cancelled."""
        if seconds > 0:
            self._event.wait(seconds)
        self.raise_if_cancelled()
