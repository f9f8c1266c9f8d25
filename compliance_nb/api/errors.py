"""An API error response, turned into the matching exception of :mod:`compliance_nb._exceptions`.

X answers errors as problem documents (RFC 7807: ``type``, ``title``, ``detail``), as the
older ``{"errors": [{"code": ..., "message": ...}]}`` form, or as HTTP 200 with an
``errors`` list and no ``data`` (a job that is not found). Each becomes one exception:

============================================  =======================================
the API says                                  raised
============================================  =======================================
404, ``resource-not-found``                   :class:`~compliance_nb.NotFoundError`
409, ``conflict``                             :class:`~compliance_nb.ConflictError`
429, ``usage-capped``, ``rate-limit``         :class:`~compliance_nb.RateLimitError`
401, 403, ``unsupported-authentication``,     :class:`~compliance_nb.AuthenticationError`
``client-forbidden``
anything else (402 ``credits-depleted``, ...)  :class:`~compliance_nb.APIError`
============================================  =======================================

>>> import requests
>>> response = requests.Response()
>>> response.status_code = 409
>>> response._content = b'{"title": "Conflict", "type": "https://api.x.com/2/problems/conflict"}'
>>> err = error_from_response(response)
>>> type(err).__name__, err.problem, err.status
('ConflictError', 'conflict', 409)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests

from .._exceptions import (
    APIError,
    AuthenticationError,
    ConflictError,
    JobNotCancellableError,
    NotFoundError,
    RateLimitError,
)

if TYPE_CHECKING:
    from .job import Job

__all__ = ["connect_failure", "error_from_response", "json_body", "not_cancellable"]


def _unchanged(text: str) -> str:
    return text


def json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a response; ``{}`` for an empty body.

    Parameters
    ----------
    response : requests.Response
        An answer of the API.

    Returns
    -------
    dict
        The body; a JSON value that is not an object comes back as ``{"data": value}``.

    Raises
    ------
    APIError
        The body is not JSON.

    Examples
    --------
    >>> import requests
    >>> response = requests.Response()
    >>> response.status_code, response._content = 200, b"[1, 2]"
    >>> json_body(response)
    {'data': [1, 2]}
    """
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


def _problem_of(response: requests.Response) -> tuple[dict[str, Any], Any]:
    """The problem document of an error response (legacy ``errors`` lists converted)."""
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
    return problem, body


def _class_and_hint(status: int | None, name: str | None) -> tuple[type[APIError], str]:
    """Which exception a status or problem name means, and what to tell the user."""
    if name == "resource-not-found" or status == 404:
        return NotFoundError, " Check the job ID; jobs belong to the app that created them."
    if name == "conflict" or status == 409:
        return ConflictError, (
            " X runs one job per kind at a time: wait for the running job "
            "(client.list_jobs(kind)) or cancel it with client.cancel_job(job_id)."
        )
    if status == 429 or name in ("usage-capped", "rate-limit"):
        return RateLimitError, ""
    if status in (401, 403) or name in ("unsupported-authentication", "client-forbidden"):
        if name == "unsupported-authentication":
            hint = " Use the app's bearer token (OAuth 2.0 App-only), not a user token."
        elif name == "client-forbidden":
            hint = " The app's project must be enrolled for this endpoint."
        else:
            hint = " Check the bearer token (X_BEARER_TOKEN)."
        return AuthenticationError, hint
    if status == 402 or name == "credits-depleted":
        return APIError, " The account has no API credits left."
    return APIError, ""


def _specifics(problem: dict[str, Any], said: str) -> str:
    """What a problem's ``errors`` list adds: each ``message`` and the parameters it names.

    X's ``invalid-request`` problem keeps its generic title and detail and names the bad
    parameter only here (``errors: [{"message": ..., "parameters": {name: [values]}}]``).

    >>> _specifics({"errors": [{"message": "The `type` value [foo] is not one of "
    ...     "[tweets,users]", "parameters": {"type": ["foo"]}}]}, "")
    '(The `type` value [foo] is not one of [tweets,users]; parameter type=foo)'
    """
    entries = problem.get("errors")
    if not isinstance(entries, list):
        return ""
    parts: list[str] = []
    for entry in entries[:5]:
        if not isinstance(entry, dict):
            continue
        message = entry.get("message") or entry.get("detail")
        if message and str(message) != said and str(message) not in parts:
            parts.append(str(message))
        parameters = entry.get("parameters")
        if isinstance(parameters, dict):
            for key, values in parameters.items():
                shown = values if isinstance(values, list) else [values]
                text = f"parameter {key}=" + ",".join(str(v) for v in shown)
                if text not in parts:
                    parts.append(text)
    return f"({'; '.join(parts)})" if parts else ""


def _reset_at(response: requests.Response) -> datetime | None:
    reset = response.headers.get("x-rate-limit-reset")
    if not reset:
        return None
    try:
        return datetime.fromtimestamp(int(reset), tz=timezone.utc)
    except (ValueError, OverflowError):
        return None


def error_from_response(
    response: requests.Response,
    problem: dict[str, Any] | None = None,
    *,
    mask: Callable[[str], str] = _unchanged,
) -> APIError:
    """The exception for an error response, or for one entry of a 200's ``errors`` list.

    Parameters
    ----------
    response : requests.Response
        The API's answer.
    problem : dict, optional
        One entry of the ``errors`` list of an HTTP 200 answer; its ``status`` (if any)
        is the status of the error. By default the problem is read from the body.
    mask : callable, optional
        Applied to the message, to hide secrets the server may echo (the bearer token).

    Returns
    -------
    APIError
        An instance of the matching subclass (not raised): its ``status``, ``type``,
        ``title``, ``detail`` and ``body`` mirror the problem document; a
        :class:`~compliance_nb.RateLimitError` also has ``reset_at``.

    Examples
    --------
    >>> import requests
    >>> response = requests.Response()
    >>> response.status_code, response._content = 200, b"{}"
    >>> err = error_from_response(response, {"title": "Not Found Error",
    ...     "type": "https://api.x.com/2/problems/resource-not-found"})
    >>> type(err).__name__, err.status
    ('NotFoundError', None)
    """
    status: int | None = response.status_code
    body: Any
    if problem is None:
        problem, body = _problem_of(response)
    else:
        body = problem
        status_in_body = problem.get("status")
        if status == 200:
            status = status_in_body if isinstance(status_in_body, int) else None
    ptype = problem.get("type")
    title = problem.get("title")
    detail = problem.get("detail") or problem.get("message")
    name = ptype.rstrip("/").rsplit("/", 1)[-1] if isinstance(ptype, str) else None
    cls, hint = _class_and_hint(status, name)
    if title and detail and str(detail) != str(title):
        text = f"{title}: {detail}"
    else:
        text = str(title or detail or "The API answered with an error")
    specifics = _specifics(problem, str(detail or ""))
    if specifics:
        text = f"{text} {specifics}"
    where = f"HTTP {status}" if status else f"HTTP {response.status_code} with errors"
    message = mask(f"{text} ({where}).{hint}")
    kw: dict[str, Any] = dict(status=status, type=ptype, title=title, detail=detail, body=body)
    if cls is RateLimitError:
        reset_at = _reset_at(response)
        if reset_at is not None:
            message = mask(
                f"{text} ({where}). The limit resets at {reset_at.strftime('%H:%M:%S')} UTC."
            )
        return RateLimitError(message, reset_at=reset_at, **kw)
    return cls(message, **kw)


def connect_failure(exc: BaseException) -> str | None:
    """Why a connection could not be set up (the host unknown, the connection refused),
    or None when the error came later (a timeout, a dropped connection).

    Parameters
    ----------
    exc : BaseException
        An error raised by ``requests``.

    Returns
    -------
    str or None
        A few words for a person.

    Examples
    --------
    >>> import requests
    >>> try:
    ...     requests.get("http://127.0.0.1:1/", timeout=5)
    ... except requests.ConnectionError as exc:
    ...     print(connect_failure(exc))
    the connection was refused
    >>> connect_failure(requests.ReadTimeout("read timed out")) is None
    True
    """
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    if isinstance(exc, requests.Timeout):
        return None
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        err = todo.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, NameResolutionError):
            return "the host name cannot be resolved"
        if isinstance(err, NewConnectionError):
            text = str(err).lower()
            if "refused" in text:
                return "the connection was refused"
            if "name or service" in text or "nodename" in text or "resolve" in text:
                return "the host name cannot be resolved"
            return "no connection could be made"
        if isinstance(err, ConnectionRefusedError):
            return "the connection was refused"
        todo.extend([getattr(err, "reason", None), err.__cause__, err.__context__, *err.args])
    return None


def not_cancellable(job: Job) -> JobNotCancellableError:
    """The error for cancelling ``job``, which has already ended.

    >>> from compliance_nb.api.job import Job
    >>> str(not_cancellable(Job(id="1", type="tweets", status="complete")))
    'Job 1 is already complete; nothing was cancelled.'
    """
    error = f" ({job.error})" if job.status == "failed" and job.error else ""
    return JobNotCancellableError(
        f"Job {job.id} is already {job.status}{error}; nothing was cancelled.", job=job
    )
