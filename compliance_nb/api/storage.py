"""Talking to whatever serves a job's upload and download URLs, for both directions.

A job's ``upload_url`` and ``download_url`` are opaque: signed storage URLs (credentials on
their own), or the API host's own transfer routes (OpenAPI v2.168), which want the bearer
token as well. Every transfer goes through :func:`storage_session`, whose requests carry no
``Authorization`` header (nor cookies) whatever the caller's session had, and names the
auth of each request with :meth:`TransferContext.auth_for`: the bearer token only for URLs
on the API's own origin and routes (:func:`~compliance_nb.api.origin.is_api_route`),
nothing anywhere else. Signatures and tokens are masked in urllib3's debug lines, which
show whole URLs.

What the upload and download loops share lives here too: :class:`TransferContext` (what a
transfer needs from the client), which failures are worth another try (:data:`RETRYABLE_ERRORS`
and :func:`transient`), the retry bookkeeping (:func:`retry` and :func:`send_until_answered`)
and the plain sentence for a storage error (:func:`storage_error`).

Examples
--------
>>> session = storage_session()
>>> prepared = session.prepare_request(
...     requests.Request("GET", "https://storage.example/f", headers={"Authorization": "x"})
... )
>>> "Authorization" in prepared.headers
False
>>> transient(503), transient(429), transient(404)
(True, True, False)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import (
    DownloadError,
    DownloadWindowExpiredError,
    TransferError,
    UploadError,
    UploadWindowExpiredError,
)
from .._redact import mask_text
from .origin import is_api_route

__all__ = [
    "RETRYABLE_ERRORS",
    "TransferContext",
    "retry",
    "send_until_answered",
    "storage_error",
    "storage_session",
    "transient",
    "without_auth",
]

#: 429s of the API's own routes in a row that wait for the reset (then: back-off retries).
_MAX_RATE_WAITS = 5

#: Request failures worth another try: the connection dropped or timed out.
RETRYABLE_ERRORS = (
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

    Parameters
    ----------
    like : requests.Session, optional
        Network settings (``proxies``, ``verify``, ``cert``, ``trust_env``, adapters) are
        copied from it so that a corporate proxy set on the caller's session still applies;
        its headers and auth are not.

    Returns
    -------
    requests.Session
        A session whose requests never carry an ``Authorization`` header or cookies.
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


def without_auth(headers: dict[str, str]) -> dict[str, Any]:
    """``headers`` plus ``Authorization: None``, which makes requests drop any session-level
    Authorization header: storage requests must never carry the bearer token.

    >>> without_auth({"Content-Type": "text/plain"})
    {'Content-Type': 'text/plain', 'Authorization': None}
    """
    return {**headers, "Authorization": None}


@dataclass
class TransferContext:
    """What a transfer needs from the client: the storage session, limits and callbacks.

    Parameters
    ----------
    session : requests.Session
        A :func:`storage_session`.
    timeout : float
        Seconds for each request.
    max_retries : int
        Failures in a row after which a transfer gives up (:func:`retry`).
    pause : callable
        ``pause(attempt, message)`` waits before retry number ``attempt`` (back-off, emits
        a ``retrying`` event, honours cancellation).
    progress : callable, optional
        Takes the ``uploading`` and ``downloading`` progress events.
    cancel : CancelToken, optional
        Checked between requests and blocks.
    kind, job_id, job_name : str, optional
        The job, named in every event.
    api_url : str, optional
        The client's API base URL: requests to its origin carry ``bearer``.
    bearer : requests.auth.AuthBase, optional
        Sets the bearer token on a request (see :meth:`auth_for`).
    rate_wait : callable, optional
        ``rate_wait(response)`` waits for the rate-limit reset a 429 of the API's own
        routes names and returns True, or returns False at once (no reset named, or one
        beyond the client's longest wait): the 429 is then retried with back-off.
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
    api_url: str | None = None
    bearer: requests.auth.AuthBase | None = None
    rate_wait: Callable[[requests.Response], bool] | None = None

    def on_api(self, url: str) -> bool:
        """True when ``url`` is one of the API's own routes (its v2.168 transfer routes):
        :func:`~compliance_nb.api.origin.is_api_route`, the one rule for the token."""
        return self.api_url is not None and is_api_route(url, self.api_url)

    def auth_for(self, url: str) -> Callable[[requests.PreparedRequest], Any]:
        """The ``auth=`` of every transfer request to ``url``: the bearer token on the API's
        own origin, and a hook that removes any Authorization header everywhere else."""
        if self.bearer is not None and self.on_api(url):
            return self.bearer
        return _strip_authorization

    def upload_type(self, url: str) -> str:
        """The Content-Type of an ID file sent to ``url``: what storage URLs are signed
        with (``text/plain``), and the API route's documented ``application/octet-stream``."""
        return "application/octet-stream" if self.on_api(url) else "text/plain"

    def event(self, stage: Any, **kw: Any) -> None:
        """Emit a progress event of ``stage`` for this job."""
        emit(
            self.progress,
            ProgressEvent(stage, kind=self.kind, job_id=self.job_id, job_name=self.job_name, **kw),
        )

    def check_cancel(self) -> None:
        """Raise the cancellation error when the run has been cancelled."""
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()


# -- retries ------------------------------------------------
def transient(status: int) -> bool:
    """Statuses the storage service asks clients to retry with back-off: 408, 429, 5xx."""
    return status >= 500 or status in (408, 429)


def retry(ctx: TransferContext, failures: int, message: str, give_up: TransferError) -> int:
    """Count one more failure in a row: pause before the next try, or give up.

    Parameters
    ----------
    ctx : TransferContext
        Its ``max_retries`` bounds the failures in a row; its ``pause`` waits.
    failures : int
        Failures in a row before this one (0 after progress).
    message : str
        What failed, for the ``retrying`` event.
    give_up : TransferError
        Raised (without the failure it follows as context) once the failures in a row
        exceed ``ctx.max_retries``.

    Returns
    -------
    int
        The failures in a row, this one included.

    Examples
    --------
    >>> pauses = []
    >>> ctx = TransferContext(None, 1.0, 1, lambda n, m: pauses.append((n, m)))
    >>> retry(ctx, 0, "HTTP 503", UploadError("gave up"))
    1
    >>> retry(ctx, 1, "HTTP 503", UploadError("gave up"))
    Traceback (most recent call last):
    ...
    compliance_nb.UploadError: gave up
    >>> pauses
    [(1, 'HTTP 503')]
    """
    failures += 1
    if failures > ctx.max_retries:
        raise give_up from None
    ctx.pause(failures, message)
    return failures


def send_until_answered(
    ctx: TransferContext,
    send: Callable[[], requests.Response],
    failures: int,
    on_failure: Callable[[int, str], int],
    dropped: str,
    answered: str,
) -> tuple[requests.Response, int]:
    """Send a request until the storage service gives an answer that is not transient.

    Parameters
    ----------
    ctx : TransferContext
        Checked for cancellation before each try.
    send : callable
        Sends the request once and returns the response.
    failures : int
        Failures in a row so far.
    on_failure : callable
        ``on_failure(failures, problem)`` counts a failure (a :func:`retry`, which pauses or
        gives up) and returns the new count.
    dropped, answered : str
        The problem after a dropped connection (``{}`` is the exception's class name) and
        after a transient status (``{}`` is the status).

    Returns
    -------
    tuple of (requests.Response, int)
        The first answer that is not transient (success or a refusal, for the caller to
        judge) and the failures in a row before it.
    """
    rate_waits = 0
    while True:
        ctx.check_cancel()
        try:
            response = send()
        except RETRYABLE_ERRORS as exc:
            failures = on_failure(failures, dropped.format(type(exc).__name__))
            continue
        if (
            response.status_code == 429
            and ctx.rate_wait is not None
            and rate_waits < _MAX_RATE_WAITS
            and ctx.on_api(response.url or "")
        ):
            response.close()
            if ctx.rate_wait(response):  # the API's own route: wait for its reset
                rate_waits += 1
                continue
        if transient(response.status_code):
            response.close()
            failures = on_failure(failures, answered.format(response.status_code))
            continue
        return response, failures


# -- storage errors ------------------------------------------------
_XML_CODE = re.compile(r"<Code>\s*([^<]+?)\s*</Code>")
_XML_MESSAGE = re.compile(r"<Message>\s*([^<]*?)\s*</Message>")


def storage_error(
    response: requests.Response, direction: str, ctx: TransferContext | None = None
) -> TransferError:
    """Turn a refused transfer (GCS XML, an API problem, anything else) into a plain sentence.

    Parameters
    ----------
    response : requests.Response
        The storage service's (or the API transfer route's) refusal.
    direction : str
        ``"upload"`` or ``"download"``.
    ctx : TransferContext, optional
        Says whether the URL was on the API's origin (a 401 elsewhere is explained: the
        token only goes to the API).

    Returns
    -------
    TransferError
        :class:`UploadError` or :class:`DownloadError` (the ``...WindowExpiredError`` ones
        for code ``ExpiredToken``), with the status and the storage code; any signature in
        the text is masked.

    Examples
    --------
    >>> response = requests.Response()
    >>> response.status_code = 400
    >>> response._content = b"<Error><Code>ExpiredToken</Code></Error>"
    >>> error = storage_error(response, "download")
    >>> type(error).__name__, error.status, error.code
    ('DownloadWindowExpiredError', 400, 'ExpiredToken')
    """
    problem = _problem_body(response)
    if problem is not None or response.status_code == 401:
        return _api_refusal(response, direction, problem or {}, ctx)
    text = response.text or ""
    m = _XML_CODE.search(text)
    code = m.group(1) if m else None
    mm = _XML_MESSAGE.search(text)
    detail = mm.group(1) if mm else None
    status = response.status_code
    upload = direction == "upload"
    base: type[TransferError] = UploadError if upload else DownloadError
    if code == "ExpiredToken":
        return _window_expired(direction, status, code)
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


def _window_expired(direction: str, status: int, code: str | None) -> TransferError:
    if direction == "upload":
        return UploadWindowExpiredError(
            "The upload URL has expired: the job's 15-minute upload window is over. "
            f"Create a new job and upload the IDs again (code {code}).",
            status=status,
            code=code,
        )
    return DownloadWindowExpiredError(
        "The download URL has expired: results are kept for 7 days after the job was "
        f"created. Run a new job for these IDs (code {code}).",
        status=status,
        code=code,
    )


def _problem_body(response: requests.Response) -> dict[str, Any] | None:
    """The JSON problem of an API-style refusal (None for XML or plain text)."""
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _api_refusal(
    response: requests.Response,
    direction: str,
    problem: dict[str, Any],
    ctx: TransferContext | None,
) -> TransferError:
    """A refusal in the API's problem format (the v2.168 transfer routes), or any 401."""
    status = response.status_code
    title = str(problem.get("title") or "").strip()
    detail = str(problem.get("detail") or "").strip()
    said = ": ".join(x for x in (title, detail) if x)
    code = title or None
    if "expired" in said.lower():
        return _window_expired(direction, status, code)
    base: type[TransferError] = UploadError if direction == "upload" else DownloadError
    url = response.url or ""
    on_api = ctx.on_api(url) if ctx is not None and url else None
    if status == 401 and on_api is False:
        message = (
            f"The {direction} URL's host asked for credentials (HTTP 401), but the bearer "
            "token is only ever sent to the API's own origin "
            f"({ctx.api_url if ctx is not None else 'base_url'}), and this URL is elsewhere. "
            "If X now hands out URLs on another API host, point base_url at that host."
        )
    elif status == 401:
        message = (
            f"The API refused the bearer token on its {direction} route (HTTP 401"
            + (f", {said}" if said else "")
            + "). Check that the token is the app's bearer token."
        )
    else:
        message = f"The API refused the {direction} (HTTP {status}" + (
            f": {said})." if said else ")."
        )
    return base(mask_text(message), status=status, code=code)
