"""Downloading a job's results from its signed ``download_url`` into a file.

:func:`download_to` streams the results to a hidden temporary file next to the destination,
resumes with ``Range`` after an interruption, and renames the file into place only when it
is complete; a :class:`ByteSink` can take the bytes as they are written, so the results are
parsed while they download. The bearer token goes along only when the URL is on the API's
own origin (:meth:`~.storage.TransferContext.auth_for`).

Examples
--------
A sink only needs ``feed`` and ``restart``:

>>> class Lines:
...     def __init__(self) -> None:
...         self.data = b""
...     def feed(self, data: bytes) -> None:
...         self.data += data
...     def restart(self) -> None:
...         self.data = b""
>>> sink: ByteSink = Lines()
>>> sink.feed(b'{"id": "20"}\\n')
>>> sink.data.count(b"\\n")
1
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from .._exceptions import DownloadError
from .storage import RETRYABLE_ERRORS, TransferContext, retry, send_until_answered, storage_error

__all__ = ["ByteSink", "download_to"]


class ByteSink(Protocol):
    """Takes a download's bytes as they are written (:func:`download_to`)."""

    def feed(self, data: bytes) -> None:
        """The next bytes, in file order."""

    def restart(self) -> None:
        """The bytes so far are void: the file starts over."""


def download_to(ctx: TransferContext, url: str, dest: Path, sink: ByteSink | None = None) -> int:
    """Stream ``url`` to ``dest`` atomically; return the number of bytes written.

    The bytes go to a hidden temporary file next to ``dest`` that is renamed into place
    only when complete. An interrupted transfer resumes with ``Range: bytes=n-`` (206);
    a server that ignores ``Range`` (200), or a stream that was decoded
    (``Content-Encoding``), starts the file over.

    Parameters
    ----------
    ctx : TransferContext
        The storage session, limits and callbacks; ``ctx.max_retries`` bounds the
        failures in a row without progress.
    url : str
        The job's signed ``download_url``.
    dest : Path
        Where the results file goes; its folder is made if need be.
    sink : ByteSink, optional
        Gets each block as it is written (and :meth:`ByteSink.restart` when the file
        starts over).

    Returns
    -------
    int
        The size of the file in bytes.

    Raises
    ------
    DownloadError
        The retries are spent, or the storage service refused the download
        (:func:`~.storage.storage_error`). No file is left behind.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    done = 0
    failures = 0
    retry_get = partial(_download_retry, ctx)
    try:
        with open(tmp, "wb") as out:
            while True:
                headers: dict[str, Any] = {"Authorization": None}
                if done:
                    headers["Range"] = f"bytes={done}-"
                start_done = done
                get = partial(
                    ctx.session.get,
                    url,
                    headers=headers,
                    auth=ctx.auth_for(url),
                    stream=True,
                    timeout=ctx.timeout,
                )
                response, failures = send_until_answered(
                    ctx, get, failures, retry_get, "{}", "HTTP {}"
                )
                with response:
                    status = response.status_code
                    if done and status == 416:
                        break  # we asked past the end: everything is here
                    if status == 200 and done:
                        out.seek(0)  # the server ignored Range: start over
                        out.truncate()
                        done = 0
                        if sink is not None:
                            sink.restart()
                    elif status not in (200, 206) or (status == 206 and not done):
                        raise storage_error(response, "download", ctx)
                    encoded = bool(response.headers.get("Content-Encoding"))
                    length = response.headers.get("Content-Length")
                    total = done + int(length) if length and not encoded else None
                    last_event = 0.0
                    try:
                        for block in response.iter_content(1024 * 1024):
                            out.write(block)
                            if sink is not None:
                                sink.feed(block)
                            done += len(block)
                            now = time.monotonic()
                            if now - last_event >= 0.2:
                                last_event = now
                                ctx.event("downloading", bytes_done=done, bytes_total=total)
                                ctx.check_cancel()
                    except RETRYABLE_ERRORS as exc:
                        if encoded:  # cannot resume a decoded stream by byte offset
                            out.seek(0)
                            out.truncate()
                            done = 0
                            if sink is not None:
                                sink.restart()
                        failures = retry_get(
                            0 if done > start_done else failures, type(exc).__name__
                        )
                        continue
                    if total is not None and done < total:
                        failures = retry_get(
                            0 if done > start_done else failures, "connection closed early"
                        )
                        continue
                    break
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    ctx.event("downloading", bytes_done=done, bytes_total=done)
    return done


def _download_retry(ctx: TransferContext, failures: int, problem: str) -> int:
    """A failed or cut-short ``GET``: pause, or give up."""
    return retry(
        ctx,
        failures,
        f"download interrupted ({problem})",
        DownloadError(
            f"The download failed after {ctx.max_retries} retries ({problem}). Check the "
            "network and call download() again; the results stay available until the job's "
            "download_expires_at."
        ),
    )
