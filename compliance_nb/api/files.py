"""A job's two files: its IDs, uploaded to the job's upload URL; its results, downloaded.

Before a byte moves, the job is checked (it has the URL, it is in the right status, its
window is open); the transfers themselves are :mod:`compliance_nb.api.uploads` and
:mod:`compliance_nb.api.downloads`, which follow whatever URL the job gives and send the
bearer token only to the API's own origin (:mod:`compliance_nb.api.origin`). A request
error that is not transient becomes an :class:`~compliance_nb.UploadError` or
:class:`~compliance_nb.DownloadError` whose message masks the signed URLs and tokens.

>>> results_path(Job(id="7", type="users", status="complete"), None).name
'compliance-users-7.jsonl'
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests

from .._events import emit, job_event
from .._exceptions import (
    DownloadError,
    DownloadWindowExpiredError,
    InputError,
    UploadError,
    UploadWindowExpiredError,
)
from .._redact import mask_text, mask_url
from .downloads import ByteSink, download_to
from .idsource import prepare_ids
from .job import Job
from .storage import TransferContext
from .uploads import SessionNotOffered, upload_plain, upload_resumable

__all__ = ["download_results", "is_resumable", "results_path", "upload_ids"]

log = logging.getLogger("compliance_nb")


def is_resumable(job: Job) -> bool:
    """Whether the job's upload URL is for the resumable protocol.

    Trusts the URL as well as the flag: an upload URL signed with the
    ``x-goog-resumable`` header only accepts a session start, whatever ``resumable`` says
    (the docs show a job created with ``resumable: true`` answering ``false``).

    Parameters
    ----------
    job : Job
        The job to upload to.

    Returns
    -------
    bool
        True for a resumable upload.

    Examples
    --------
    >>> url = "https://storage.example/u?X-Goog-SignedHeaders=host%3Bx-goog-resumable"
    >>> is_resumable(Job(id="1", type="tweets", status="created", upload_url=url))
    True
    """
    return job.resumable or "x-goog-resumable" in unquote(job.upload_url or "").lower()


def upload_ids(ctx: TransferContext, job: Job, source: Any, chunk_size: int) -> Job:
    """Check every ID of ``source``, then upload them to the job's ``upload_url``.

    A resumable job whose upload URL is on the API's own origin tries the resumable
    protocol; when that route takes no sessions, the file goes in one ``PUT`` instead.

    Parameters
    ----------
    ctx : TransferContext
        The storage session, limits and callbacks; ``ctx.progress`` receives the
        ``uploaded`` event at the end.
    job : Job
        A ``created`` job whose upload window is open.
    source : iterable, path or binary file
        The IDs (see :func:`~compliance_nb.api.idsource.prepare_ids`).
    chunk_size : int
        Bytes per chunk of a resumable upload.

    Returns
    -------
    Job
        The job as the upload's answer shows it (the API's upload route answers with the
        job, now ``in_progress``); ``job`` itself when the answer holds none (storage).

    Raises
    ------
    InputError
        A bad ID, or a job that takes no upload.
    UploadWindowExpiredError
        The upload window is over.
    UploadError
        The storage service refused the upload.
    """
    body = prepare_ids(source)
    try:
        if not job.upload_url:
            raise InputError(f"Job {job.id} has no upload_url; fetch it with get_job().")
        if job.status not in ("created", ""):
            raise InputError(
                f"Job {job.id} is {job.status}; IDs can only be uploaded to a new job."
            )
        if job.upload_expired:
            raise UploadWindowExpiredError(
                f"The upload window of job {job.id} closed at "
                f"{job.upload_expires_at:%H:%M:%S} UTC (15 minutes after creation). "
                "Create a new job and upload the IDs again.",
            )
        log.info("uploading %d IDs to %s", body.count, mask_url(job.upload_url))
        try:
            answer = None
            if is_resumable(job):
                try:
                    answer = upload_resumable(ctx, job.upload_url, body, chunk_size=chunk_size)
                except SessionNotOffered as exc:
                    log.info("%s Sending the file in one PUT instead.", exc)
                    answer = upload_plain(ctx, job.upload_url, body)
            else:
                answer = upload_plain(ctx, job.upload_url, body)
        except requests.RequestException as exc:  # not a transient one: say what, mask URLs
            raise UploadError(
                mask_text(f"The upload failed: {type(exc).__name__}: {exc}")
            ) from None
    finally:
        body.close()
    if answer is not None and str(answer.get("id")) == job.id:
        job = Job.from_api(answer)
    event = job_event(
        "uploaded",
        job,
        bytes_done=body.size,
        bytes_total=body.size,
        message=f"{body.count} IDs uploaded",
    )
    emit(ctx.progress, event)
    return job


def results_path(job: Job, dest: str | os.PathLike[str] | None) -> Path:
    """Where the results of ``job`` go.

    Parameters
    ----------
    job : Job
        The job.
    dest : str or path-like, optional
        A file path, or an existing folder to put a file named after the job in.

    Returns
    -------
    Path
        ``dest``, or a file named after the job in ``dest`` or (by default) in the
        temporary folder's ``compliance_nb`` folder.
    """
    filename = f"compliance-{job.type or 'job'}-{job.id}.jsonl"
    if dest is None:
        return Path(tempfile.gettempdir()) / "compliance_nb" / filename
    target = Path(dest)
    return target / filename if target.is_dir() else target


def download_results(
    ctx: TransferContext,
    job: Job,
    dest: str | os.PathLike[str] | None,
    sink: ByteSink | None,
) -> Path:
    """Download the results of a complete job; the file appears only when complete.

    Parameters
    ----------
    ctx : TransferContext
        The storage session, limits and callbacks; ``ctx.progress`` receives the
        ``downloading`` and ``downloaded`` events.
    job : Job
        A ``complete`` job.
    dest : str or path-like, optional
        See :func:`results_path`.
    sink : ByteSink, optional
        Given the bytes as they are written.

    Returns
    -------
    Path
        The results file.

    Raises
    ------
    DownloadWindowExpiredError
        The download window is over.
    DownloadError
        The job is not complete, or the storage service refused.
    """
    if job.status != "complete":
        raise DownloadError(
            f"Job {job.id} is {job.status or 'in an unknown state'}, not complete: "
            "wait for it first (client.wait(job))."
        )
    if not job.download_url:
        raise DownloadError(f"Job {job.id} has no download_url; fetch it with get_job().")
    if job.download_expired:
        raise DownloadWindowExpiredError(
            f"The results of job {job.id} expired at {job.download_expires_at:%Y-%m-%d %H:%M} "
            "UTC (7 days after creation). Run a new job for these IDs."
        )
    target = results_path(job, dest)
    emit(ctx.progress, job_event("downloading", job, bytes_done=0))
    try:
        size = download_to(ctx, job.download_url, target, sink)
    except requests.RequestException as exc:  # not a transient one: say what, mask URLs
        raise DownloadError(
            mask_text(f"The download failed: {type(exc).__name__}: {exc}")
        ) from None
    event = job_event("downloaded", job, bytes_done=size, bytes_total=size, message=str(target))
    emit(ctx.progress, event)
    return target
