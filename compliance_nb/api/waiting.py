"""Waiting for a job: adaptive polling until it is complete, and the ends that are not.

Polls come fast at first (0.25 s, 0.5 s, then every second for the first minute), then
further apart by half each time up to 60 s; a job's ``estimated_completion`` further
away sets the pace. Every poll takes a slot of the rate budget like any API call.

>>> from compliance_nb.api.job import Job
>>> job = Job(id="1", type="tweets", status="in_progress")
>>> [next_poll(job, elapsed=0.0, last=last, now=0.0) for last in (0.125, 0.25, 0.5, 1.0)]
[0.25, 0.5, 1.0, 1.0]
>>> next_poll(job, elapsed=120.0, last=10.0, now=0.0)
15.0
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .._events import CancelToken, ProgressCallback, emit, job_event
from .._exceptions import JobExpiredError, JobFailedError, JobTimeoutError
from .job import Job
from .session import ApiSession

__all__ = ["never_uploaded", "next_poll", "poll_until_complete", "raise_if_ended"]

#: a never-uploaded job is given up this long after its upload window closed
_UPLOAD_GRACE = 300.0
_MAX_POLL = 60.0


def next_poll(job: Job, elapsed: float, last: float, now: float) -> float:
    """Seconds until the next poll of ``job``.

    Parameters
    ----------
    job : Job
        The job as last fetched.
    elapsed : float
        Seconds since the wait began.
    last : float
        The previous interval.
    now : float
        Wall-clock seconds, to compare with the job's ``estimated_completion``.

    Returns
    -------
    float
        Double the last interval up to 1 s in the first minute, then 1.5 times it
        (at least 2 s) up to 60 s; an ``estimated_completion`` further away than that
        (at most 60 s away) wins.

    Examples
    --------
    >>> next_poll(Job(id="1", type="users", status="created"), 10.0, 1.0, 0.0)
    1.0
    """
    interval = min(1.0, last * 2) if elapsed < 60 else min(_MAX_POLL, max(2.0, last * 1.5))
    if job.estimated_completion is not None:
        until = job.estimated_completion.timestamp() - now
        if until > interval:
            interval = min(_MAX_POLL, until)
    return interval


def never_uploaded(job: Job) -> bool:
    """Whether ``job`` is ``created`` although its upload window closed minutes ago.

    Such a job will never complete: nothing was uploaded in time.

    Parameters
    ----------
    job : Job
        The job as last fetched.

    Returns
    -------
    bool
        True when the window closed more than five minutes ago.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> old = datetime(2021, 8, 11, tzinfo=timezone.utc)
    >>> never_uploaded(Job(id="1", type="tweets", status="created", upload_expires_at=old))
    True
    """
    if job.status != "created" or job.upload_expires_at is None:
        return False
    grace = timedelta(seconds=_UPLOAD_GRACE)
    return datetime.now(timezone.utc) > job.upload_expires_at + grace


def raise_if_ended(job: Job) -> None:
    """Raise when ``job`` ended without results: failed, expired or never uploaded.

    Parameters
    ----------
    job : Job
        The job as last fetched.

    Raises
    ------
    JobFailedError
        The job failed (``.error`` holds the API's reason).
    JobExpiredError
        The job expired, or it never received its IDs.

    Examples
    --------
    >>> raise_if_ended(Job(id="1", type="tweets", status="in_progress"))
    >>> failed = Job(id="1", type="tweets", status="failed", error="Cancelled")
    >>> raise_if_ended(failed)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    compliance_nb.JobFailedError: Job 1 failed: Cancelled. Create a new job ...
    """
    if job.status == "failed":
        reason = job.error or "no reason given"
        raise JobFailedError(
            f"Job {job.id} failed: {reason}. Create a new job to try again.",
            job=job,
            error=job.error,
        )
    if job.status == "expired":
        raise JobExpiredError(
            f"Job {job.id} expired before it completed (IDs must be uploaded "
            "within 15 minutes of creation). Create a new job.",
            job=job,
        )
    if never_uploaded(job):
        raise JobExpiredError(
            f"Job {job.id} never received its IDs: its upload window closed at "
            f"{job.upload_expires_at:%H:%M:%S} UTC and it is still 'created'. "
            "Create a new job and upload the IDs.",
            job=job,
        )


def poll_until_complete(
    fetch: Callable[[], Job],
    api: ApiSession,
    route: str,
    *,
    poll_interval: float | None = None,
    timeout: float | None = None,
    on_update: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Job:
    """Call ``fetch`` until the job it returns is ``complete``; return that job.

    Parameters
    ----------
    fetch : callable
        Fetches the job's current state (one API call).
    api : ApiSession
        The session of the calls: its clock, its cancellable sleep and the budget.
    route : str
        The budget route of ``fetch``; its next free slot is shown in the events.
    poll_interval : float, optional
        A fixed interval in seconds; adaptive (:func:`next_poll`) by default.
    timeout : float, optional
        Give up after this many seconds (the job goes on).
    on_update : callable, optional
        Receives a ``processing`` event after every poll.
    cancel : CancelToken, optional
        Stops the wait (``JobCancelledError``) as soon as it is set.

    Returns
    -------
    Job
        The complete job.

    Raises
    ------
    JobFailedError, JobExpiredError
        See :func:`raise_if_ended`.
    JobTimeoutError
        ``timeout`` seconds passed.
    """
    started = api.clock()
    interval = 0.125  # doubled before the first sleep
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        current = fetch()
        elapsed = api.clock() - started
        message = f"job is {current.status}"
        if current.status == "complete":
            emit(
                on_update,
                job_event(
                    "processing",
                    current,
                    elapsed_seconds=elapsed,
                    wait_seconds=0.0,
                    message=message,
                ),
            )
            return current
        raise_if_ended(current)
        if poll_interval is not None:
            interval = float(poll_interval)
        else:
            interval = next_poll(current, elapsed, interval, api.clock())
        if timeout is not None:
            left = timeout - elapsed
            if left <= 0:
                raise JobTimeoutError(
                    f"Job {current.id} is still {current.status} after {timeout:g} s; it "
                    f"goes on. Wait again with client.wait({current.id!r}).",
                    job=current,
                )
            interval = min(interval, left)
        # the budget may hold the next poll back further; say so in the event
        wait_for = max(interval, api.budget.delay(route))
        emit(
            on_update,
            job_event(
                "processing",
                current,
                elapsed_seconds=elapsed,
                wait_seconds=wait_for,
                message=message,
            ),
        )
        api.sleep(interval, cancel)
