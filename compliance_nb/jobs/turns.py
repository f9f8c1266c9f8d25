"""Taking turns: X allows one running job per kind per App, so runs of one kind queue.

Three places where a run may have to wait for another before it creates its job:

* **in this process** (:func:`kind_turn`): runs of one kind against one API take turns in
  the order they asked (a FIFO per API and kind), so several ``start_compliance`` calls
  queue instead of failing; a Tweets run and a users run never wait for each other;
* **on this machine, the same IDs** (:func:`same_ids_turn`): a lock file per ID set beside
  the ledger lets the first process run the job while the others wait, then find its
  results in the ledger;
* **at X** (:func:`wait_for_other_job`): another run's job (another machine, another
  ledger, another tool) holds the kind; the run polls that job, within the rate budget,
  until it has ended (complete, failed or expired), then creates its own.

Every wait reports ``queued`` events (what it waits for, that job's status, how long it
has waited), stops at once for a :class:`~compliance_nb.CancelToken` or a
``KeyboardInterrupt``, and never cancels anything it waits for.

>>> check_on_conflict("wait")
'wait'
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._events import CancelToken
from .._exceptions import ConflictError, InputError

if TYPE_CHECKING:
    from ..api.client import ComplianceClient
    from ..api.job import Job

__all__ = [
    "ON_CONFLICT",
    "check_on_conflict",
    "conflict_error",
    "kind_turn",
    "let_creator_upload",
    "pause",
    "poll_interval",
    "same_ids_turn",
    "wait_for_other_job",
]

#: What a run does when another job of its kind is running: wait for it, or raise.
ON_CONFLICT = ("wait", "raise")

#: A waiting run reports again after this many seconds even when nothing changed.
_REPORT_EVERY = 5.0
#: The longest pause between two polls of the job waited for.
_MAX_POLL = 60.0

Report = Callable[[str, float, float | None], None]


def check_on_conflict(value: Any) -> str:
    """Check ``on_conflict=``, before anything is sent.

    Parameters
    ----------
    value : Any
        ``"wait"`` or ``"raise"``.

    Returns
    -------
    str
        The value.

    Raises
    ------
    InputError
        Any other value.

    Examples
    --------
    >>> check_on_conflict("later")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    compliance_nb.InputError: on_conflict='later': give 'wait' (the default: ...) or 'raise' ...
    """
    if isinstance(value, str) and value in ON_CONFLICT:
        return value
    raise InputError(
        f"on_conflict={value!r}: give 'wait' (the default: wait for the other job of this "
        "kind to end, then run) or 'raise' (raise ConflictError at once)."
    )


def format_wait(seconds: float) -> str:
    """A wait as a person reads it.

    >>> format_wait(4.2), format_wait(75), format_wait(3725)
    ('4 s', '1 min 15 s', '1 h 02 min')
    """
    total = int(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


def pause(seconds: float, cancel: CancelToken | None) -> None:
    """Sleep; a cancel token or a ``KeyboardInterrupt`` ends it at once."""
    if cancel is not None:
        cancel.sleep(seconds)  # raises JobCancelledError once cancelled
    elif seconds > 0:
        time.sleep(seconds)  # a KeyboardInterrupt ends it


# -- in this process --------------------------------------------------------------------
class _Queue:
    """Tickets served in order: the FIFO of one API and kind."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.next_ticket = 0
        self.serving = 0
        self.left: set[int] = set()  # tickets given up while queued

    def _advance(self) -> None:
        self.serving += 1
        while self.serving in self.left:
            self.left.discard(self.serving)
            self.serving += 1
        self.cond.notify_all()


_queues: dict[tuple[str, str], _Queue] = {}
_queues_lock = threading.Lock()


def _forget_queues() -> None:
    """In a forked child: the parent's runs are not there, nor their turns."""
    global _queues_lock
    _queues.clear()
    _queues_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_forget_queues)


@contextmanager
def kind_turn(
    base_url: str, kind: str, cancel: CancelToken | None, report: Report
) -> Iterator[None]:
    """Hold this process's turn for ``kind`` at ``base_url``; wait for it in order.

    ``report(message, waited, None)`` is called when the run has to wait, and then every
    few seconds.
    """
    with _queues_lock:
        queue = _queues.setdefault((base_url, kind), _Queue())
    with queue.cond:
        ticket = queue.next_ticket
        queue.next_ticket += 1
    started = time.monotonic()
    try:
        while True:
            with queue.cond:
                if queue.serving == ticket:
                    break
                ahead = ticket - queue.serving - len([t for t in queue.left if t < ticket])
            waited = time.monotonic() - started
            report(
                f"queued behind {ahead} other {kind} run{'s' if ahead != 1 else ''} of this "
                f"session (X runs one {kind} job at a time); waited {format_wait(waited)}",
                waited,
                None,
            )
            deadline = time.monotonic() + _REPORT_EVERY
            while time.monotonic() < deadline:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                with queue.cond:
                    if queue.serving == ticket:
                        break
                    queue.cond.wait(0.1)  # short: a KeyboardInterrupt or cancel ends it soon
            # loop: served now, or time to report again
    except BaseException:
        with queue.cond:
            if queue.serving == ticket:
                queue._advance()
            else:
                queue.left.add(ticket)
        raise
    try:
        yield
    finally:
        with queue.cond:
            queue._advance()


# -- the same IDs on this machine -----------------------------------------------------------
try:  # POSIX: an advisory lock the system releases when the holder dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: the API's job name still finds the job
    fcntl = None  # type: ignore[assignment]


@contextmanager
def same_ids_turn(
    folder: Path, fingerprint: str, cancel: CancelToken | None, report: Report
) -> Iterator[None]:
    """Hold the machine-wide lock of one ID set (a file in ``folder``); wait for it.

    The lock is released when the holder ends, however it ends (the system drops it with
    the process). Where file locks are not available, nothing is held.
    """
    if fcntl is None:
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder / f"{fingerprint[:32]}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a folder we cannot write: the job's name still finds a running job
        yield
        return
    try:
        started = time.monotonic()
        reported = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited - reported >= _REPORT_EVERY or reported == 0.0:
                    reported = max(waited, 1e-9)
                    report(
                        "another run on this machine is checking the same IDs; waiting to "
                        f"use its results; waited {format_wait(waited)}",
                        waited,
                        None,
                    )
                pause(0.1, cancel)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- another job at X ---------------------------------------------------------------------
def poll_interval(client: ComplianceClient, job: Job, last: float, now: float) -> float:
    """Seconds until the next poll of a job another run is waiting for.

    At most a third of the route's budget goes to the wait (the run whose job it is
    polls it too), the pause grows by half each time up to a minute, and an
    ``estimated_completion`` further away sets the pace.

    >>> from compliance_nb.api.client import ComplianceClient
    >>> from compliance_nb.api.job import Job
    >>> client = ComplianceClient(bearer_token="t", base_url="http://127.0.0.1:1")
    >>> poll_interval(client, Job(id="1", type="tweets", status="in_progress"), 0.0, 0.0)
    18.0
    """
    floor = 3.0 * client.rate_window / client.rate_limit
    interval = min(_MAX_POLL, max(floor, last * 1.5))
    eta = job.estimated_completion
    if eta is not None and eta.timestamp() - now > interval:
        interval = min(_MAX_POLL, eta.timestamp() - now)
    return interval


def wait_for_other_job(
    client: ComplianceClient,
    job: Job,
    cancel: CancelToken | None,
    report: Report,
) -> Job:
    """Poll ``job`` (another run's) until it has ended; return it as last seen.

    Ended: ``complete``, ``failed`` or ``expired``, or ``created`` long after its upload
    window closed (it will never run), or gone. The job is never cancelled or changed.
    """
    from .._exceptions import NotFoundError
    from ..api.waiting import never_uploaded

    started = time.monotonic()
    interval = 0.0
    while True:
        if job.is_terminal or never_uploaded(job):
            return job
        interval = poll_interval(client, job, interval, time.time())
        waited = time.monotonic() - started
        report(
            f"waiting for {job.type} job {job.id} ({job.status}), which another run started "
            f"(X runs one {job.type} job at a time); waited {format_wait(waited)}",
            waited,
            interval,
        )
        pause(interval, cancel)
        try:
            job = client.get_job(job.id)
        except NotFoundError:
            return job


#: A ``created`` job for the same IDs is left this long (from its creation) to the run that
#: made it, to start its upload.
CREATOR_GRACE = 10.0


def let_creator_upload(
    client: ComplianceClient, job: Job, cancel: CancelToken | None, report: Report
) -> Job:
    """A ``created`` job for the same IDs that another run made moments ago: give that run
    time to start its upload (two uploads of the same IDs would race), then return the job.

    Short, since the other run may be a kernel killed after the job's creation (and a large
    upload keeps the job ``created`` until it ends: then both upload the same bytes, which
    costs time, not results).
    """
    while job.status == "created" and job.created_at is not None:
        age = time.time() - job.created_at.timestamp()
        if age >= CREATOR_GRACE:
            break
        report(
            f"job {job.id} for the same IDs was created by another run; waiting for it to "
            "upload them",
            age,
            1.0,
        )
        pause(1.0, cancel)
        job = client.get_job(job.id)
    return job


def conflict_error(kind: str, blocking: list[str], exc: ConflictError) -> ConflictError:
    """The error of ``on_conflict="raise"``: which job blocks, and how to cancel it.

    >>> str(conflict_error("users", ["7"], ConflictError("409")))[:60]
    'The API allows one running users job at a time, and job 7 is'
    """
    which = f"job {blocking[0]}" if blocking else "another job"
    job_id = blocking[0] if blocking else "JOB_ID"
    return ConflictError(
        f"The API allows one running {kind} job at a time, and {which} is running "
        f"for other IDs. Wait for it to finish, or cancel it: "
        f"ComplianceClient().cancel_job({job_id!r}) or `compliance-nb jobs cancel {job_id}`.",
        job_id=blocking[0] if blocking else None,
        status=exc.status,
        type=exc.type,
        title=exc.title,
        detail=exc.detail,
    )
