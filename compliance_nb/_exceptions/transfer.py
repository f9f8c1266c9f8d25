"""Errors moving the ID and results files at a job's signed URLs.

Part of the one hierarchy described in :mod:`compliance_nb._exceptions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ComplianceError

if TYPE_CHECKING:
    pass

__all__ = [
    "DownloadError",
    "DownloadWindowExpiredError",
    "TransferError",
    "UploadError",
    "UploadWindowExpiredError",
]


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
