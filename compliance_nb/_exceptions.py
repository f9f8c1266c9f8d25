"""Every error compliance_nb raises, in one hierarchy.

Catch :class:`ComplianceError` to catch them all. Errors about bad input also
subclass the matching built-in (``ValueError`` or ``TypeError``), so ordinary
``except ValueError`` code keeps working.

The tree::

    ComplianceError
    ├── MissingTokenError              no bearer token in the arguments or environment
    ├── InputError (+ ValueError)      bad IDs, bad kind, bad job ID, bad column, ...
    │   └── IDColumnTypeError (+ TypeError)   a float (or other unusable) ID column
    ├── APIError                       the API answered with an error (status, type, title, detail)
    │   ├── AuthenticationError        401 / 403
    │   ├── RateLimitError             429, carries ``reset_at``
    │   ├── ConflictError              a job of this type is already running
    │   └── NotFoundError              no such job
    ├── TransferError                  the signed storage URLs; carries ``status`` and ``code``
    │   ├── UploadError                the IDs could not be uploaded
    │   │   └── UploadWindowExpiredError
    │   └── DownloadError              the results could not be downloaded
    │       └── DownloadWindowExpiredError
    ├── JobError                       a job ended badly; carries ``job``
    │   ├── JobFailedError             status ``failed``; carries the job's ``error`` text
    │   ├── JobExpiredError            status ``expired``
    │   ├── JobTimeoutError            ``wait(timeout=...)`` or ``run.result(timeout=...)`` ran out
    │   └── JobCancelledError          cancelled by the user (``run.cancel()``)
    ├── ResultsFormatError (+ ValueError)  a malformed results line; carries ``line_number``
    └── LedgerError                    the local job ledger could not be read or written

No message ever contains the bearer token or the signature part of a signed URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api.job import Job

__all__ = [
    "APIError",
    "AuthenticationError",
    "ComplianceError",
    "ConflictError",
    "DownloadError",
    "DownloadWindowExpiredError",
    "IDColumnTypeError",
    "InputError",
    "JobCancelledError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobTimeoutError",
    "LedgerError",
    "MissingTokenError",
    "NotFoundError",
    "RateLimitError",
    "ResultsFormatError",
    "TransferError",
    "UploadError",
    "UploadWindowExpiredError",
]

TOKEN_ENV_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")


class ComplianceError(Exception):
    """Base class of every error raised by compliance_nb.

    Nothing in compliance_nb raises this class itself: it raises one of the
    subclasses below it. Catch it to handle every failure of a compliance run in one
    place; the message says what went wrong and what to do next.

    See Also
    --------
    InputError : The input cannot be used; nothing was sent.
    APIError : The X API answered with an error.
    JobError : A job ended without results.

    Examples
    --------
    Every error of the package is a ``ComplianceError``:

    >>> from compliance_nb import ComplianceError, JobTimeoutError
    >>> try:
    ...     raise JobTimeoutError("Job 1 is still in_progress after 60 s; it goes on.")
    ... except ComplianceError as exc:
    ...     print(type(exc).__name__, "-", exc)
    JobTimeoutError - Job 1 is still in_progress after 60 s; it goes on.
    """


class MissingTokenError(ComplianceError):
    """No bearer token was given and none was found in the environment.

    Raised before any request is sent (by a :class:`ComplianceClient` call,
    ``connect(sandbox=False)``, :func:`check_compliance` or the command line), when
    no ``bearer_token=...`` was passed and none of the environment variables
    ``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN`` or ``BEARER_TOKEN`` is set. Pass the
    app's bearer token, set one of those variables, or try the package without a token
    against the built-in :class:`Sandbox`.

    Parameters
    ----------
    message : str, optional
        The message; by default one that names the environment variables and the
        sandbox.

    Examples
    --------
    >>> from compliance_nb import MissingTokenError
    >>> message = str(MissingTokenError())
    >>> message.startswith("No bearer token")
    True
    >>> "X_BEARER_TOKEN" in message and "Sandbox" in message
    True
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "No bearer token: pass bearer_token=... to ComplianceClient, or set one of the "
            "environment variables "
            + ", ".join(TOKEN_ENV_VARS)
            + ". Without a token, use the "
            "built-in sandbox: `with compliance_nb.Sandbox() as sb: client = sb.client()`."
        )


class InputError(ComplianceError, ValueError):
    """Input that cannot be used as given; nothing was sent or written.

    Raised before anything reaches the API or the disk: IDs that are not Tweet or
    user IDs, a ``kind`` other than ``"tweets"`` or ``"users"``, a malformed job ID,
    a missing ID column, a bad command-line option, and the like. Fix the input as the
    message says and call again. It is also a :class:`ValueError`, so existing
    ``except ValueError`` code catches it.

    See Also
    --------
    IDColumnTypeError : The ID column's type cannot hold IDs.

    Examples
    --------
    >>> from compliance_nb import InputError
    >>> issubclass(InputError, ValueError)
    True
    >>> try:
    ...     raise InputError("kind must be 'tweets' or 'users', got 'posts'.")
    ... except ValueError as exc:
    ...     print(exc)
    kind must be 'tweets' or 'users', got 'posts'.
    """


class IDColumnTypeError(InputError, TypeError):
    """The ID column has a type that cannot hold Twitter IDs exactly (e.g. float).

    Raised when the frame's ID column holds floating-point numbers, decimals, bytes
    or another type that is neither integers nor text. Tweet IDs above 2**53 (every
    one since about 2014) are already corrupted in a float column, so they cannot be
    sent: read the IDs as text (for example ``dtype={"id": str}`` in pandas) and call
    again. It is an :class:`InputError` and also a :class:`TypeError`.

    Examples
    --------
    >>> from compliance_nb import IDColumnTypeError, InputError
    >>> issubclass(IDColumnTypeError, InputError), issubclass(IDColumnTypeError, TypeError)
    (True, True)
    >>> issubclass(IDColumnTypeError, ValueError)
    True

    Why a float column cannot be used: two different Tweet IDs become the same float.

    >>> float(1460323737035677698) == float(1460323737035677697)
    True
    """


class APIError(ComplianceError):
    """The X API answered with an error.

    Raised by :class:`ComplianceClient` when a request to the API fails: an error
    status, an answer with ``errors`` instead of data, or no answer at all (the
    network or the base URL). The subclasses name the common cases; for the others,
    read the message (and ``detail``) for what to change.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status : int, optional
        The HTTP status of the answer.
    type : str, optional
        The problem type URI of the answer's problem document (RFC 7807).
    title : str, optional
        The problem document's title.
    detail : str, optional
        The problem document's detail.
    body : Any, optional
        The decoded body of the answer.

    Attributes
    ----------
    status : int or None
        The HTTP status, when there was an answer.
    type : str or None
        The problem type URI.
    title : str or None
        The problem's title.
    detail : str or None
        The problem's detail.
    body : Any
        The decoded body of the answer, or None.
    problem : str or None
        The short name at the end of ``type`` (e.g. ``"conflict"``).

    See Also
    --------
    AuthenticationError : The credentials were refused (401 / 403).
    RateLimitError : The rate limit is exhausted (429).
    ConflictError : A job of this type is already running (409).
    NotFoundError : No such job (404).

    Examples
    --------
    >>> from compliance_nb import APIError
    >>> err = APIError(
    ...     "Conflict (HTTP 409).",
    ...     status=409,
    ...     type="https://api.x.com/2/problems/conflict",
    ...     title="Conflict",
    ... )
    >>> err.status, err.problem, err.title
    (409, 'conflict', 'Conflict')
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.body = body

    @property
    def problem(self) -> str | None:
        """The problem name, whichever API host the type URI uses.

        >>> APIError("x", type="https://api.twitter.com/2/problems/conflict").problem
        'conflict'
        """
        if not self.type:
            return None
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class AuthenticationError(APIError):
    """The API refused the credentials (401 or 403).

    Raised when the bearer token is wrong or revoked, when it is a user token rather
    than the app's (OAuth 2.0 App-only) bearer token, or when the app's project is not
    enrolled for the compliance endpoints. Check the token (``X_BEARER_TOKEN``) and
    the app's project in the developer portal.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, type, title, detail, body : optional
        As for :class:`APIError`.

    Attributes
    ----------
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import APIError, AuthenticationError
    >>> err = AuthenticationError("Unauthorized (HTTP 401).", status=401, title="Unauthorized")
    >>> isinstance(err, APIError), err.status
    (True, 401)
    """


class RateLimitError(APIError):
    """The API's rate limit is exhausted; ``reset_at`` says when it resets (UTC).

    Raised for HTTP 429 (or a ``usage-capped`` problem) when waiting is not worth
    it: the reset is further off than the client's ``max_rate_limit_wait``, the
    client already waited several times, or a monthly usage cap was reached. Wait
    until ``reset_at`` and try again; shorter waits the client does by itself.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    reset_at : datetime, optional
        When the limit resets (UTC), from the answer's ``x-rate-limit-reset`` header.
    **kw : Any
        ``status``, ``type``, ``title``, ``detail`` and ``body``, as for
        :class:`APIError`.

    Attributes
    ----------
    reset_at : datetime or None
        When the limit resets (UTC), if the API said.
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from compliance_nb import RateLimitError
    >>> err = RateLimitError(
    ...     "Too Many Requests (HTTP 429). The limit resets at 12:15:00 UTC.",
    ...     reset_at=datetime(2024, 5, 1, 12, 15, tzinfo=timezone.utc),
    ...     status=429,
    ... )
    >>> err.status, err.reset_at.isoformat()
    (429, '2024-05-01T12:15:00+00:00')
    """

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class ConflictError(APIError):
    """A job of this type is already running; the API allows one per type.

    Raised by ``create_job`` for HTTP 409, and by a compliance run when the running
    job is not one it can take over (not created by this machine for the same IDs).
    Wait for that job to finish (``client.list_jobs(kind)``), or cancel it with
    ``client.cancel_job(job_id)`` or ``compliance-nb jobs cancel JOB_ID``; then run
    again.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, type, title, detail, body : optional
        As for :class:`APIError`.

    Attributes
    ----------
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import APIError, ConflictError
    >>> try:
    ...     raise ConflictError(
    ...         "Conflict (HTTP 409).", status=409, type="https://api.x.com/2/problems/conflict"
    ...     )
    ... except APIError as exc:
    ...     print(type(exc).__name__, exc.problem)
    ConflictError conflict
    """


class NotFoundError(APIError):
    """The API knows no job with this ID (for this app).

    Raised by ``get_job`` (and what calls it) for HTTP 404 or a
    ``resource-not-found`` problem. Jobs belong to the app that created them, so check
    both the job ID and the bearer token.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, type, title, detail, body : optional
        As for :class:`APIError`.

    Attributes
    ----------
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import NotFoundError
    >>> err = NotFoundError(
    ...     "Could not find job (HTTP 404).",
    ...     status=404,
    ...     type="https://api.x.com/2/problems/resource-not-found",
    ... )
    >>> err.status, err.problem
    (404, 'resource-not-found')
    """


class TransferError(ComplianceError):
    """An upload to or a download from a signed storage URL failed.

    Not raised itself: its subclasses :class:`UploadError` and
    :class:`DownloadError` are. Catch it to handle both directions at once.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status : int, optional
        The HTTP status of the storage service's answer.
    code : str, optional
        The storage service's error code (e.g. ``ExpiredToken``,
        ``SignatureDoesNotMatch``).

    Attributes
    ----------
    status : int or None
        The HTTP status, when the storage service answered.
    code : str or None
        The storage service's error code, when it sent one.

    Examples
    --------
    >>> from compliance_nb import DownloadError, TransferError, UploadError
    >>> issubclass(UploadError, TransferError), issubclass(DownloadError, TransferError)
    (True, True)
    >>> err = TransferError("The upload URL was refused.", status=403, code="AccessDenied")
    >>> err.status, err.code
    (403, 'AccessDenied')
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class UploadError(TransferError):
    """The ID file could not be uploaded.

    Raised when the storage service refuses the upload (the ``code`` says why, e.g.
    ``SignatureDoesNotMatch``) or the upload still fails after its retries. Read the
    message: check the network and try again, or create a new job and upload the IDs
    to it.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, code : optional
        As for :class:`TransferError`.

    Attributes
    ----------
    status, code
        As for :class:`TransferError`.

    Examples
    --------
    >>> from compliance_nb import UploadError
    >>> err = UploadError("The upload was refused.", status=403, code="SignatureDoesNotMatch")
    >>> err.code
    'SignatureDoesNotMatch'
    """


class UploadWindowExpiredError(UploadError):
    """The job's 15-minute upload window has passed; create a new job.

    Raised before an upload to a job created more than 15 minutes ago, or when the
    storage service answers ``ExpiredToken`` to one. The job cannot take IDs any more:
    create a new job and upload the IDs to it.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, code : optional
        As for :class:`TransferError`.

    Attributes
    ----------
    status, code
        As for :class:`TransferError`.

    Examples
    --------
    >>> from compliance_nb import UploadError, UploadWindowExpiredError
    >>> err = UploadWindowExpiredError("The upload URL has expired.", code="ExpiredToken")
    >>> isinstance(err, UploadError), err.code
    (True, 'ExpiredToken')
    """


class DownloadError(TransferError):
    """The results could not be downloaded.

    Raised when the job is not complete yet (wait for it first), has no
    ``download_url`` (fetch the job again with ``get_job``), or the storage service
    refuses the download or it fails after its retries.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, code : optional
        As for :class:`TransferError`.

    Attributes
    ----------
    status, code
        As for :class:`TransferError`.

    Examples
    --------
    >>> from compliance_nb import DownloadError, TransferError
    >>> err = DownloadError("Job 1 is in_progress, not complete: wait for it first.")
    >>> isinstance(err, TransferError), err.status, err.code
    (True, None, None)
    """


class DownloadWindowExpiredError(DownloadError):
    """The job's 7-day download window has passed; the results are gone.

    Raised before a download from a job created more than 7 days ago, or when the
    storage service answers ``ExpiredToken`` to one. X keeps results for 7 days only:
    run a new job for these IDs.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, code : optional
        As for :class:`TransferError`.

    Attributes
    ----------
    status, code
        As for :class:`TransferError`.

    Examples
    --------
    >>> from compliance_nb import DownloadError, DownloadWindowExpiredError
    >>> err = DownloadWindowExpiredError("The download URL has expired.", code="ExpiredToken")
    >>> isinstance(err, DownloadError), err.code
    (True, 'ExpiredToken')
    """


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

    def __init__(self, message: str, *, job: Job | None = None) -> None:
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

    def __init__(self, message: str, *, job: Job | None = None, error: str | None = None):
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


class ResultsFormatError(ComplianceError, ValueError):
    """A results file has a line that is not a valid result; ``line_number`` is 1-based.

    Raised by :func:`read_results` and while results download, when a line is not a
    JSON object, has no ``id`` or an ``id`` that is not an ID, a text field that is not
    text, or a timestamp that cannot be read. The message names the line and shows
    its start. Check that the file is the results file of a compliance job, whole and
    unedited. It is also a :class:`ValueError`.

    Parameters
    ----------
    message : str
        What went wrong, naming the file and the line.
    line_number : int, optional
        The 1-based number of the first bad line, when known.
    path : str or os.PathLike, optional
        The results file.

    Attributes
    ----------
    line_number : int or None
        The 1-based number of the first bad line, when known.
    path : str or os.PathLike or None
        The results file.

    Examples
    --------
    >>> from compliance_nb import ResultsFormatError
    >>> err = ResultsFormatError(
    ...     "Line 3 of results.jsonl is not a valid result: not JSON.",
    ...     line_number=3,
    ...     path="results.jsonl",
    ... )
    >>> err.line_number, err.path, isinstance(err, ValueError)
    (3, 'results.jsonl', True)
    """

    def __init__(self, message: str, *, line_number: int | None = None, path: Any = None):
        super().__init__(message)
        self.line_number = line_number
        self.path = path


class LedgerError(ComplianceError):
    """The local job ledger could not be read or written.

    The ledger is the SQLite file where compliance_nb records its jobs and keeps
    their results, so that a run can reattach to its jobs and reuse results. Raised
    when that file or the results folder cannot be opened, read or written, or holds
    no results for a job it lists. Set ``COMPLIANCE_NB_CACHE_DIR`` (or pass
    ``ledger_path=...``) to keep the ledger in a writable place.

    Examples
    --------
    >>> from compliance_nb import ComplianceError, LedgerError
    >>> err = LedgerError("Cannot open the job ledger at /readonly/ledger.sqlite3: denied.")
    >>> isinstance(err, ComplianceError), isinstance(err, OSError)
    (True, False)
    """
