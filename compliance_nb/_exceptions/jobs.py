"""Errors of a job that ended badly, or of waiting for one.

Part of the one hierarchy described in :mod:`compliance_nb._exceptions`.
"""

from __future__ import annotations

from typing import Protocol

from .base import ComplianceError

__all__ = [
    "JobCancelledError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobNotCancellableError",
    "JobTimeoutError",
]


class JobState(Protocol):
    """What these errors keep of a job: they sit below the API layer, so they name the
    shape of :class:`compliance_nb.Job` instead of importing it."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...


class JobError(ComplianceError):
    """A compliance job ended without results; ``job`` is the last state seen.

    Not raised itself: its subclasses say how the job ended. Catch it to handle every
    job that gave no results in one place.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job : Job, optional
        The job as last fetched from the API.

    Attributes
    ----------
    job : Job or None
        The job as last fetched from the API, when there is one.

    Examples
    --------
    >>> from compliance_nb import Job, JobError
    >>> job = Job(id="1460323737035677698", type="tweets", status="expired")
    >>> err = JobError("Job 1460323737035677698 expired.", job=job)
    >>> err.job.id, err.job.status
    ('1460323737035677698', 'expired')
    >>> JobError("no job").job is None
    True
    """

    def __init__(self, message: str, *, job: JobState | None = None) -> None:
        super().__init__(message)
        self.job = job


class JobFailedError(JobError):
    """The job's status is ``failed``; ``error`` holds the API's reason when given.

    Raised while waiting for a job that X marked ``failed`` (for example because its
    upload could not be read). The job cannot be retried: create a new job (or run
    the compliance check again, which does).

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job : Job, optional
        The failed job.
    error : str, optional
        The API's reason for the failure.

    Attributes
    ----------
    job : Job or None
        The failed job.
    error : str or None
        The API's reason for the failure, if it gave one.

    Examples
    --------
    >>> from compliance_nb import Job, JobFailedError
    >>> job = Job(id="1", type="tweets", status="failed", error="Malformed upload file")
    >>> err = JobFailedError("Job 1 failed: Malformed upload file.", job=job, error=job.error)
    >>> err.job.status, err.error
    ('failed', 'Malformed upload file')
    """

    def __init__(self, message: str, *, job: JobState | None = None, error: str | None = None):
        super().__init__(message, job=job)
        self.error = error


class JobExpiredError(JobError):
    """The job's status is ``expired``.

    Raised while waiting for a job that X marked ``expired``, or that never received
    its IDs and whose 15-minute upload window has closed. Create a new job and upload
    the IDs within 15 minutes.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job : Job, optional
        The expired job.

    Attributes
    ----------
    job : Job or None
        The expired job.

    Examples
    --------
    >>> from compliance_nb import Job, JobError, JobExpiredError
    >>> job = Job(id="1", type="users", status="expired")
    >>> try:
    ...     raise JobExpiredError("Job 1 expired before it completed.", job=job)
    ... except JobError as exc:
    ...     print(type(exc).__name__, exc.job.status)
    JobExpiredError expired
    """


class JobTimeoutError(JobError):
    """Waiting for the job took longer than the timeout given; the job goes on.

    Raised by ``client.wait(job, timeout=...)`` and by ``run.result(timeout=...)``
    of a background run when the time is up. Nothing is cancelled: wait again later
    (``client.wait(job_id)``, ``run.result()``), or cancel the job or run.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job : Job, optional
        The job as last seen, still running (none for a background run).

    Attributes
    ----------
    job : Job or None
        The job as last seen, when a single job was waited for.

    Examples
    --------
    >>> from compliance_nb import Job, JobTimeoutError
    >>> job = Job(id="1", type="tweets", status="in_progress")
    >>> err = JobTimeoutError("Job 1 is still in_progress after 60 s; it goes on.", job=job)
    >>> err.job.status
    'in_progress'
    """


class JobCancelledError(JobError):
    """The run was cancelled by the user.

    Raised in a compliance run, and by the run's ``result()``, after
    ``run.cancel()`` (or a cancel token) stopped it. Nothing is left to do; start the
    run again to check the IDs.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job : Job, optional
        The job that was running, if known.

    Attributes
    ----------
    job : Job or None
        The job that was running, if known.

    Examples
    --------
    >>> from compliance_nb import ComplianceError, JobCancelledError, JobError
    >>> err = JobCancelledError("The run was cancelled.")
    >>> isinstance(err, JobError), isinstance(err, ComplianceError), err.job is None
    (True, True, True)
    """


class JobNotCancellableError(JobError):
    """The job asked to be cancelled had already ended: complete, failed or expired.

    Raised by :meth:`ComplianceClient.cancel_job <compliance_nb.ComplianceClient.cancel_job>`
    (and ``compliance-nb jobs cancel``, which then exits with status 1) instead of
    pretending that something was cancelled: nothing was changed at X. ``job`` is the job
    as the API describes it, ``job.status`` says how it ended.

    Parameters
    ----------
    message : str
        What happened and what to do, as shown to the user.
    job : Job, optional
        The job, with its final status.

    Attributes
    ----------
    job : Job or None
        The job, with its final status.

    Examples
    --------
    >>> from compliance_nb import Job, JobError, JobNotCancellableError
    >>> job = Job(id="1", type="tweets", status="complete")
    >>> try:
    ...     raise JobNotCancellableError("Job 1 is already complete; nothing was cancelled.",
    ...                                  job=job)
    ... except JobError as exc:
    ...     print(type(exc).__name__, exc.job.status)
    JobNotCancellableError complete
    """
