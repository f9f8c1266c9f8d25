"""``ComplianceClient``: X's batch compliance API, from job creation to results file.

>>> client = ComplianceClient(bearer_token="AAAA-example", base_url="http://127.0.0.1:1")
>>> client
ComplianceClient(base_url='http://127.0.0.1:1', token=set)

Typical use (against the built-in sandbox when there is no token)::

    client = ComplianceClient()                  # token from X_BEARER_TOKEN & co.
    path = client.run("tweets", ["1265324480517361664", 20])
    results = read_results(path)

or step by step: ``create_job`` -> ``upload`` -> ``wait`` -> ``download``.

The client holds the job routes; the HTTP side (the token, the per-route budget, retries
with back-off, 429 waits, error answers) is :mod:`compliance_nb.api.session`, waiting is
:mod:`compliance_nb.api.waiting`, and the uploads and downloads at the job's URLs are
:mod:`compliance_nb.api.files` (a separate session; the token goes only to URLs on the
API's own origin, :mod:`compliance_nb.api.origin`).
Job creation is never retried blindly: after a failure the job is looked up by its
(unique) name first, so a retry never makes a duplicate job.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from .._events import CancelToken, ProgressCallback, emit, job_event
from .._exceptions import InputError, JobCancelledError
from ..rules.limits import RATE_LIMIT, RATE_WINDOW, RESUMABLE_THRESHOLD
from . import routes
from .errors import not_cancellable
from .idsource import UploadBody, prepare_ids
from .job import Job, check_job_id, check_kind
from .session import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_RATE_LIMIT_WAIT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ApiSession,
    api_url_from_env,
    token_from_env,
)
from .storage import storage_session
from .transfers import ClientTransfers
from .waiting import poll_until_complete

__all__ = ["ComplianceClient"]

log = logging.getLogger("compliance_nb")


class ComplianceClient(ClientTransfers):
    """A client for X's batch compliance API (``/2/compliance/jobs``).

    Parameters
    ----------
    bearer_token : str, optional
        The app's bearer token. Default: ``X_BEARER_TOKEN``, then
        ``TWITTER_BEARER_TOKEN``, then ``BEARER_TOKEN``. A missing token raises
        :class:`~compliance_nb.MissingTokenError` at the first call that needs it.
    base_url : str, optional
        The API host. Default: ``COMPLIANCE_NB_API_URL`` or ``https://api.x.com``.
    session : requests.Session, optional
        The session for API calls (its network settings, not its headers, are also
        used for the signed storage URLs).
    timeout : float
        Seconds per HTTP request.
    max_retries : int
        Retries after a connection error, a timeout or a 5xx (per call).
    backoff : float
        The first retry delay in seconds; it doubles each time, with jitter.
    rate_limit : int
        Requests allowed per ``rate_window`` on one route (X: 150).
    rate_window : float
        The budget's window in seconds (X: 900).
    max_rate_limit_wait : float
        The longest wait for a rate-limit reset; beyond it
        :class:`~compliance_nb.RateLimitError` is raised instead.
    sleep : callable, optional
        The sleep function (a seam for tests).
    user_agent : str, optional
        The User-Agent header of API calls.
    clock : callable, optional
        Wall-clock seconds (a seam for tests).

    Attributes
    ----------
    is_sandbox : bool
        True for clients of the built-in sandbox: their results are simulated.

    Examples
    --------
    >>> from compliance_nb.sandbox import Sandbox
    >>> with Sandbox(processing_delay=0) as sb:
    ...     client = sb.client()
    ...     job = client.create_job("tweets", name="example")
    ...     [j.name for j in client.list_jobs("tweets")]
    ['example']
    >>> job.status
    'created'
    """

    def __init__(
        self,
        bearer_token: str | None = None,
        base_url: str | None = None,
        session: requests.Session | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
        sleep: Callable[[float], None] | None = None,
        user_agent: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        from .._version import __version__

        self.is_sandbox: bool = False
        token = bearer_token if bearer_token is not None else token_from_env()[0]
        self._api = ApiSession(
            token,
            base_url or api_url_from_env(),
            session,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            rate_limit=rate_limit,
            rate_window=rate_window,
            max_rate_limit_wait=max_rate_limit_wait,
            sleep=sleep,
            clock=clock,
            user_agent=user_agent or f"compliance_nb/{__version__}",
        )
        self._storage = storage_session(session)

    # -- display ------------------------------------------------
    @property
    def has_token(self) -> bool:
        """True when a bearer token was given or found in the environment.

        Examples
        --------
        >>> ComplianceClient(bearer_token="AAAA-example", base_url="https://api.x.com").has_token
        True
        >>> ComplianceClient(bearer_token="", base_url="https://api.x.com").has_token
        False
        """
        return self._api.has_token

    @property
    def rate_limit(self) -> int:
        """Requests allowed per :attr:`rate_window` on one route."""
        return self._api.budget.limit

    @property
    def rate_window(self) -> float:
        """The request budget's window, in seconds."""
        return self._api.budget.window

    def __repr__(self) -> str:
        state = "set" if self.has_token else "missing"
        sandbox = ", sandbox" if self.is_sandbox else ""
        return f"ComplianceClient(base_url={self.base_url!r}, token={state}{sandbox})"

    def _repr_html_(self) -> str:
        import html

        state = "set" if self.has_token else "missing"
        return f"<b>ComplianceClient</b> {html.escape(self.base_url)} <span>(token {state})</span>"

    # -- job routes ------------------------------------------------
    def create_job(
        self,
        kind: str,
        name: str | None = None,
        resumable: bool = False,
        *,
        progress: ProgressCallback | None = None,
    ) -> Job:
        """Create a job for ``kind``; return it ``created``.

        Parameters
        ----------
        kind : {"tweets", "users"}
            What the IDs are.
        name : str, optional
            The job's name (at most 64 characters). By default a unique one
            (``compliance_nb-<hex>``), so that after a lost answer the job can be found
            again by name instead of created twice.
        resumable : bool
            Whether the upload uses the resumable protocol.
        progress : callable, optional
            Receives ``creating``, ``created`` (or ``reattached``) and ``retrying`` events.

        Returns
        -------
        Job
            The new job, with its upload and download URLs.

        Raises
        ------
        ConflictError
            A job of this kind is already running.
        InputError
            An unknown kind or a bad name.

        Examples
        --------
        >>> from compliance_nb.sandbox import Sandbox
        >>> with Sandbox(processing_delay=0) as sb:
        ...     job = sb.client().create_job("users", name="my users")
        >>> job.type, job.name, job.status
        ('users', 'my users', 'created')
        >>> job.upload_expires_at > job.created_at   # 15 minutes to upload the IDs
        True
        """
        check_kind(kind)
        if name is None:
            name = f"compliance_nb-{uuid.uuid4().hex[:16]}"
        if not isinstance(name, str) or len(name) > 64:
            raise InputError("A job name is a string of at most 64 characters.")
        self._api.require_token()
        return routes.create_job(self._api, kind, name, resumable, progress)

    def get_job(self, job_id: str | int | Job) -> Job:
        """Fetch the job's current state.

        Parameters
        ----------
        job_id : str, int or Job
            The job's ID (1-19 digits) or the job.

        Returns
        -------
        Job
            The job as the API describes it now.

        Raises
        ------
        NotFoundError
            No such job for this app (404, or 200 with ``errors``).
        InputError
            ``job_id`` is not a job ID.

        Examples
        --------
        >>> from compliance_nb.sandbox import Sandbox
        >>> with Sandbox(processing_delay=0) as sb:
        ...     client = sb.client()
        ...     job = client.create_job("tweets")
        ...     again = client.get_job(job.id)
        >>> again.id == job.id, again.status
        (True, 'created')
        """
        return routes.get_job(self._api, check_job_id(job_id))

    def list_jobs(self, kind: str, status: str | None = None) -> list[Job]:
        """The app's recent jobs of ``kind``.

        Parameters
        ----------
        kind : {"tweets", "users"}
            Which jobs.
        status : {"created", "in_progress", "failed", "complete"}, optional
            Only the jobs with this status (the API cannot filter on ``expired``).

        Returns
        -------
        list of Job
            The jobs, as the API lists them.

        Raises
        ------
        InputError
            An unknown kind or status.

        Examples
        --------
        >>> from compliance_nb.sandbox import Sandbox
        >>> with Sandbox(processing_delay=0) as sb:
        ...     client = sb.client()
        ...     _ = client.create_job("users", name="first")
        ...     created = [j.name for j in client.list_jobs("users", status="created")]
        ...     complete = client.list_jobs("users", status="complete")
        >>> created, complete
        (['first'], [])
        """
        check_kind(kind)
        return routes.list_jobs(self._api, kind, status)

    def cancel_job(self, job_id: str | int | Job) -> Job:
        """Cancel a job that has not finished (``DELETE``); its status becomes ``failed``.

        The job is looked at first: one that has already ended is left as it is and
        :class:`~compliance_nb.JobNotCancellableError` says how it ended (the API itself
        answers such a ``DELETE`` as if it had worked).

        Parameters
        ----------
        job_id : str, int or Job
            The job's ID or the job.

        Returns
        -------
        Job
            The cancelled job (status ``failed``).

        Raises
        ------
        JobNotCancellableError
            The job had already ended: complete, failed or expired (``.job.status``).
        NotFoundError
            No such job for this app.
        """
        jid = check_job_id(job_id)
        current = routes.get_job(self._api, jid)
        if current.is_terminal:
            raise not_cancellable(current)
        job = routes.cancel_job(self._api, jid)
        if job.status in ("complete", "expired"):  # it ended between the two calls
            raise not_cancellable(job)
        return job

    # -- waiting ------------------------------------------------
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

        Polling is adaptive unless ``poll_interval`` is given (see
        :mod:`compliance_nb.api.waiting`), and always stays within the per-route
        request budget.

        Parameters
        ----------
        job : Job or str
            The job or its ID.
        poll_interval : float, optional
            Seconds between polls; adaptive by default.
        timeout : float, optional
            Give up after this many seconds (the job goes on).
        on_update : callable, optional
            Receives a ``processing`` event after every poll.
        cancel : CancelToken, optional
            Stops the wait as soon as it is set.

        Returns
        -------
        Job
            The complete job.

        Raises
        ------
        JobFailedError
            The job failed (``.error`` holds the API's reason).
        JobExpiredError
            The job expired (e.g. nothing was uploaded in time).
        JobTimeoutError
            ``timeout`` seconds passed; the job goes on.

        Examples
        --------
        >>> from compliance_nb.sandbox import Sandbox
        >>> with Sandbox(processing_delay=0.2) as sb:
        ...     client = sb.client()
        ...     job = client.create_job("users")
        ...     _ = client.upload(job, ["12", "13"])
        ...     seen = []
        ...     done = client.wait(job, poll_interval=0.1, on_update=seen.append)
        >>> done.status, {e.stage for e in seen}
        ('complete', {'processing'})
        """
        jid = check_job_id(job)
        kind = job.type if isinstance(job, Job) else None
        return poll_until_complete(
            lambda: routes.get_job(self._api, jid, on_update, cancel, kind=kind),
            self._api,
            routes.ROUTE_GET,
            poll_interval=poll_interval,
            timeout=timeout,
            on_update=on_update,
            cancel=cancel,
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

        The IDs are validated before the job is created. When cancelled, a job that has
        not finished is cancelled on the API as well.

        Parameters
        ----------
        kind : {"tweets", "users"}
            What the IDs are.
        ids : iterable, str or path-like
            The IDs, or a file with one ID per line.
        name : str, optional
            The job's name; a unique one by default.
        resumable : bool, optional
            Whether to upload with the resumable protocol; by default for uploads over
            ``RESUMABLE_THRESHOLD`` (64 MiB).
        progress : callable, optional
            Receives the events of every step.
        dest : str or path-like, optional
            Where to write the results (see :meth:`download`).
        cancel : CancelToken, optional
            Stops the run (and cancels the job) as soon as it is set.

        Returns
        -------
        Path
            The results file (JSON lines).

        Raises
        ------
        JobCancelledError
            ``cancel`` was set.

        Examples
        --------
        >>> import tempfile
        >>> from compliance_nb.jobs.collapse import collapse_results
        >>> from compliance_nb.jobs.results import read_results
        >>> from compliance_nb.sandbox import Sandbox
        >>> ids = [str(1265324480517361664 + 7919 * i) for i in range(500)]
        >>> with Sandbox(processing_delay=0) as sb, tempfile.TemporaryDirectory() as tmp:
        ...     path = sb.client().run("tweets", ids, dest=tmp)
        ...     got = collapse_results(read_results(path)).sort("id")
        ...     want = sb.expected(ids, "tweets").drop_nulls("action").sort("id")
        >>> got.equals(want)
        True
        """
        check_kind(kind)
        self._api.require_token()
        body: UploadBody = prepare_ids(ids)
        try:
            use_resumable = body.size > RESUMABLE_THRESHOLD if resumable is None else resumable
            job = self.create_job(kind, name=name, resumable=use_resumable, progress=progress)
            try:
                job = self.upload(job, body, progress, cancel=cancel)
                done = self.wait(job, on_update=progress, cancel=cancel)
                return self.download(done, dest, progress, cancel=cancel)
            except JobCancelledError as exc:
                exc.job = exc.job or job
                self._cancel_quietly(job)
                message = "cancelled by the user"
                emit(progress, job_event("cancelled", job, kind=kind, message=message))
                raise
        finally:
            body.close()

    def _cancel_quietly(self, job: Job) -> None:
        try:
            current = self.get_job(job.id)
            if not current.is_terminal:
                self.cancel_job(job.id)
        except Exception as exc:  # the user asked to stop: never mask that with another error
            log.info(self._api.mask(f"could not cancel job {job.id} on the API: {exc}"))
