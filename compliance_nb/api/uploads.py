"""Uploading a job's IDs to its signed ``upload_url``: one ``PUT``, or the resumable protocol.

:func:`upload_plain` sends the whole file in one ``PUT``; :func:`upload_resumable` follows
the GCS resumable protocol: it starts a session, sends chunks aligned to
:data:`~compliance_nb.rules.limits.RESUMABLE_CHUNK` and, after a failure, asks the session
how much it stored and resumes from there. Both read an :class:`~.idsource.UploadBody` (the
IDs already checked by :func:`~.idsource.prepare_ids`), report ``uploading`` progress
events, retry dropped connections and transient answers with back-off, send the bearer token
only where :meth:`~.storage.TransferContext.auth_for` says (the API's own origin), and
return the job the final answer holds, if any (the API's upload route answers with it).
A resumable job tries the resumable protocol first and, where the URL (the API's own upload
route, which X documents with ``PUT`` only) offers no sessions (:class:`SessionNotOffered`),
gets one ``PUT``.

Examples
--------
The storage service's answer to a status query says how many bytes it holds:

>>> response = requests.Response()
>>> response.status_code = 308
>>> response.headers["Range"] = "bytes=0-262143"
>>> _stored_bytes(response)
262144
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import partial
from typing import IO, Any
from urllib.parse import urljoin

import requests

from .._exceptions import UploadError
from ..rules.limits import RESUMABLE_CHUNK
from .idsource import UploadBody
from .storage import (
    RETRYABLE_ERRORS,
    TransferContext,
    retry,
    send_until_answered,
    storage_error,
    transient,
    without_auth,
)

__all__ = ["SessionNotOffered", "answered_job", "upload_plain", "upload_resumable"]

#: Answers to a session start meaning "no resumable sessions here": from any host, "not
#: this method"; from the API's own upload route, also 400 and 404 (X documents only PUT).
_NO_SESSION_METHOD = (405, 501)
_NO_SESSIONS_ON_API = (400, 404, 405, 501)


class SessionNotOffered(UploadError):
    """The API's upload route refused to start a resumable session (it takes one ``PUT``)."""


def answered_job(response: requests.Response) -> dict[str, Any] | None:
    """The job object in a transfer's answer (``{"data": ComplianceJob}``), if it has one.

    >>> response = requests.Response()
    >>> response._content = b'{"data": {"id": "7", "status": "in_progress"}}'
    >>> answered_job(response)["status"]
    'in_progress'
    """
    if not response.content.lstrip().startswith(b"{"):  # storage answers without a body
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) and "id" in data else None


class _ProgressReader:
    """A file-like body for ``requests``: known length (so Content-Length is sent), reads
    report progress and check cancellation."""

    def __init__(self, f: IO[bytes], size: int, ctx: TransferContext) -> None:
        self._f = f
        self._size = size
        self._done = 0
        self._last = 0.0
        self._ctx = ctx

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:  # requests treats objects with __iter__ as streams
        while chunk := self.read(64 * 1024):
            yield chunk

    def read(self, n: int = -1) -> bytes:
        self._ctx.check_cancel()
        left = self._size - self._done
        if left <= 0:
            return b""
        chunk = self._f.read(left if n is None or n < 0 else min(n, left))
        self._done += len(chunk)
        now = time.monotonic()
        if now - self._last >= 0.2 and self._done < self._size:
            self._last = now
            self._ctx.event("uploading", bytes_done=self._done, bytes_total=self._size)
        return chunk


def _retry_request(ctx: TransferContext, attempt: int, message: str) -> int:
    """A failed ``PUT`` of the whole file or session start: pause, or give up."""
    return retry(
        ctx,
        attempt,
        message,
        UploadError(
            f"The upload failed after {ctx.max_retries} retries: {message}. Check the "
            "network and try again (create a new job if the 15-minute window has passed)."
        ),
    )


def upload_plain(ctx: TransferContext, url: str, body: UploadBody) -> dict[str, Any] | None:
    """Upload the whole file in one ``PUT`` (``Content-Type`` from
    :meth:`~.storage.TransferContext.upload_type`).

    A dropped connection or a transient answer (408, 429, 5xx) is retried, the same bytes
    to the same URL, at most ``ctx.max_retries`` times.

    Parameters
    ----------
    ctx : TransferContext
        The storage session, limits and callbacks.
    url : str
        The job's signed ``upload_url``.
    body : UploadBody
        The checked IDs.

    Returns
    -------
    dict or None
        The job object of the answer (the API's upload route sends one; storage does not).

    Raises
    ------
    UploadError
        The retries are spent, or the storage service refused the upload
        (:func:`~.storage.storage_error`).
    """

    def send() -> requests.Response:
        ctx.event("uploading", bytes_done=0, bytes_total=body.size)
        f = body.open()
        try:
            return ctx.session.put(
                url,
                data=_ProgressReader(f, body.size, ctx),
                headers=without_auth({"Content-Type": ctx.upload_type(url)}),
                auth=ctx.auth_for(url),
                timeout=ctx.timeout,
            )
        finally:
            f.close()

    retry_put = partial(_retry_request, ctx)
    response, _ = send_until_answered(
        ctx, send, 0, retry_put, "upload interrupted ({})", "the upload URL answered HTTP {}"
    )
    if response.status_code not in (200, 201):
        raise storage_error(response, "upload", ctx)
    ctx.event("uploading", bytes_done=body.size, bytes_total=body.size)
    return answered_job(response)


class _Complete(Exception):
    """Internal: the storage service reports the upload complete."""

    def __init__(self, job: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.job = job


class _ServerError(Exception):
    """Internal: a status query got a transient answer."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def upload_resumable(
    ctx: TransferContext, url: str, body: UploadBody, chunk_size: int = 8 * 1024 * 1024
) -> dict[str, Any] | None:
    """Upload with the GCS resumable protocol.

    Start a session (``POST`` + ``x-goog-resumable: start`` -> 201 + ``Location``), send
    chunks that are multiples of 256 KiB with ``Content-Range``, follow the 308 ``Range``
    header, and after a dropped connection or a 5xx ask the session how much it stored
    (``Content-Range: bytes */total``) and resume from there.

    Parameters
    ----------
    ctx : TransferContext
        The storage session, limits and callbacks; ``ctx.max_retries`` bounds the
        failures in a row (and the answers in a row that ask for the same bytes).
    url : str
        The job's signed ``upload_url``.
    body : UploadBody
        The checked IDs.
    chunk_size : int
        Bytes per ``PUT``, rounded down to a multiple of 256 KiB (at least one).

    Returns
    -------
    dict or None
        The job object of the final answer, if it has one.

    Raises
    ------
    SessionNotOffered
        The session start was refused as a method the URL does not take (405, 501), or,
        on the API's own upload route, also with 400 or 404: the URL takes the file in one
        ``PUT`` (:func:`upload_plain`).
    UploadError
        The retries are spent, the upload makes no progress, no session was started, or
        the storage service refused the upload.
    """
    chunk = max(RESUMABLE_CHUNK, chunk_size // RESUMABLE_CHUNK * RESUMABLE_CHUNK)
    total = body.size
    session_uri = _start_session(ctx, url)
    offset = 0
    failures = 0
    ctx.event("uploading", bytes_done=0, bytes_total=total)
    answer: dict[str, Any] | None = None
    f = body.open()
    try:
        while True:
            ctx.check_cancel()
            end = min(offset + chunk, total) - 1
            f.seek(body.start + offset if body.fileobj is not None else offset)
            data = f.read(end - offset + 1)
            try:
                response = ctx.session.put(
                    session_uri,
                    data=data,
                    headers=without_auth(
                        {
                            "Content-Range": f"bytes {offset}-{end}/{total}",
                            "Content-Type": ctx.upload_type(session_uri),
                        }
                    ),
                    auth=ctx.auth_for(session_uri),
                    timeout=ctx.timeout,
                )
                problem = None
            except RETRYABLE_ERRORS as exc:
                response = None
                problem = f"upload interrupted at byte {offset} ({type(exc).__name__})"
            if response is not None and response.status_code in (200, 201):
                answer = answered_job(response)
                break
            if response is not None and response.status_code == 308:
                new_offset = _stored_bytes(response)
                failures = 0 if new_offset > offset else failures + 1
                if failures > ctx.max_retries:
                    raise UploadError(
                        "The upload made no progress: the storage service keeps asking for "
                        f"the same bytes (at byte {offset})."
                    )
                offset = new_offset
                ctx.event("uploading", bytes_done=offset, bytes_total=total)
                continue
            if response is not None and not transient(response.status_code):
                raise storage_error(response, "upload", ctx)
            if response is not None:
                problem = f"the upload URL answered HTTP {response.status_code} at byte {offset}"
            # a dropped connection or a 5xx: ask the session what it has, then resume
            while True:
                failures = retry(
                    ctx,
                    failures,
                    str(problem),
                    UploadError(
                        f"The upload failed after {ctx.max_retries} retries ({problem}). "
                        "Check the network and try again; create a new job if the 15-minute "
                        "upload window has passed."
                    ),
                )
                try:
                    offset = _query_status(ctx, session_uri, total)
                    break
                except _Complete as done:
                    offset, answer = total, done.job
                    break
                except RETRYABLE_ERRORS as exc:
                    problem = f"status query failed ({type(exc).__name__})"
                except _ServerError as exc:
                    problem = f"status query answered HTTP {exc.status}"
            if offset >= total:
                break
            ctx.event("uploading", bytes_done=offset, bytes_total=total)
    finally:
        f.close()
    ctx.event("uploading", bytes_done=total, bytes_total=total)
    return answer


def _start_session(ctx: TransferContext, url: str) -> str:
    """Start a resumable upload session at ``url``; return the session's URI."""

    def send() -> requests.Response:
        return ctx.session.post(
            url,
            data=b"",
            headers=without_auth(
                {
                    "Content-Type": ctx.upload_type(url),
                    "Content-Length": "0",
                    "x-goog-resumable": "start",
                }
            ),
            auth=ctx.auth_for(url),
            timeout=ctx.timeout,
        )

    retry_post = partial(_retry_request, ctx)
    response, _ = send_until_answered(
        ctx, send, 0, retry_post, "session start failed ({})", "session start answered {}"
    )
    status = response.status_code
    if status in _NO_SESSION_METHOD or (status in _NO_SESSIONS_ON_API and ctx.on_api(url)):
        raise SessionNotOffered(
            f"The upload URL takes no resumable session (HTTP {status}).", status=status
        )
    if response.status_code not in (200, 201):
        raise storage_error(response, "upload", ctx)
    location = response.headers.get("Location")
    if not location:
        raise UploadError(
            "The storage service started no resumable upload session (no Location "
            "header in its answer). Create the job with resumable=False instead."
        )
    return urljoin(url, location)


def _stored_bytes(response: requests.Response) -> int:
    """Bytes stored so far, from a 308's ``Range: bytes=0-n`` (none stored without it)."""
    value = response.headers.get("Range")
    if not value:
        return 0
    m = re.search(r"(\d+)\s*-\s*(\d+)", value)
    return int(m.group(2)) + 1 if m else 0


def _query_status(ctx: TransferContext, session_uri: str, total: int) -> int:
    """Ask the session how many bytes it holds (:class:`_Complete` when it has them all)."""
    response = ctx.session.put(
        session_uri,
        data=b"",
        headers=without_auth(
            {
                "Content-Range": f"bytes */{total}",
                "Content-Length": "0",
            }
        ),
        auth=ctx.auth_for(session_uri),
        timeout=ctx.timeout,
    )
    if response.status_code in (200, 201):
        raise _Complete(answered_job(response))
    if response.status_code == 308:
        return _stored_bytes(response)
    if transient(response.status_code):
        raise _ServerError(response.status_code)
    raise storage_error(response, "upload", ctx)
