"""Moving files to and from the signed storage URLs: ID uploads and results downloads.

Nothing here ever sends the bearer token: the signed URLs are credentials on their own,
and every request goes through :func:`storage_session`, whose requests carry no
``Authorization`` header whatever the caller's session had.

The pieces, in the order a job uses them:

* :func:`prepare_ids` validates an ID source (iterable, path or binary file) against the
  ID rule BEFORE any byte is sent and returns an :class:`UploadBody` that streams from
  disk (IDs written otherwise than the API wants them, e.g. ``" 007"``, are sent as ``7``);
* :func:`upload_plain` (one ``PUT``) or :func:`upload_resumable` (GCS resumable protocol:
  session start, 256 KiB-aligned chunks, status query and resume after a failure);
* :func:`download_to` streams the results to a temporary file next to the destination,
  resumes with ``Range`` after an interruption, and renames it into place.

>>> body = prepare_ids([20, "1265324480517361664"])
>>> body.size, body.count
(22, 2)
>>> prepare_ids(["12", "x1"])
Traceback (most recent call last):
...
compliance_nb._exceptions.InputError: ID number 2 is not an ID (not decimal digits): 'x1'. ...
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, cast
from urllib.parse import urljoin

import numpy as np
import requests

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import (
    DownloadError,
    DownloadWindowExpiredError,
    InputError,
    TransferError,
    UploadError,
    UploadWindowExpiredError,
)
from .._redact import mask_text
from ..rules.ids import MAX_DIGITS, MAX_ID, RULE, canonical_id
from ..rules.limits import RESUMABLE_CHUNK

__all__ = [
    "RESUMABLE_CHUNK",
    "ByteSink",
    "TransferContext",
    "UploadBody",
    "download_to",
    "prepare_ids",
    "storage_error",
    "storage_session",
    "upload_plain",
    "upload_resumable",
]

_MAX_ID_BYTES = str(MAX_ID).encode()
#: Resumable chunks (except the last) must be multiples of this many bytes.
_READ_BLOCK = 8 * 1024 * 1024
_NOT_ID_BYTES = b"0123456789\n"
_RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


# -- signed URLs in third-party logs -------------------------------
class _MaskSignedUrls(logging.Filter):
    """Masks signed-URL signatures in urllib3's debug lines (they show the full URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _MaskSignedUrls) for f in logger.filters):
        logger.addFilter(_MaskSignedUrls())


_install_log_filter()


# -- the storage session ------------------------------------------------
def _strip_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """An ``auth`` hook that removes any Authorization header (and blocks netrc look-ups)."""
    for name in [k for k in request.headers if k.lower() in ("authorization", "cookie")]:
        del request.headers[name]
    return request


def storage_session(like: requests.Session | None = None) -> requests.Session:
    """A session for signed URLs: no default headers, no auth, no cookies.

    Network settings (``proxies``, ``verify``, ``cert``, adapters) are copied from ``like``
    so a corporate proxy set on the caller's session still applies; its headers and
    auth are not.
    """
    session = requests.Session()
    session.auth = _strip_authorization
    if like is not None:
        session.proxies = dict(like.proxies)
        session.verify = like.verify
        session.cert = like.cert
        session.trust_env = like.trust_env
        for prefix, adapter in like.adapters.items():
            session.mount(prefix, adapter)
    return session


@dataclass
class TransferContext:
    """What a transfer needs from the client: the storage session, limits and callbacks.

    ``pause(attempt, message)`` waits before retry number ``attempt`` (back-off, emits a
    ``retrying`` event, honours cancellation).
    """

    session: requests.Session
    timeout: float
    max_retries: int
    pause: Callable[[int, str], None]
    progress: ProgressCallback | None = None
    cancel: CancelToken | None = None
    kind: str | None = None
    job_id: str | None = None
    job_name: str | None = None

    def event(self, stage: Any, **kw: Any) -> None:
        emit(
            self.progress,
            ProgressEvent(stage, kind=self.kind, job_id=self.job_id, job_name=self.job_name, **kw),
        )

    def check_cancel(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()


# -- ID validation ------------------------------------------------
@dataclass
class UploadBody:
    """A validated ID file, ready to send: newline-separated decimal IDs.

    ``path`` is a file on disk (streamed, never read whole) or ``data`` holds the bytes;
    ``fileobj``/``start`` is a caller's seekable binary file. ``size`` is in bytes,
    ``count`` the number of lines (IDs). Temporary files made here are removed by
    :meth:`close`. ``wait_for``, with ``path``: the file is still being written (by
    another thread) to its final ``size``; ``wait_for(n)`` returns once its first ``n``
    bytes are there, and every read waits for it.
    """

    size: int
    count: int
    path: Path | None = None
    data: bytes | None = None
    fileobj: IO[bytes] | None = None
    start: int = 0
    temporary: bool = False
    wait_for: Callable[[int], None] | None = None

    def open(self) -> IO[bytes]:
        """A binary file positioned at the first byte of the IDs."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is not None:
            if self.wait_for is None:
                return open(self.path, "rb")
            return cast("IO[bytes]", _Growing(open(self.path, "rb"), self.size, self.wait_for))
        assert self.fileobj is not None
        self.fileobj.seek(self.start)
        return cast("IO[bytes]", _NoClose(self.fileobj))

    def close(self) -> None:
        if self.temporary and self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


def _without_auth(headers: dict[str, str]) -> dict[str, Any]:
    """``headers`` plus ``Authorization: None``, which makes requests drop any session-level
    Authorization header: storage requests must never carry the bearer token."""
    return {**headers, "Authorization": None}


class _FileView(io.RawIOBase):
    """A view of a binary file: reads, seeks and tells go to it; closing closes it."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f

    def read(self, n: int | None = -1) -> bytes:
        return self._f.read(-1 if n is None else n)

    def readable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def close(self) -> None:
        self._f.close()
        super().close()


class _NoClose(_FileView):
    """A view of the caller's file object that does not close it."""

    def close(self) -> None:  # the caller owns the file
        pass


class _Growing(_FileView):
    """A file another thread is still writing, to ``size`` bytes: each read waits until
    the bytes it returns are written (``wait_for``), so an upload can follow the writer."""

    def __init__(self, f: IO[bytes], size: int, wait_for: Callable[[int], None]) -> None:
        super().__init__(f)
        self._size = size
        self._wait_for = wait_for

    def read(self, n: int | None = -1) -> bytes:
        at = self._f.tell()
        end = self._size if n is None or n < 0 else min(self._size, at + n)
        if end <= at:
            return b""
        self._wait_for(end)
        return self._f.read(end - at)


class _IDValidator:
    """Checks ID text block by block against the ID rule (:mod:`compliance_nb.rules.ids`).

    Feed it bytes with :meth:`feed`; it keeps an incomplete last line for the next block
    and returns the block's complete lines as the API wants them (one canonical decimal ID
    per line). A block of canonical IDs, what nearly every source holds, is checked with
    vectorised operations and returned as it is; only a block that is not is read line by
    line, to name the first line that is no ID or to write valid ones in canonical form
    (surrounding white space and leading zeros dropped). :attr:`changed` says whether any
    line was rewritten.
    """

    def __init__(self, label: str = "line") -> None:
        self.label = label
        self.lines = 0  # complete lines checked so far
        self.size = 0  # bytes read
        self.changed = False
        self._carry = b""

    def feed(self, block: bytes) -> bytes:
        self.size += len(block)
        data = self._carry + block if self._carry else block
        cut = data.rfind(b"\n") + 1
        self._carry = data[cut:]
        if len(self._carry) > 4096:  # a "line" this long is no ID; fail now, not at EOF
            self._check(self._carry + b"\n")
        return self._check(data[:cut]) if cut else b""

    def finish(self) -> bytes:
        """Check the last line (which need not end with a newline); return it checked."""
        out = b""
        if self._carry:
            out = self._check(self._carry + b"\n")
            self._carry = b""
        if self.lines == 0:
            raise InputError(
                "There are no IDs to upload: the input is empty. Give at least one Tweet or "
                "user ID, one per line."
            )
        return out

    def _check(self, block: bytes) -> bytes:
        """``block`` is whole lines, each ending with a newline."""
        if _canonical_lines(block):
            self.lines += block.count(b"\n")
            return block
        out = []
        for offset, line in enumerate(block.split(b"\n")[:-1], start=1):
            text = line.decode("utf-8", "replace")
            try:
                out.append(canonical_id(text))
            except ValueError as exc:
                number = self.lines + offset
                shown = text[:60] + ("…" if len(text) > 60 else "")
                raise InputError(
                    f"{self.label[0].upper()}{self.label[1:]} {number} is not an ID ({exc}): "
                    f"{shown!r}. {RULE}. Give one ID per line, with no header."
                ) from None
        self.lines += len(out)
        self.changed = True
        return ("\n".join(out) + "\n").encode()


def _canonical_lines(block: bytes) -> bool:
    """True when every line of ``block`` (whole lines) is an ID written as the API wants
    it: 1 to 19 ASCII digits, no leading zero, at most :data:`MAX_ID`. Vectorised."""
    if block.translate(None, _NOT_ID_BYTES):  # something besides digits and newlines
        return False
    arr = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    lengths = np.diff(newlines, prepend=-1) - 1
    starts = newlines - lengths
    longest = int(lengths.max())
    return not (
        int(lengths.min()) < 1  # a blank line
        or longest > MAX_DIGITS
        or bool(np.any(arr[starts] == 48))  # a leading zero, or zero itself
        or (
            longest == MAX_DIGITS
            and any(block[s : s + MAX_DIGITS] > _MAX_ID_BYTES for s in starts[lengths == 19])
        )
    )


def _item_lines(items: Iterable[Any]) -> bytes:
    """Items of an iterable as canonical ID lines; InputError naming the first non-ID."""
    out = []
    for number, item in enumerate(items, start=1):
        try:
            out.append(canonical_id(item))
        except ValueError as exc:
            hint = (
                " Floats cannot hold Tweet IDs exactly; read the IDs as strings or integers."
                if isinstance(item, float) or type(item).__name__.startswith("float")
                else ""
            )
            shown = repr(item)[:60]
            raise InputError(
                f"ID number {number} is not an ID ({exc}): {shown}. {RULE}.{hint}"
            ) from None
    if not out:
        raise InputError(
            "There are no IDs to upload: the input is empty. Give at least one Tweet or "
            "user ID, one per line."
        )
    return "\n".join(out).encode()


def prepare_ids(source: Any) -> UploadBody:
    """Validate an ID source and return an :class:`UploadBody`; nothing is sent.

    ``source`` is an iterable of IDs (``int`` or decimal ``str``), a path to a text file
    with one ID per line, or a binary file object (``open(path, "rb")``).

    Raises:
        InputError: naming the first bad line (or item) and showing it.
    """
    if isinstance(source, UploadBody):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"{str(source)[:200]!r} is not a file. Give a path to a file with one ID per "
                "line, or a list of IDs."
            )
        validator = _IDValidator("line")
        with open(path, "rb") as f:
            while block := f.read(_READ_BLOCK):
                validator.feed(block)
        validator.finish()
        if validator.changed:  # send the IDs as the API wants them, not the file as it is
            with open(path, "rb") as f:
                return _rewritten(f)
        return UploadBody(size=validator.size, count=validator.lines, path=path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise InputError(
            "Give the IDs as a list, a path or a binary file object, not as raw bytes."
        )
    if hasattr(source, "read"):
        return _prepare_fileobj(source)
    if not isinstance(source, Iterable):
        raise InputError(
            f"Cannot upload a {type(source).__name__}: give an iterable of IDs, a path, or a "
            "binary file object."
        )
    return _prepare_iterable(source)


def _join_ints(values: Any) -> str | None:
    """Integers (a list of int or an integer array) as decimal lines, in Rust; None when
    some value is negative or too large (the slow path then names it)."""
    import polars as pl

    try:
        series = pl.Series(values, dtype=pl.UInt64, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        return None
    if series.null_count():
        return None
    return series.cast(pl.String).str.join("\n").item() or ""


def _prepare_iterable(source: Iterable[Any]) -> UploadBody:
    text: str | None = None
    if isinstance(source, np.ndarray) and source.dtype.kind in "iu":
        text = _join_ints(source)
        items: list[Any] = source.tolist()
    else:
        items = source if isinstance(source, list) else list(source)
        kinds = set(map(type, items))
        if kinds == {int}:
            text = _join_ints(items)
        elif kinds == {str}:
            text = "\n".join(items)  # joined in C, checked vectorised below
    if text is not None:  # the fast path: every item already an ID as the API wants it
        data = text.encode("utf-8")
        validator = _IDValidator("ID number")
        with contextlib.suppress(InputError):  # the item-by-item path names the item
            validator.feed(data)
            validator.finish()
            if not validator.changed and data.count(b"\n") == len(items) - 1:
                return UploadBody(size=len(data), count=len(items), data=data)
    data = _item_lines(items)
    return UploadBody(size=len(data), count=data.count(b"\n") + 1, data=data)


def _rewritten(f: IO[bytes]) -> UploadBody:
    """A temporary file of the canonical ID lines of ``f`` (read from where it is)."""
    validator = _IDValidator("line")
    tmp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on disk
        prefix="compliance_nb-ids-", suffix=".txt", delete=False
    )
    try:
        with tmp:
            while block := f.read(_READ_BLOCK):
                tmp.write(validator.feed(block))
            tmp.write(validator.finish())
            size = tmp.tell()
    except BaseException:
        os.unlink(tmp.name)
        raise
    return UploadBody(size=size, count=validator.lines, path=Path(tmp.name), temporary=True)


def _prepare_fileobj(f: Any) -> UploadBody:
    probe = f.read(0)
    if not isinstance(probe, bytes):
        raise InputError("The file object is in text mode; open it in binary mode ('rb').")
    seekable = getattr(f, "seekable", lambda: False)()
    if not seekable:  # a pipe, a socket: copied to a temporary file while validated
        return _rewritten(f)
    validator = _IDValidator("line")
    start = f.tell()
    while block := f.read(_READ_BLOCK):
        validator.feed(block)
    validator.finish()
    f.seek(start)
    if validator.changed:
        body = _rewritten(f)
        f.seek(start)
        return body
    return UploadBody(size=validator.size, count=validator.lines, fileobj=f, start=start)


def _transient(status: int) -> bool:
    """Statuses the storage service asks clients to retry with back-off: 408, 429, 5xx."""
    return status >= 500 or status in (408, 429)


# -- storage errors ------------------------------------------------
_XML_CODE = re.compile(r"<Code>\s*([^<]+?)\s*</Code>")
_XML_MESSAGE = re.compile(r"<Message>\s*([^<]*?)\s*</Message>")


def storage_error(response: requests.Response, direction: str) -> TransferError:
    """Turn a storage error response (GCS XML or anything else) into a plain sentence.

    ``direction`` is ``"upload"`` or ``"download"``.
    """
    text = response.text or ""
    m = _XML_CODE.search(text)
    code = m.group(1) if m else None
    mm = _XML_MESSAGE.search(text)
    detail = mm.group(1) if mm else None
    status = response.status_code
    upload = direction == "upload"
    base: type[TransferError] = UploadError if upload else DownloadError
    if code == "ExpiredToken":
        if upload:
            return UploadWindowExpiredError(
                "The upload URL has expired: the job's 15-minute upload window is over. "
                "Create a new job and upload the IDs again (code ExpiredToken).",
                status=status,
                code=code,
            )
        return DownloadWindowExpiredError(
            "The download URL has expired: results are kept for 7 days after the job was "
            "created. Run a new job for these IDs (code ExpiredToken).",
            status=status,
            code=code,
        )
    sentences = {
        "SignatureDoesNotMatch": (
            f"The storage service rejected the signed {direction} URL because the request did "
            "not match what X signed (code SignatureDoesNotMatch). This usually means the URL "
            "was changed or a header differs; create a new job and try again."
        ),
        "AccessDenied": (
            f"The storage service denied access to the signed {direction} URL (code "
            "AccessDenied). Create a new job and try again."
        ),
        "NoSuchKey": (
            "The results file is not in storage (code NoSuchKey): the job may not be complete, "
            "or its results were removed."
        ),
        "NoSuchUpload": (
            "The resumable upload session no longer exists (code NoSuchUpload). Create a new "
            "job and upload again."
        ),
    }
    if code in sentences:
        message = sentences[code]
    elif code:
        message = (
            f"The storage service refused the {direction} (HTTP {status}, code {code}"
            + (f": {detail}" if detail else "")
            + ")."
        )
    else:
        excerpt = " ".join(text.split())[:200]
        message = f"The storage service answered the {direction} with HTTP {status}" + (
            f": {excerpt!r}." if excerpt else "."
        )
    return base(mask_text(message), status=status, code=code)


# -- uploads ------------------------------------------------
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

    def __iter__(self):  # requests treats objects with __iter__ as streams
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


def upload_plain(ctx: TransferContext, url: str, body: UploadBody) -> None:
    """One ``PUT`` of the whole file with ``Content-Type: text/plain``; retried after a
    dropped connection or a 5xx (the same bytes to the same URL)."""
    attempt = 0
    while True:
        ctx.check_cancel()
        ctx.event("uploading", bytes_done=0, bytes_total=body.size)
        f = body.open()
        try:
            response = ctx.session.put(
                url,
                data=_ProgressReader(f, body.size, ctx),
                headers=_without_auth({"Content-Type": "text/plain"}),
                timeout=ctx.timeout,
            )
        except _RETRYABLE_ERRORS as exc:
            attempt = _next_attempt(ctx, attempt, f"upload interrupted ({type(exc).__name__})")
            continue
        finally:
            f.close()
        if response.status_code in (200, 201):
            ctx.event("uploading", bytes_done=body.size, bytes_total=body.size)
            return
        if _transient(response.status_code):
            attempt = _next_attempt(ctx, attempt, f"storage answered HTTP {response.status_code}")
            continue
        raise storage_error(response, "upload")


def _next_attempt(ctx: TransferContext, attempt: int, message: str) -> int:
    attempt += 1
    if attempt > ctx.max_retries:
        raise UploadError(
            f"The upload failed after {ctx.max_retries} retries: {message}. Check the "
            "network and try again (create a new job if the 15-minute window has passed)."
        ) from None
    ctx.pause(attempt, message)
    return attempt


class _Complete(Exception):
    """Internal: the storage service reports the upload complete."""


def upload_resumable(
    ctx: TransferContext, url: str, body: UploadBody, chunk_size: int = 8 * 1024 * 1024
) -> None:
    """Upload with the GCS resumable protocol.

    Start a session (``POST`` + ``x-goog-resumable: start`` -> 201 + ``Location``), send
    chunks that are multiples of 256 KiB with ``Content-Range``, follow the 308 ``Range``
    header, and after a dropped connection or a 5xx ask the session how much it stored
    (``Content-Range: bytes */total``) and resume from there. Retries are bounded by
    ``ctx.max_retries`` consecutive failures.
    """
    chunk = max(RESUMABLE_CHUNK, chunk_size // RESUMABLE_CHUNK * RESUMABLE_CHUNK)
    total = body.size
    session_uri = _start_session(ctx, url)
    offset = 0
    failures = 0
    ctx.event("uploading", bytes_done=0, bytes_total=total)
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
                    headers=_without_auth(
                        {
                            "Content-Range": f"bytes {offset}-{end}/{total}",
                            "Content-Type": "text/plain",
                        }
                    ),
                    timeout=ctx.timeout,
                )
                problem = None
            except _RETRYABLE_ERRORS as exc:
                response = None
                problem = f"upload interrupted at byte {offset} ({type(exc).__name__})"
            if response is not None and response.status_code in (200, 201):
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
            if response is not None and not _transient(response.status_code):
                raise storage_error(response, "upload")
            if response is not None:
                problem = f"storage answered HTTP {response.status_code} at byte {offset}"
            # a dropped connection or a 5xx: ask the session what it has, then resume
            while True:
                failures += 1
                if failures > ctx.max_retries:
                    raise UploadError(
                        f"The upload failed after {ctx.max_retries} retries ({problem}). "
                        "Check the network and try again; create a new job if the 15-minute "
                        "upload window has passed."
                    ) from None
                ctx.pause(failures, str(problem))
                try:
                    offset = _query_status(ctx, session_uri, total)
                    break
                except _Complete:
                    offset = total
                    break
                except _RETRYABLE_ERRORS as exc:
                    problem = f"status query failed ({type(exc).__name__})"
                except _ServerError as exc:
                    problem = f"status query answered HTTP {exc.status}"
            if offset >= total:
                break
            ctx.event("uploading", bytes_done=offset, bytes_total=total)
    except _Complete:
        pass
    finally:
        f.close()
    ctx.event("uploading", bytes_done=total, bytes_total=total)


class _ServerError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _start_session(ctx: TransferContext, url: str) -> str:
    attempt = 0
    while True:
        ctx.check_cancel()
        try:
            response = ctx.session.post(
                url,
                data=b"",
                headers=_without_auth(
                    {
                        "Content-Type": "text/plain",
                        "Content-Length": "0",
                        "x-goog-resumable": "start",
                    }
                ),
                timeout=ctx.timeout,
            )
        except _RETRYABLE_ERRORS as exc:
            attempt = _next_attempt(ctx, attempt, f"session start failed ({type(exc).__name__})")
            continue
        if _transient(response.status_code):
            attempt = _next_attempt(ctx, attempt, f"session start answered {response.status_code}")
            continue
        if response.status_code not in (200, 201):
            raise storage_error(response, "upload")
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
    response = ctx.session.put(
        session_uri,
        data=b"",
        headers=_without_auth(
            {
                "Content-Range": f"bytes */{total}",
                "Content-Length": "0",
            }
        ),
        timeout=ctx.timeout,
    )
    if response.status_code in (200, 201):
        raise _Complete
    if response.status_code == 308:
        return _stored_bytes(response)
    if _transient(response.status_code):
        raise _ServerError(response.status_code)
    raise storage_error(response, "upload")


# -- downloads ------------------------------------------------
class ByteSink(Protocol):
    """Takes a download's bytes as they are written (:func:`download_to`)."""

    def feed(self, data: bytes) -> None:
        """The next bytes, in file order."""

    def restart(self) -> None:
        """The bytes so far are void: the file starts over."""


def download_to(ctx: TransferContext, url: str, dest: Path, sink: ByteSink | None = None) -> int:
    """Stream ``url`` to ``dest`` atomically; return the number of bytes written.

    The bytes go to a hidden temporary file next to ``dest`` that is renamed into place
    only when complete. An interrupted transfer resumes with ``Range: bytes=n-`` (206),
    at most ``ctx.max_retries`` times in a row without progress. ``sink`` gets each block
    as it is written (and :meth:`ByteSink.restart` when the file starts over), so the
    results can be parsed while they download.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    done = 0
    failures = 0
    try:
        with open(tmp, "wb") as out:
            while True:
                ctx.check_cancel()
                headers: dict[str, Any] = {"Authorization": None}
                if done:
                    headers["Range"] = f"bytes={done}-"
                start_done = done
                try:
                    response = ctx.session.get(
                        url, headers=headers, stream=True, timeout=ctx.timeout
                    )
                except _RETRYABLE_ERRORS as exc:
                    failures = _download_retry(ctx, failures, f"{type(exc).__name__}")
                    continue
                with response:
                    status = response.status_code
                    if _transient(status):
                        failures = _download_retry(ctx, failures, f"HTTP {status}")
                        continue
                    if done and status == 416:
                        break  # we asked past the end: everything is here
                    if status == 200 and done:
                        out.seek(0)  # the server ignored Range: start over
                        out.truncate()
                        done = 0
                        if sink is not None:
                            sink.restart()
                    elif status not in (200, 206) or (status == 206 and not done):
                        raise storage_error(response, "download")
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
                    except _RETRYABLE_ERRORS as exc:
                        if encoded:  # cannot resume a decoded stream by byte offset
                            out.seek(0)
                            out.truncate()
                            done = 0
                            if sink is not None:
                                sink.restart()
                        failures = _download_retry(
                            ctx, 0 if done > start_done else failures, type(exc).__name__
                        )
                        continue
                    if total is not None and done < total:
                        failures = _download_retry(
                            ctx, 0 if done > start_done else failures, "connection closed early"
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
    failures += 1
    if failures > ctx.max_retries:
        raise DownloadError(
            f"The download failed after {ctx.max_retries} retries ({problem}). Check the "
            "network and call download() again; the results stay available until the job's "
            "download_expires_at."
        ) from None
    ctx.pause(failures, f"download interrupted ({problem})")
    return failures
