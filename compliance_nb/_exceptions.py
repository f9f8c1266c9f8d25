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
    ├── TransferError                  the signed storage URLs
    │   ├── UploadError                carries the storage ``code`` (e.g. ``SignatureDoesNotMatch``)
    │   │   └── UploadWindowExpiredError
    │   └── DownloadError
    │       └── DownloadWindowExpiredError
    ├── JobError                       a job ended badly; carries ``job``
    │   ├── JobFailedError             status ``failed``; carries the job's ``error`` text
    │   ├── JobExpiredError            status ``expired``
    │   ├── JobTimeoutError            ``wait(timeout=...)`` ran out
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
    """Base class of every error raised by compliance_nb."""


class MissingTokenError(ComplianceError):
    """No bearer token was given and none was found in the environment.

    >>> str(MissingTokenError()).startswith("No bearer token")
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
    """Input that cannot be used as given; nothing was sent or written."""


class IDColumnTypeError(InputError, TypeError):
    """The ID column has a type that cannot hold Twitter IDs exactly (e.g. float)."""


class APIError(ComplianceError):
    """The X API answered with an error.

    Attributes mirror the problem document (RFC 7807) when the API sent one:
    ``status`` (HTTP status), ``type`` (problem type URI), ``title``, ``detail``,
    and ``problem`` (the short name at the end of the type URI, e.g. ``"conflict"``).
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
    """The API refused the credentials (401 or 403)."""


class RateLimitError(APIError):
    """The API's rate limit is exhausted; ``reset_at`` says when it resets (UTC)."""

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class ConflictError(APIError):
    """A job of this type is already running; the API allows one per type."""


class NotFoundError(APIError):
    """The API knows no job with this ID (for this app)."""


class TransferError(ComplianceError):
    """An upload to or a download from a signed storage URL failed.

    ``code`` is the storage service's error code when it sent one
    (e.g. ``ExpiredToken``, ``SignatureDoesNotMatch``), ``status`` the HTTP status.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class UploadError(TransferError):
    """The ID file could not be uploaded."""


class UploadWindowExpiredError(UploadError):
    """The job's 15-minute upload window has passed; create a new job."""


class DownloadError(TransferError):
    """The results could not be downloaded."""


class DownloadWindowExpiredError(DownloadError):
    """The job's 7-day download window has passed; the results are gone."""


class JobError(ComplianceError):
    """A compliance job ended without results; ``job`` is the last state seen."""

    def __init__(self, message: str, *, job: Job | None = None) -> None:
        super().__init__(message)
        self.job = job


class JobFailedError(JobError):
    """The job's status is ``failed``; ``error`` holds the API's reason when given."""

    def __init__(self, message: str, *, job: Job | None = None, error: str | None = None):
        super().__init__(message, job=job)
        self.error = error


class JobExpiredError(JobError):
    """The job's status is ``expired``."""


class JobTimeoutError(JobError):
    """Waiting for the job took longer than the timeout given; the job goes on."""


class JobCancelledError(JobError):
    """The run was cancelled by the user."""


class ResultsFormatError(ComplianceError, ValueError):
    """A results file has a line that is not a valid result; ``line_number`` is 1-based."""

    def __init__(self, message: str, *, line_number: int | None = None, path: Any = None):
        super().__init__(message)
        self.line_number = line_number
        self.path = path


class LedgerError(ComplianceError):
    """The local job ledger could not be read or written."""
