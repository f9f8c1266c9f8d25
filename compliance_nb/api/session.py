"""The HTTP side of the API client: the bearer token, one API call with its budget and retries.

:class:`ApiSession` sends every call to X's job routes:

* the bearer token goes only to requests built from ``base_url`` (:class:`BearerAuth`,
  passed as ``auth=``, so it also wins over a session's own auth and netrc); uploads and
  downloads use another session that never carries it;
* every call first takes a slot from the per-route budget, which every process of this
  machine that uses the App shares (:mod:`compliance_nb.api.sharedbudget`);
* a host that cannot be resolved or that refuses the connection is tried again
  :data:`DEFAULT_CONNECT_RETRIES` times, quickly (0.5 s, 1 s, 2 s), whatever the call
  (nothing reached the API), each retry shown at once ("cannot reach HOST (why), retrying
  (n of m) in s"): the error comes within a few seconds;
* a timeout, a dropped connection or a 5xx on an idempotent call is retried with the
  patient exponential back-off and jitter (:meth:`ApiSession.pause`, which also emits the
  ``retrying`` event and honours cancellation); a 429 waits until ``x-rate-limit-reset``
  (or, without that header, a back-off); it is raised only when waiting cannot help;
* an error answer becomes the matching exception (:mod:`compliance_nb.api.errors`).

Why not urllib3's ``Retry`` on the session's adapter, not even for connection setup
(where it would be the natural tool): its back-off sleeps inside urllib3, so no
``retrying`` event could be emitted (a person would see nothing until the error), the
sleep could not be cancelled, the retried request would not take a slot of the rate
budget, and a session given by the caller would have its adapters replaced. The same
loop below tells the connection-setup failures apart instead (urllib3's
``NewConnectionError``, which includes ``NameResolutionError``) and gives them their
own short schedule.

>>> api = ApiSession("AAAA-example", "http://127.0.0.1:1")
>>> api.mask("token AAAA-example")
'token AAAA…(12 chars)'
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from .._events import CancelToken, ProgressCallback, emit, job_event
from .._exceptions import TOKEN_ENV_VARS, APIError, MissingTokenError
from .._redact import mask_text
from ..rules.limits import RATE_LIMIT, RATE_WINDOW
from .errors import connect_failure, error_from_response, json_body
from .job import Job
from .ratelimit import RateBudget
from .sharedbudget import shared_budget

__all__ = [
    "API_URL_ENV_VAR",
    "DEFAULT_API_URL",
    "ApiSession",
    "BearerAuth",
    "api_url_from_env",
    "backoff_delay",
    "token_from_env",
]

#: The client's settings unless the caller gives others: seconds per HTTP request,
#: retries after a connection error, a timeout or a 5xx, the first retry delay (it doubles),
#: and the longest wait for a rate limit's reset before a 429 is raised.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF = 1.0
DEFAULT_MAX_RATE_LIMIT_WAIT = 900.0
#: Retries after the host could not be resolved or refused the connection, and the first
#: of their delays (it doubles): short, since such a failure rarely mends in seconds, and
#: a person waiting for the first line of output should hear about it at once.
DEFAULT_CONNECT_RETRIES = 3
DEFAULT_CONNECT_BACKOFF = 0.5

log = logging.getLogger("compliance_nb")

DEFAULT_API_URL = "https://api.x.com"
API_URL_ENV_VAR = "COMPLIANCE_NB_API_URL"
_MAX_BACKOFF = 60.0
_MAX_RATE_LIMIT_RETRIES = 5


def token_from_env() -> tuple[str, str] | tuple[None, None]:
    """The bearer token from the environment and the variable it came from.

    The variables are tried in order (``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN``,
    ``BEARER_TOKEN``); blank values count as unset.

    Returns
    -------
    tuple
        ``(token, variable)``, or ``(None, None)`` when none is set.

    Examples
    --------
    >>> token, var = token_from_env()
    >>> var in (None, "X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")
    True
    """
    for var in TOKEN_ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            return value, var
    return None, None


def api_url_from_env() -> str:
    """The API base URL: ``COMPLIANCE_NB_API_URL`` when set, else ``https://api.x.com``.

    Returns
    -------
    str
        The URL, without a trailing slash.

    Examples
    --------
    >>> api_url_from_env().startswith(("http://", "https://"))
    True
    """
    return (os.environ.get(API_URL_ENV_VAR, "").strip() or DEFAULT_API_URL).rstrip("/")


class BearerAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer ...`` on a request; its repr never shows the token.

    Parameters
    ----------
    token : str
        The app's bearer token.

    Examples
    --------
    >>> BearerAuth("AAAA-example")
    BearerAuth(***)
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def backoff_delay(backoff: float, attempt: int) -> float:
    """Seconds to wait before retry number ``attempt``: exponential, with jitter.

    Parameters
    ----------
    backoff : float
        The first delay in seconds; it doubles with each attempt, up to 60 s.
    attempt : int
        The retry about to be made, from 1.

    Returns
    -------
    float
        A random delay between half and all of ``backoff * 2 ** (attempt - 1)``.

    Examples
    --------
    >>> 2.0 <= backoff_delay(1.0, 3) <= 4.0
    True
    >>> backoff_delay(0.0, 3)
    0.0
    """
    base = min(_MAX_BACKOFF, backoff * (2 ** (attempt - 1)))
    return base * random.uniform(0.5, 1.0) if base > 0 else 0.0


def _mark_transient(err: APIError) -> APIError:
    """Say that the call may have reached the API: ``create_job`` looks the job up."""
    err.transient = True  # type: ignore[attr-defined]
    return err


class ApiSession:
    """Sends calls to X's API with the bearer token, the rate budget and the retries.

    Parameters
    ----------
    token : str or None
        The bearer token; ``None`` raises :class:`~compliance_nb.MissingTokenError` at
        the first call.
    base_url : str
        The API host, e.g. ``https://api.x.com``.
    session : requests.Session, optional
        The session to send the calls with; a new one by default.
    timeout : float
        Seconds per HTTP request.
    max_retries : int
        Retries after a connection error, a timeout or a 5xx (per call).
    backoff : float
        The first retry delay in seconds (see :func:`backoff_delay`).
    rate_limit, rate_window : int, float
        The per-route budget: ``rate_limit`` requests per ``rate_window`` seconds.
    max_rate_limit_wait : float
        The longest wait for a rate-limit reset; beyond it the 429 is raised.
    sleep : callable, optional
        The sleep function (a seam for tests); by default a cancellable sleep.
    clock : callable, optional
        Wall-clock seconds (a seam for tests); shared with the rate budget.
    user_agent : str
        The User-Agent header.
    connect_retries : int
        Retries after the host could not be resolved or refused the connection.
    connect_backoff : float
        The first delay of those retries in seconds (it doubles).

    Examples
    --------
    >>> ApiSession(None, "http://127.0.0.1:1").has_token
    False
    """

    def __init__(
        self,
        token: str | None,
        base_url: str,
        session: requests.Session | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        user_agent: str = "compliance_nb",
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        connect_backoff: float = DEFAULT_CONNECT_BACKOFF,
    ) -> None:
        self._token = token.strip() if token and token.strip() else None
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.connect_retries = max(0, int(connect_retries))
        self.connect_backoff = connect_backoff
        self.backoff = backoff
        self.max_rate_limit_wait = max_rate_limit_wait
        self.user_agent = user_agent
        self._custom_sleep = sleep is not None
        self._sleep_fn: Callable[[float], None] = sleep or time.sleep
        self.clock: Callable[[], float] = clock or time.time
        # every process of this machine that uses this App takes its slots from one
        # budget (a file beside the ledger); with a clock of the caller's, only its own
        self.budget: RateBudget = (
            RateBudget(rate_limit, rate_window, clock=lambda: self.clock())
            if clock is not None
            else shared_budget(self.base_url, self._token, rate_limit, rate_window)
        )

    @property
    def has_token(self) -> bool:
        """True when there is a bearer token."""
        return self._token is not None

    def require_token(self) -> str:
        """The bearer token; raises :class:`~compliance_nb.MissingTokenError` without one."""
        if not self._token:
            raise MissingTokenError()
        return self._token

    def mask(self, text: str) -> str:
        """``text`` with the bearer token and any URL signature masked."""
        return mask_text(text, [self._token] if self._token else [])

    # -- waiting ------------------------------------------------
    def sleep(self, seconds: float, cancel: CancelToken | None = None) -> None:
        """Sleep ``seconds``; raise ``JobCancelledError`` as soon as ``cancel`` is set."""
        if cancel is not None:
            cancel.raise_if_cancelled()
            if not self._custom_sleep:
                cancel.sleep(seconds)
                return
        if seconds > 0:
            self._sleep_fn(seconds)
        if cancel is not None:
            cancel.raise_if_cancelled()

    def pause(
        self,
        attempt: int,
        message: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        *,
        kind: str | None = None,
        job: Job | None = None,
    ) -> None:
        """Wait before retry number ``attempt`` and say so: a log line, a ``retrying`` event.

        The one back-off of the client: API calls, job creation and the transfers all
        retry through it.
        """
        delay = backoff_delay(self.backoff, attempt)
        text = self.mask(f"{message}; retry {attempt} of {self.max_retries} in {delay:.1f} s")
        log.info(text)
        emit(progress, job_event("retrying", job, kind=kind, wait_seconds=delay, message=text))
        self.sleep(delay, cancel)

    def pause_connect(
        self,
        attempt: int,
        why: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        *,
        kind: str | None = None,
    ) -> None:
        """Wait before connection retry number ``attempt`` (the short schedule) and say so
        at once: "cannot reach HOST (why), retrying (n of m) in s"."""
        delay = backoff_delay(self.connect_backoff, attempt)
        text = self.mask(
            f"cannot reach {self.host} ({why}), retrying ({attempt} of "
            f"{self.connect_retries}) in {delay:.1f} s"
        )
        log.info(text)
        emit(progress, job_event("retrying", None, kind=kind, wait_seconds=delay, message=text))
        self.sleep(delay, cancel)

    @property
    def host(self) -> str:
        """The API's host name (and port), as a person recognises it."""
        from urllib.parse import urlsplit

        return urlsplit(self.base_url).netloc or self.base_url

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        reset = response.headers.get("x-rate-limit-reset")
        if reset is None:
            return None
        try:
            return max(1.0, float(reset) - self.clock() + 1.0)
        except ValueError:
            return None

    def _take_slot(
        self,
        route: str,
        why: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        kind: str | None,
    ) -> None:
        """Take a slot of the route's budget, saying so when it makes the call wait."""
        waited = self.budget.delay(route)
        if waited > 0:
            emit(
                progress,
                job_event(
                    "waiting",
                    None,
                    kind=kind,
                    wait_seconds=waited,
                    message=f"Rate limit: waiting {waited:.0f} s for {why}.",
                ),
            )
        self.budget.acquire(route, lambda s: self.sleep(s, cancel))

    # -- the API call ------------------------------------------------
    def request(
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
        auth = BearerAuth(self.require_token())
        url = self.base_url + path
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        attempt = 0
        connect_attempt = 0
        rate_waits = 0
        why = (
            f"the client's request budget ({self.budget.limit} per "
            f"{self.budget.window:g} s on this route)"
        )
        while True:
            self._take_slot(route, why, progress, cancel, kind)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                unreachable = connect_failure(exc)
                if unreachable is not None:  # nothing was sent: any call may be retried
                    if connect_attempt >= self.connect_retries:
                        raise APIError(
                            self.mask(
                                f"Cannot reach the API at {self.base_url}: {unreachable} "
                                f"(tried {connect_attempt + 1} times). Check the network "
                                "connection and the base URL (COMPLIANCE_NB_API_URL)."
                            )
                        ) from None
                    connect_attempt += 1
                    self.pause_connect(connect_attempt, unreachable, progress, cancel, kind=kind)
                    continue
                problem = f"{method} {path} failed: {type(exc).__name__}"
                if not idempotent or attempt >= self.max_retries:
                    raise _mark_transient(
                        APIError(
                            self.mask(
                                f"Could not reach the API at {self.base_url} ({problem}). "
                                "Check the network connection and the base URL."
                            )
                        )
                    ) from None
                attempt += 1
                self.pause(attempt, problem, progress, cancel, kind=kind)
                continue
            except requests.RequestException as exc:
                raise APIError(
                    self.mask(f"The request to {self.base_url} failed: {type(exc).__name__}: {exc}")
                ) from None
            self.budget.observe(route, response.headers)
            status = response.status_code
            if status == 429:
                wait = self._rate_limit_wait(response)
                if wait is None:  # no reset time given: a back-off, at least a second
                    wait = max(1.0, backoff_delay(self.backoff, rate_waits + 1))
                if (
                    wait > self.max_rate_limit_wait
                    or rate_waits >= _MAX_RATE_LIMIT_RETRIES
                    or "usage-capped" in response.text  # a monthly cap: waiting will not help
                ):
                    raise error_from_response(response, mask=self.mask)
                rate_waits += 1
                self.budget.block_until(route, self.clock() + wait)
                why = "the API's rate limit to reset (HTTP 429)"
                continue  # the budget sleeps (and emits "waiting") before the retry
            if status >= 500:
                if not idempotent or attempt >= self.max_retries:
                    raise _mark_transient(error_from_response(response, mask=self.mask))
                attempt += 1
                problem = f"{method} {path} answered HTTP {status}"
                self.pause(attempt, problem, progress, cancel, kind=kind)
                continue
            if status >= 400:
                raise error_from_response(response, mask=self.mask)
            body = json_body(response)
            if "data" not in body and body.get("errors"):
                raise error_from_response(response, body["errors"][0], mask=self.mask)
            if body.get("errors"):
                log.warning(self.mask(f"{method} {path}: partial errors {body['errors']!r}"))
            return body
