"""``ComplianceClient``: X's batch compliance API, from job creation to results file.

>>> client = ComplianceClient(bearer_token="AAAA-example", base_url="http://127.0.0.1:1")
>>> client
ComplianceClient(base_url='http://127.0.0.1:1', token=set)

Typical use (against the built-in sandbox when there is no token)::

    client = ComplianceClient()                  # token from X_BEARER_TOKEN & co.
    path = client.run("tweets", ["1265324480517361664", 20])
    results = read_results(path)

or step by step: ``create_job`` -> ``upload`` -> ``wait`` -> ``download``.

What the client takes care of:

* the bearer token goes only to requests built from ``base_url``; uploads and
  downloads use a separate session that never carries ``Authorization``;
* every API request first takes a slot from a per-route budget (150 per 15 minutes,
  :mod:`compliance_nb.api.ratelimit`), so polling can never run into the limit;
* connection errors and 5xx on idempotent calls are retried with exponential back-off
  and jitter; a 429 waits until ``x-rate-limit-reset``;
* job creation is never retried blindly: after a failure the job is looked up by its
  (unique) name first, so a retry never makes a duplicate job.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import (
    TOKEN_ENV_VARS,
    APIError,
    AuthenticationError,
    ConflictError,
    DownloadError,
    DownloadWindowExpiredError,
    InputError,
    JobCancelledError,
    JobExpiredError,
    JobFailedError,
    JobTimeoutError,
    MissingTokenError,
    NotFoundError,
    RateLimitError,
    UploadError,
    UploadWindowExpiredError,
)
from .._redact import mask_text, mask_url
from ..rules.limits import RATE_LIMIT, RATE_WINDOW, RESUMABLE_THRESHOLD, is_job_id
from .downloads import ByteSink, download_to
from .idsource import UploadBody, prepare_ids
from .job import JOB_KINDS, Job
from .ratelimit import RateBudget
from .storage import TransferContext, storage_session
from .uploads import upload_plain, upload_resumable

__all__ = ["DEFAULT_BASE_URL", "ComplianceClient"]

log = logging.getLogger("compliance_nb")

DEFAULT_BASE_URL = "https://api.x.com"
JOBS_PATH = "/2/compliance/jobs"
ROUTE_CREATE = "POST /2/compliance/jobs"
ROUTE_LIST = "GET /2/compliance/jobs"
ROUTE_GET = "GET /2/compliance/jobs/:id"
ROUTE_CANCEL = "DELETE /2/compliance/jobs/:id"
LIST_STATUSES = ("created", "in_progress", "failed", "complete")
#: Uploads larger than this use the resumable protocol when ``run`` chooses.
#: After a failed create, a job with our name created this recently is ours.
_CREATE_LOOKUP_WINDOW = 600.0
_MAX_BACKOFF = 60.0
_MAX_RATE_LIMIT_RETRIES = 5
#: wait() gives up on a never-uploaded job this long after its upload window closed
_UPLOAD_GRACE = 300.0


class _BearerAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer ...``; as ``auth=`` it also wins over a session's own
    auth and over netrc. Its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


def _token_from_env() -> str | None:
    for var in TOKEN_ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            return value
    return None


def _check_kind(kind: str) -> str:
    if kind not in JOB_KINDS:
        raise InputError(
            f"Unknown job kind {kind!r}: use 'tweets' (Tweet/Post IDs) or 'users' (user IDs)."
        )
    return kind


def _check_job_id(job_id: str | int | Job) -> str:
    if isinstance(job_id, Job):
        job_id = job_id.id
    if isinstance(job_id, bool) or not isinstance(job_id, (str, int)):
        raise InputError(f"A job ID is a string of 1-19 digits, not a {type(job_id).__name__}.")
    text = str(job_id).strip()
    if not is_job_id(text):
        raise InputError(f"{text[:40]!r} is not a job ID: job IDs are 1-19 digits.")
    return text


def _never_uploaded(job: Job) -> bool:
    """A ``created`` job whose upload window closed minutes ago will never complete."""
    if job.status != "created" or job.upload_expires_at is None:
        return False
    grace = timedelta(seconds=_UPLOAD_GRACE)
    return datetime.now(timezone.utc) > job.upload_expires_at + grace


def _is_resumable(job: Job) -> bool:
    """Whether the job's upload URL is for the resumable protocol.

    Trusts the URL as well as the flag: an upload URL signed with the
    ``x-goog-resumable`` header only accepts a session start, whatever ``resumable`` says
    (the docs show a job created with ``resumable: true`` answering ``false``).
    """
    return job.resumable or "x-goog-resumable" in unquote(job.upload_url or "").lower()


class ComplianceClient:
    """A client for X's batch compliance API (``/2/compliance/jobs``).

    Args:
        bearer_token: the app's bearer token. Default: ``X_BEARER_TOKEN``, then
            ``TWITTER_BEARER_TOKEN``, then ``BEARER_TOKEN``. A missing token raises
            :class:`MissingTokenError` at the first call that needs it.
        base_url: the API host. Default: ``COMPLIANCE_NB_API_URL`` or ``https://api.x.com``.
        session: a ``requests.Session`` for API calls (its network settings, not its
            headers, are also used for the signed storage URLs).
        timeout: seconds per HTTP request.
        max_retries: retries after a connection error or a 5xx (per call).
        backoff: first retry delay in seconds; doubles each time, with jitter.
        rate_limit / rate_window: the per-route budget (X: 150 per 900 s).
        max_rate_limit_wait: the longest wait for a rate-limit reset; beyond it
            :class:`RateLimitError` is raised instead.
        sleep: the sleep function (a seam for tests).
        user_agent: the User-Agent header of API calls.
    """

    def __init__(
        self,
        bearer_token: str | None = None,
        base_url: str | None = None,
        session: requests.Session | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        max_rate_limit_wait: float = 900.0,
        sleep: Callable[[float], None] | None = None,
        user_agent: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        #: True for clients made by ``Sandbox.client()``: their results are simulated.
        self.is_sandbox: bool = False
        token = bearer_token if bearer_token is not None else _token_from_env()
        self._token: str | None = token.strip() if token and token.strip() else None
        url = base_url or os.environ.get("COMPLIANCE_NB_API_URL") or DEFAULT_BASE_URL
        self.base_url: str = url.rstrip("/")
        self._session = session if session is not None else requests.Session()
        self._storage = storage_session(session)
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_rate_limit_wait = max_rate_limit_wait
        self._custom_sleep = sleep is not None
        self._sleep_fn: Callable[[float], None] = sleep or time.sleep
        #: wall-clock seconds; a seam for tests (shared with the rate budget)
        self._clock: Callable[[], float] = clock or time.time
        self._budget = RateBudget(rate_limit, rate_window, clock=lambda: self._clock())
        from .. import __version__

        self.user_agent = user_agent or f"compliance_nb/{__version__}"

    # -- display ------------------------------------------------
    @property
    def has_token(self) -> bool:
        """True when a bearer token was given or found in the environment."""
        return self._token is not None

    def __repr__(self) -> str:
        state = "set" if self._token else "missing"
        sandbox = ", sandbox" if self.is_sandbox else ""
        return f"ComplianceClient(base_url={self.base_url!r}, token={state}{sandbox})"

    def _repr_html_(self) -> str:
        import html

        state = "set" if self._token else "missing"
        return f"<b>ComplianceClient</b> {html.escape(self.base_url)} <span>(token {state})</span>"

    # -- sleeping, back-off, events -------------------------------------------------------
    def _sleep(self, seconds: float, cancel: CancelToken | None) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
            if not self._custom_sleep:
                cancel.sleep(seconds)
                return
        if seconds > 0:
            self._sleep_fn(seconds)
        if cancel is not None:
            cancel.raise_if_cancelled()

    def _backoff_delay(self, attempt: int) -> float:
        base = min(_MAX_BACKOFF, self.backoff * (2 ** (attempt - 1)))
        return base * random.uniform(0.5, 1.0) if base > 0 else 0.0

    def _pause(
        self,
        attempt: int,
        message: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        kind: str | None = None,
        job: Job | None = None,
    ) -> None:
        delay = self._backoff_delay(attempt)
        text = self._mask(f"{message}; retry {attempt} of {self.max_retries} in {delay:.1f} s")
        log.info(text)
        emit(
            progress,
            ProgressEvent(
                "retrying",
                kind=kind or (job.type if job else None),
                job_id=job.id if job else None,
                job_name=job.name if job else None,
                job=job,
                wait_seconds=delay,
                message=text,
            ),
        )
        self._sleep(delay, cancel)

    def _mask(self, text: str) -> str:
        return mask_text(text, [self._token] if self._token else [])

    # -- the API call ------------------------------------------------
    def _require_token(self) -> str:
        if not self._token:
            raise MissingTokenError()
        return self._token

    def _request(
        self,
        method: str,
        path: str,
        route: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """One API call with the budget, retries and error mapping; returns the JSON body.

        Non-idempotent calls (create) are not retried after a connection error or 5xx:
        the error propagates as an ``APIError`` marked ``transient = True``, so that
        ``create_job`` can look the job up before trying again.
        """
        token = self._require_token()
        url = self.base_url + path
        auth = _BearerAuth(token)
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        attempt = 0
        rate_waits = 0
        why = (
            f"the client's request budget ({self._budget.limit} per "
            f"{self._budget.window:g} s on this route)"
        )
        while True:
            waited = self._budget.delay(route)
            if waited > 0:
                self._emit_waiting(progress, kind, waited, why)
            self._budget.acquire(route, lambda s: self._sleep(s, cancel))
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{method} {path} failed: {type(exc).__name__}"
                if not idempotent or attempt >= self.max_retries:
                    err = APIError(
                        self._mask(
                            f"Could not reach the API at {self.base_url} ({problem}). Check the "
                            "network connection and the base URL."
                        )
                    )
                    err.transient = True  # type: ignore[attr-defined]  # see create_job
                    raise err from None
                attempt += 1
                self._pause(attempt, problem, progress, cancel, kind)
                continue
            except requests.RequestException as exc:
                raise APIError(
                    self._mask(
                        f"The request to {self.base_url} failed: {type(exc).__name__}: {exc}"
                    )
                ) from None
            self._budget.observe(route, response.headers)
            status = response.status_code
            if status == 429:
                wait = self._rate_limit_wait(response)
                if (
                    wait is None
                    or wait > self.max_rate_limit_wait
                    or rate_waits >= _MAX_RATE_LIMIT_RETRIES
                    or "usage-capped" in response.text  # a monthly cap: waiting will not help
                ):
                    raise self._error(response)
                rate_waits += 1
                self._budget.block_until(route, self._clock() + wait)
                why = "the API's rate limit to reset (HTTP 429)"
                continue  # the budget sleeps (and emits "waiting") before the retry
            if status >= 500:
                if not idempotent or attempt >= self.max_retries:
                    err = self._error(response)
                    err.transient = True  # type: ignore[attr-defined]  # see create_job
                    raise err
                attempt += 1
                self._pause(
                    attempt, f"{method} {path} answered HTTP {status}", progress, cancel, kind
                )
                continue
            if status >= 400:
                raise self._error(response)
            body = self._json(response)
            if "data" not in body and body.get("errors"):
                raise self._error(response, body["errors"][0])
            if body.get("errors"):
                log.warning(self._mask(f"{method} {path}: partial errors {body['errors']!r}"))
            return body

    def _emit_waiting(
        self, progress: ProgressCallback | None, kind: str | None, seconds: float, why: str
    ) -> None:
        emit(
            progress,
            ProgressEvent(
                "waiting",
                kind=kind,
                wait_seconds=seconds,
                message=f"Rate limit: waiting {seconds:.0f} s for {why}.",
            ),
        )

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        reset = response.headers.get("x-rate-limit-reset")
        if reset is None:
            return None
        try:
            return max(1.0, float(reset) - self._clock() + 1.0)
        except ValueError:
            return None

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        if not response.content or not response.content.strip():
            return {}
        try:
            body = response.json()
        except ValueError:
            raise APIError(
                f"The API answered HTTP {response.status_code} with a body that is not JSON.",
                status=response.status_code,
            ) from None
        return body if isinstance(body, dict) else {"data": body}

    def _error(self, response: requests.Response, problem: Any = None) -> APIError:
        """Map an error response (or one entry of a 200's ``errors``) to an exception."""
        status: int | None = response.status_code
        body: Any = None
        if problem is None:
            try:
                body = response.json()
            except ValueError:
                body = None
            problem = body if isinstance(body, dict) else {}
            legacy = problem.get("errors")
            if not problem.get("title") and isinstance(legacy, list) and legacy:
                first = legacy[0] if isinstance(legacy[0], dict) else {}
                problem = {
                    "title": first.get("title") or "Error",
                    "detail": first.get("message") or first.get("detail"),
                    "type": first.get("type"),
                    "code": first.get("code"),
                }
        else:
            body = problem
            status_in_body = problem.get("status")
            if status == 200:
                status = status_in_body if isinstance(status_in_body, int) else None
        ptype = problem.get("type")
        title = problem.get("title")
        detail = problem.get("detail") or problem.get("message")
        name = ptype.rstrip("/").rsplit("/", 1)[-1] if isinstance(ptype, str) else None
        cls: type[APIError] = APIError
        hint = ""
        if name == "resource-not-found" or status == 404:
            cls = NotFoundError
            hint = " Check the job ID; jobs belong to the app that created them."
        elif name == "conflict" or status == 409:
            cls = ConflictError
            hint = (
                " X runs one job per kind at a time: wait for the running job "
                "(client.list_jobs(kind)) or cancel it with client.cancel_job(job_id)."
            )
        elif status == 429 or name in ("usage-capped", "rate-limit"):
            cls = RateLimitError
        elif status in (401, 403) or name in ("unsupported-authentication", "client-forbidden"):
            cls = AuthenticationError
            if name == "unsupported-authentication":
                hint = " Use the app's bearer token (OAuth 2.0 App-only), not a user token."
            elif name == "client-forbidden":
                hint = " The app's project must be enrolled for this endpoint."
            else:
                hint = " Check the bearer token (X_BEARER_TOKEN)."
        elif status == 402 or name == "credits-depleted":
            hint = " The account has no API credits left."
        if title and detail and str(detail) != str(title):
            text = f"{title}: {detail}"
        else:
            text = str(title or detail or "The API answered with an error")
        where = f"HTTP {status}" if status else f"HTTP {response.status_code} with errors"
        message = self._mask(f"{text} ({where}).{hint}")
        kw: dict[str, Any] = dict(status=status, type=ptype, title=title, detail=detail, body=body)
        if cls is RateLimitError:
            reset = response.headers.get("x-rate-limit-reset")
            reset_at = None
            if reset:
                try:
                    reset_at = datetime.fromtimestamp(int(reset), tz=timezone.utc)
                except (ValueError, OverflowError):
                    reset_at = None
            if reset_at is not None:
                message = self._mask(
                    f"{text} ({where}). The limit resets at {reset_at.strftime('%H:%M:%S')} UTC."
                )
            return RateLimitError(message, reset_at=reset_at, **kw)
        return cls(message, **kw)

    # -- job routes ------------------------------------------------
    def create_job(
        self,
        kind: str,
        name: str | None = None,
        resumable: bool = False,
        *,
        progress: ProgressCallback | None = None,
    ) -> Job:
        """Create a job for ``kind`` (``"tweets"`` or ``"users"``); returns it ``created``.

        Without ``name`` a unique one (``compliance_nb-<hex>``) is made, so that after a
        lost answer the job can be found again instead of created twice.

        Raises:
            ConflictError: a job of this kind is already running.
        """
        _check_kind(kind)
        if name is None:
            name = f"compliance_nb-{uuid.uuid4().hex[:16]}"
        if not isinstance(name, str) or len(name) > 64:
            raise InputError("A job name is a string of at most 64 characters.")
        self._require_token()
        payload: dict[str, Any] = {"type": kind, "name": name}
        if resumable:
            payload["resumable"] = True
        emit(progress, ProgressEvent("creating", kind=kind, job_name=name))
        attempt = 0
        started = self._clock()
        while True:
            try:
                body = self._request(
                    "POST",
                    JOBS_PATH,
                    ROUTE_CREATE,
                    json=payload,
                    idempotent=False,
                    progress=progress,
                    kind=kind,
                )
                break
            except APIError as exc:
                if not getattr(exc, "transient", False) or attempt >= self.max_retries:
                    raise
                attempt += 1
                self._pause(
                    attempt, "creating the job failed; looking it up by name", progress, None, kind
                )
                try:
                    found = self._find_created(kind, name, started)
                except APIError:
                    # we cannot tell whether the job exists: a new POST could duplicate it
                    raise exc from None
                if found is not None:
                    emit(
                        progress,
                        ProgressEvent(
                            "reattached",
                            kind=kind,
                            job_id=found.id,
                            job_name=found.name,
                            job=found,
                            message="found the job created before the error",
                        ),
                    )
                    return found
        job = self._job_from(body)
        emit(
            progress, ProgressEvent("created", kind=kind, job_id=job.id, job_name=job.name, job=job)
        )
        return job

    def _find_created(self, kind: str, name: str, started: float) -> Job | None:
        """The job named ``name`` created since shortly before ``started``, if listed."""
        jobs = self.list_jobs(kind)
        since = started - _CREATE_LOOKUP_WINDOW
        for job in jobs:
            if job.name != name or job.status != "created":  # ours is new: not yet uploaded
                continue
            if job.created_at is None or job.created_at.timestamp() >= since:
                return job
        return None

    def get_job(self, job_id: str | int) -> Job:
        """Fetch the job's current state.

        Raises:
            NotFoundError: no such job for this app (404, or 200 with ``errors``).
        """
        return self._get_job(_check_job_id(job_id))

    def _get_job(
        self,
        jid: str,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: str | None = None,
    ) -> Job:
        body = self._request(
            "GET", f"{JOBS_PATH}/{jid}", ROUTE_GET, progress=progress, cancel=cancel, kind=kind
        )
        return self._job_from(body)

    def list_jobs(self, kind: str, status: str | None = None) -> list[Job]:
        """The app's recent jobs of ``kind``, optionally only those with ``status``."""
        _check_kind(kind)
        params = {"type": kind}
        if status is not None:
            if status not in LIST_STATUSES:
                raise InputError(
                    f"Unknown status filter {status!r}: use one of {', '.join(LIST_STATUSES)} "
                    "(the API cannot filter on 'expired')."
                )
            params["status"] = status
        body = self._request("GET", JOBS_PATH, ROUTE_LIST, params=params, kind=kind)
        data = body.get("data") or []
        if isinstance(data, dict):
            data = [data]
        return [Job.from_api(item) for item in data if isinstance(item, dict) and "id" in item]

    def cancel_job(self, job_id: str | int) -> Job:
        """Cancel a job that has not finished (``DELETE``); its status becomes ``failed``."""
        jid = _check_job_id(job_id)
        return self._job_from(self._request("DELETE", f"{JOBS_PATH}/{jid}", ROUTE_CANCEL))

    @staticmethod
    def _job_from(body: Mapping[str, Any]) -> Job:
        data = body.get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise APIError("The API answered without a job object (no 'data').", body=body)
        return Job.from_api(data)

    # -- transfers ------------------------------------------------
    def _transfer_context(
        self, job: Job, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> TransferContext:
        return TransferContext(
            session=self._storage,
            timeout=self.timeout,
            max_retries=self.max_retries,
            pause=lambda attempt, msg: self._pause(attempt, msg, progress, cancel, job=job),
            progress=progress,
            cancel=cancel,
            kind=job.type,
            job_id=job.id,
            job_name=job.name,
        )

    def upload(
        self,
        job: Job,
        source: Any,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
        chunk_size: int = 8 * 1024 * 1024,
    ) -> None:
        """Upload the IDs to the job's signed ``upload_url`` (no bearer token is sent).

        ``source``: an iterable of IDs (int or decimal str), a path to a file with one ID
        per line, or a binary file object. Every line is validated before a byte is sent.
        Resumable jobs (``job.resumable``) upload in chunks and resume after failures.

        Raises:
            InputError: a bad ID (the message names the line).
            UploadWindowExpiredError: the job's 15-minute upload window is over.
            UploadError: the storage service refused the upload.
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
            ctx = self._transfer_context(job, progress, cancel)
            log.info("uploading %d IDs to %s", body.count, mask_url(job.upload_url))
            try:
                if _is_resumable(job):
                    upload_resumable(ctx, job.upload_url, body, chunk_size=chunk_size)
                else:
                    upload_plain(ctx, job.upload_url, body)
            except requests.RequestException as exc:  # not a transient one: say what, mask URLs
                raise UploadError(
                    mask_text(f"The upload failed: {type(exc).__name__}: {exc}")
                ) from None
        finally:
            body.close()
        emit(
            progress,
            ProgressEvent(
                "uploaded",
                kind=job.type,
                job_id=job.id,
                job_name=job.name,
                job=job,
                bytes_done=body.size,
                bytes_total=body.size,
                message=f"{body.count} IDs uploaded",
            ),
        )

    def download(
        self,
        job: Job,
        dest: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
        sink: ByteSink | None = None,
    ) -> Path:
        """Download a complete job's results (JSON lines) to ``dest``; return the path.

        ``dest`` may be a file path or an existing folder; by default a file named after
        the job in the temporary folder. The file appears only when complete (it is
        written next to ``dest`` and renamed into place). ``sink`` (an object with
        ``feed(bytes)`` and ``restart()``, such as a ``ResultsParser``) is given the
        bytes as they are written: the results can be parsed while they download.

        Raises:
            DownloadWindowExpiredError: the 7-day download window is over.
            DownloadError: the job is not complete, or the storage service refused.
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
        filename = f"compliance-{job.type or 'job'}-{job.id}.jsonl"
        if dest is None:
            target = Path(tempfile.gettempdir()) / "compliance_nb" / filename
        else:
            target = Path(dest)
            if target.is_dir():
                target = target / filename
        ctx = self._transfer_context(job, progress, cancel)
        emit(
            progress,
            ProgressEvent(
                "downloading",
                kind=job.type,
                job_id=job.id,
                job_name=job.name,
                job=job,
                bytes_done=0,
            ),
        )
        try:
            size = download_to(ctx, job.download_url, target, sink)
        except requests.RequestException as exc:  # not a transient one: say what, mask URLs
            raise DownloadError(
                mask_text(f"The download failed: {type(exc).__name__}: {exc}")
            ) from None
        emit(
            progress,
            ProgressEvent(
                "downloaded",
                kind=job.type,
                job_id=job.id,
                job_name=job.name,
                job=job,
                bytes_done=size,
                bytes_total=size,
                message=str(target),
            ),
        )
        return target

    # -- waiting ------------------------------------------------
    def _next_poll(self, job: Job, elapsed: float, last: float) -> float:
        """Adaptive polling: 0.25 s, 0.5 s, then every second in the first minute, then
        growing by half each time up to 60 s; an ``estimated_completion`` further away
        sets the pace when the job has one (never beyond 60 s)."""
        interval = min(1.0, last * 2) if elapsed < 60 else min(60.0, max(2.0, last * 1.5))
        if job.estimated_completion is not None:
            until = job.estimated_completion.timestamp() - self._clock()
            if until > interval:
                interval = min(60.0, until)
        return interval

    def wait(
        self,
        job: Job | str,
        poll_interval: float | None = None,
        timeout: float | None = None,
        on_update: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> Job:
        """Poll the job until it is ``complete``; return the complete job.

        Polling is adaptive unless ``poll_interval`` is given, and always stays within
        the per-route request budget. ``on_update`` receives ``processing`` events.

        Raises:
            JobFailedError: the job failed (``.error`` holds the API's reason).
            JobExpiredError: the job expired (e.g. nothing was uploaded in time).
            JobTimeoutError: ``timeout`` seconds passed; the job goes on.
        """
        jid = _check_job_id(job)
        started = self._clock()
        interval = 0.125  # doubled before the first sleep
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            current = self._get_job(
                jid, on_update, cancel, kind=job.type if isinstance(job, Job) else None
            )
            elapsed = self._clock() - started
            if current.status == "complete":
                emit(on_update, self._processing(current, elapsed, 0.0))
                return current
            if current.status == "failed":
                reason = current.error or "no reason given"
                raise JobFailedError(
                    f"Job {current.id} failed: {reason}. Create a new job to try again.",
                    job=current,
                    error=current.error,
                )
            if current.status == "expired":
                raise JobExpiredError(
                    f"Job {current.id} expired before it completed (IDs must be uploaded "
                    "within 15 minutes of creation). Create a new job.",
                    job=current,
                )
            if _never_uploaded(current):
                raise JobExpiredError(
                    f"Job {current.id} never received its IDs: its upload window closed at "
                    f"{current.upload_expires_at:%H:%M:%S} UTC and it is still 'created'. "
                    "Create a new job and upload the IDs.",
                    job=current,
                )
            interval = (
                float(poll_interval)
                if poll_interval is not None
                else self._next_poll(current, elapsed, interval)
            )
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
            wait_for = max(interval, self._budget.delay(ROUTE_GET))
            emit(on_update, self._processing(current, elapsed, wait_for))
            self._sleep(interval, cancel)

    @staticmethod
    def _processing(job: Job, elapsed: float, wait: float) -> ProgressEvent:
        return ProgressEvent(
            "processing",
            kind=job.type,
            job_id=job.id,
            job_name=job.name,
            job=job,
            elapsed_seconds=elapsed,
            wait_seconds=wait,
            message=f"job is {job.status}",
        )

    # -- the whole lifecycle ------------------------------------------------
    def run(
        self,
        kind: str,
        ids: Iterable[Any] | str | os.PathLike[str],
        *,
        name: str | None = None,
        resumable: bool | None = None,
        progress: ProgressCallback | None = None,
        dest: str | os.PathLike[str] | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Create a job, upload ``ids``, wait, download; return the results file's path.

        The IDs are validated before the job is created. ``resumable=None`` chooses the
        resumable protocol for uploads over ``RESUMABLE_THRESHOLD`` (64 MiB). When
        cancelled, a job that has not finished is cancelled on the API as well.
        """
        _check_kind(kind)
        self._require_token()
        body: UploadBody = prepare_ids(ids)
        try:
            use_resumable = body.size > RESUMABLE_THRESHOLD if resumable is None else resumable
            job = self.create_job(kind, name=name, resumable=use_resumable, progress=progress)
            try:
                self.upload(job, body, progress, cancel=cancel)
                done = self.wait(job, on_update=progress, cancel=cancel)
                return self.download(done, dest, progress, cancel=cancel)
            except JobCancelledError as exc:
                exc.job = exc.job or job
                self._cancel_quietly(job)
                emit(
                    progress,
                    ProgressEvent(
                        "cancelled",
                        kind=kind,
                        job_id=job.id,
                        job_name=job.name,
                        job=job,
                        message="cancelled by the user",
                    ),
                )
                raise
        finally:
            body.close()

    def _cancel_quietly(self, job: Job) -> None:
        try:
            current = self.get_job(job.id)
            if not current.is_terminal:
                self.cancel_job(job.id)
        except Exception as exc:  # the user asked to stop: never mask that with another error
            log.info(self._mask(f"could not cancel job {job.id} on the API: {exc}"))
