"""Errors the API answered with (the job routes).

Part of the one hierarchy described in :mod:`compliance_nb._exceptions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .base import ComplianceError

__all__ = ["APIError", "AuthenticationError", "ConflictError", "NotFoundError", "RateLimitError"]


class APIError(ComplianceError):
    """The X API answered with an error.

    Raised by :class:`ComplianceClient` when a request to the API fails: an error
    status, an answer with ``errors`` instead of data, or no answer at all (the
    network or the base URL). The subclasses name the common cases; for the others,
    read the message (and ``detail``) for what to change.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status : int, optional
        The HTTP status of the answer.
    type : str, optional
        The problem type URI of the answer's problem document (RFC 7807).
    title : str, optional
        The problem document's title.
    detail : str, optional
        The problem document's detail.
    body : Any, optional
        The decoded body of the answer.

    Attributes
    ----------
    status : int or None
        The HTTP status, when there was an answer.
    type : str or None
        The problem type URI.
    title : str or None
        The problem's title.
    detail : str or None
        The problem's detail.
    body : Any
        The decoded body of the answer, or None.
    problem : str or None
        The short name at the end of ``type`` (e.g. ``"conflict"``).

    See Also
    --------
    AuthenticationError : The credentials were refused (401 / 403).
    RateLimitError : The rate limit is exhausted (429).
    ConflictError : A job of this type is already running (409).
    NotFoundError : No such job (404).

    Examples
    --------
    >>> from compliance_nb import APIError
    >>> err = APIError(
    ...     "Conflict (HTTP 409).",
    ...     status=409,
    ...     type="https://api.x.com/2/problems/conflict",
    ...     title="Conflict",
    ... )
    >>> err.status, err.problem, err.title
    (409, 'conflict', 'Conflict')
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
    """The API refused the credentials (401 or 403).

    Raised when the bearer token is wrong or revoked, when it is a user token rather
    than the app's (OAuth 2.0 App-only) bearer token, or when the app's project is not
    enrolled for the compliance endpoints. Check the token (``X_BEARER_TOKEN``) and
    the app's project in the developer portal.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, type, title, detail, body : optional
        As for :class:`APIError`.

    Attributes
    ----------
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import APIError, AuthenticationError
    >>> err = AuthenticationError("Unauthorized (HTTP 401).", status=401, title="Unauthorized")
    >>> isinstance(err, APIError), err.status
    (True, 401)
    """


class RateLimitError(APIError):
    """The API's rate limit is exhausted; ``reset_at`` says when it resets (UTC).

    Raised for HTTP 429 (or a ``usage-capped`` problem) when waiting is not worth
    it: the reset is further off than the client's ``max_rate_limit_wait``, the
    client already waited several times, or a monthly usage cap was reached. Wait
    until ``reset_at`` and try again; shorter waits the client does by itself.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    reset_at : datetime, optional
        When the limit resets (UTC), from the answer's ``x-rate-limit-reset`` header.
    **kw : Any
        ``status``, ``type``, ``title``, ``detail`` and ``body``, as for
        :class:`APIError`.

    Attributes
    ----------
    reset_at : datetime or None
        When the limit resets (UTC), if the API said.
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from compliance_nb import RateLimitError
    >>> err = RateLimitError(
    ...     "Too Many Requests (HTTP 429). The limit resets at 12:15:00 UTC.",
    ...     reset_at=datetime(2024, 5, 1, 12, 15, tzinfo=timezone.utc),
    ...     status=429,
    ... )
    >>> err.status, err.reset_at.isoformat()
    (429, '2024-05-01T12:15:00+00:00')
    """

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class ConflictError(APIError):
    """A job of this type is already running; the API allows one per type.

    Raised by ``create_job`` for HTTP 409, and by a compliance run when the running
    job is not one it can take over (not created by this machine for the same IDs).
    Wait for that job to finish (``client.list_jobs(kind)``), or cancel it with
    ``client.cancel_job(job_id)`` or ``compliance-nb jobs cancel JOB_ID``; then run
    again.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    job_id : str, optional
        The running job that blocks, when known.
    **kw : Any
        ``status``, ``type``, ``title``, ``detail`` and ``body``, as for
        :class:`APIError`.

    Attributes
    ----------
    job_id : str or None
        The running job that blocks, when known.
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import APIError, ConflictError
    >>> try:
    ...     raise ConflictError(
    ...         "Conflict (HTTP 409).", status=409, type="https://api.x.com/2/problems/conflict"
    ...     )
    ... except APIError as exc:
    ...     print(type(exc).__name__, exc.problem)
    ConflictError conflict
    >>> ConflictError("Job 7 is running.", job_id="7").job_id
    '7'
    """

    def __init__(self, message: str, *, job_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.job_id = job_id


class NotFoundError(APIError):
    """The API knows no job with this ID (for this app).

    Raised by ``get_job`` (and what calls it) for HTTP 404 or a
    ``resource-not-found`` problem. Jobs belong to the app that created them, so check
    both the job ID and the bearer token.

    Parameters
    ----------
    message : str
        What went wrong and what to do, as shown to the user.
    status, type, title, detail, body : optional
        As for :class:`APIError`.

    Attributes
    ----------
    status, type, title, detail, body, problem
        As for :class:`APIError`.

    Examples
    --------
    >>> from compliance_nb import NotFoundError
    >>> err = NotFoundError(
    ...     "Could not find job (HTTP 404).",
    ...     status=404,
    ...     type="https://api.x.com/2/problems/resource-not-found",
    ... )
    >>> err.status, err.problem
    (404, 'resource-not-found')
    """
