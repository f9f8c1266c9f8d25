"""Compliance runs that do not block the notebook: ``start_compliance`` / ``ComplianceRun``.

A check can take hours. ``start_compliance`` returns at once; a background thread runs
:func:`~compliance_nb.check_compliance` while the kernel stays free, the progress panel
keeps updating, and ``run.cancel()`` can stop it (locally and at X).

Example (in a notebook)::

    run = start_compliance(df, id_column="id")     # returns at once; the panel shows progress
    run.status                                     # "running"
    checked = run.result()                         # waits, then the joined frame (or the error)
    run.cancel()                                   # stop: the local wait and the remote job(s)

Calling ``start_compliance`` again on the same IDs reattaches to the job already running
(the job ledger behind ``check_compliance`` finds it), so no second job is created.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._events import CancelToken, ProgressEvent
from .._exceptions import ComplianceError, JobCancelledError, JobTimeoutError
from .._redact import mask_text
from ..display.panel import ProgressPanel, in_notebook
from ..display.progress import resolve_progress
from ..display.reporter import Reporter

if TYPE_CHECKING:
    from ..api.job import Job

__all__ = ["ComplianceRun", "RunJob", "start_compliance"]

#: stages after which the job at X no longer needs cancelling
_SETTLED_STAGES = frozenset(
    {"downloading", "downloaded", "joined", "cached", "failed", "cancelled"}
)


@dataclass(frozen=True)
class RunJob:
    """What a run knows about one of its jobs (from the progress events)."""

    kind: str | None
    id: str
    name: str | None = None
    stage: str | None = None
    job: Job | None = None

    @property
    def settled(self) -> bool:
        """True when there is nothing left to cancel at X."""
        return self.stage in _SETTLED_STAGES or (self.job is not None and self.job.is_terminal)


class _Recorder(Reporter):
    """Forwards events to the display and remembers every job it sees."""

    def __init__(self, inner: Reporter | None) -> None:
        self.inner = inner
        self.jobs: dict[str, RunJob] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, event: ProgressEvent) -> None:
        if event.job_id:
            with self._lock:
                old = self.jobs.get(event.job_id)
                kw: dict[str, Any] = {"stage": event.stage}
                if event.job is not None:
                    kw["job"] = event.job
                if event.job_name:
                    kw["name"] = event.job_name
                if old is None:
                    old = RunJob(kind=event.kind, id=event.job_id)
                if event.stage in ("waiting", "retrying") and old.stage is not None:
                    kw["stage"] = old.stage  # a wait is not a new stage of the job
                self.jobs[event.job_id] = replace(old, **kw)
        if self.inner is not None:
            self.inner(event)

    def close(self, error: BaseException | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.inner is not None:
            self.inner.close(error)


class ComplianceRun:
    """A compliance check running in a background thread (see :func:`start_compliance`).

    The thread starts at once and calls ``target(*args, **kwargs, progress=...,
    cancel=...)``: the run passes its own progress reporter (which records the jobs it
    sees and forwards every event to ``progress``) and its :class:`~compliance_nb.CancelToken`.
    Usually made by :func:`start_compliance`, with :func:`check_compliance` as the target.

    Parameters
    ----------
    target : callable
        What to run; it must accept the keyword arguments ``progress`` and ``cancel``.
    progress : Reporter or None
        The display the run feeds (a ``ProgressPanel`` in a notebook), or None.
    client : ComplianceClient, optional
        The client the target uses; :meth:`cancel` asks it to cancel the jobs at X.
    args : tuple, default ()
        Positional arguments for ``target``.
    kwargs : dict, optional
        Keyword arguments for ``target`` (besides ``progress`` and ``cancel``).

    Attributes
    ----------
    progress : Reporter or None
        The display the run feeds, or None.
    client : ComplianceClient or None
        The client used to cancel jobs at X.
    error : BaseException or None
        The exception the run ended with, or None.
    cancel_errors : list of ComplianceError
        Errors from asking X to cancel jobs (the run still stops locally).

    See Also
    --------
    start_compliance : Start :func:`check_compliance` as a run.

    Examples
    --------
    Any callable that takes ``progress`` and ``cancel`` can run:

    >>> run = ComplianceRun(lambda x, progress, cancel: 2 * x, progress=None, args=(21,))
    >>> run.result(timeout=10), run.status
    (42, 'done')

    A check against the local sandbox whose job takes a minute, stopped at once:

    >>> import tempfile, time
    >>> from compliance_nb.datasets import sample_tweets
    >>> from compliance_nb.sandbox import Sandbox
    >>> df = sample_tweets(20, backend="polars")
    >>> with Sandbox(processing_delay=60) as sb, tempfile.TemporaryDirectory() as tmp:
    ...     run = start_compliance(
    ...         df, client=sb.client(), progress=False, ledger_path=f"{tmp}/ledger.sqlite3"
    ...     )
    ...     while not run.jobs and not run.done():  # until the job exists at X
    ...         time.sleep(0.05)
    ...     stopped = run.cancel(timeout=30)
    >>> stopped, run.status, run.done()
    (True, 'cancelled', True)
    >>> type(run.error).__name__, len(run.jobs)
    ('JobCancelledError', 1)
    """

    def __init__(
        self,
        target: Callable[..., Any],
        *,
        progress: Reporter | None,
        client: Any = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.progress = progress
        self.client = client
        self.error: BaseException | None = None
        self.cancel_errors: list[ComplianceError] = []
        self._result: Any = None
        self._token = CancelToken()
        self._recorder = _Recorder(progress)
        self._cancelled_remote: set[str] = set()
        self._remote_lock = threading.Lock()
        self._finished = threading.Event()
        self._status = "running"
        call_kwargs = dict(kwargs or {})
        call_kwargs.update(progress=self._recorder, cancel=self._token)
        self._thread = threading.Thread(
            target=self._work,
            args=(target, args, call_kwargs),
            name="compliance-nb-run",
            daemon=True,
        )
        self._thread.start()

    # the worker ------------------------------------------------------------------
    def _work(self, target: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> None:
        try:
            self._result = target(*args, **kwargs)
            self._status = "done"
        except BaseException as exc:  # the run must end in a state, whatever happened
            self.error = exc
            cancelled = isinstance(exc, JobCancelledError) or self._token.cancelled
            self._status = "cancelled" if cancelled else "failed"
        finally:
            if self._token.cancelled:  # a job created while we were stopping
                self._cancel_remote()
            self._recorder.close(self.error)
            self._finished.set()

    # state -----------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``"running"``, ``"done"``, ``"failed"`` or ``"cancelled"``."""
        if not self._finished.is_set():
            return "cancelled" if self._token.cancelled else "running"
        return self._status

    def done(self) -> bool:
        """True once the run has ended (done, failed or cancelled)."""
        return self._finished.is_set()

    @property
    def jobs(self) -> list[RunJob]:
        """The jobs seen so far (kind, id, name, last stage, latest Job)."""
        with self._recorder._lock:
            return list(self._recorder.jobs.values())

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the run and return the checked frame, or raise its error.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait (None: until the run ends).

        Returns
        -------
        Any
            What the target returned: for :func:`start_compliance`, the checked frame.

        Raises
        ------
        JobTimeoutError
            Still running after ``timeout`` seconds (the run goes on).
        JobCancelledError
            The run was cancelled.
        ComplianceError
            Whatever stopped the run.
        """
        if not self._finished.wait(timeout):
            raise JobTimeoutError(
                f"The compliance run is still running after {timeout} s; it goes on in "
                "the background: call run.result() again later, or run.cancel()."
            )
        if self.error is not None:
            raise self.error
        return self._result

    # cancelling ------------------------------------------------------------------
    def _cancel_remote(self) -> None:
        if self.client is None or not hasattr(self.client, "cancel_job"):
            return
        for job in self.jobs:
            if job.settled:
                continue
            with self._remote_lock:
                if job.id in self._cancelled_remote:
                    continue
                self._cancelled_remote.add(job.id)
            try:
                self.client.cancel_job(job.id)
            except ComplianceError as exc:
                self.cancel_errors.append(exc)

    def cancel(self, timeout: float | None = 30.0) -> bool:
        """Stop the run: the local waits end at once, the jobs at X are cancelled.

        X is asked to cancel the jobs that are still in progress.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for the background thread to stop (None: forever).

        Returns
        -------
        bool
            True when the run has ended.
        """
        if self.done():
            return True
        self._token.cancel()
        self._cancel_remote()
        return self._finished.wait(timeout)

    # display ---------------------------------------------------------------------
    def __repr__(self) -> str:
        jobs = ", ".join(f"{j.kind}:{j.id}:{j.stage}" for j in self.jobs)
        err = f", error={mask_text(str(self.error))!r}" if self.error is not None else ""
        return f"ComplianceRun(status={self.status!r}, jobs=[{jobs}]{err})"

    def _repr_html_(self) -> str:
        colour = {
            "running": "#0969da",
            "done": "#1a7f37",
            "failed": "#cf222e",
            "cancelled": "#9a6700",
        }[self.status]
        rows = "".join(
            f"<tr><td>{html.escape(str(j.kind))}</td><td>{html.escape(j.id)}</td>"
            f"<td>{html.escape(j.name or '')}</td><td>{html.escape(str(j.stage))}</td></tr>"
            for j in self.jobs
        )
        table = (
            f"<table><tr><th>kind</th><th>job</th><th>name</th><th>stage</th></tr>{rows}</table>"
            if rows
            else ""
        )
        err = ""
        if self.error is not None:
            text = mask_text(f"{type(self.error).__name__}: {self.error}")
            err = f"<div style='color:#cf222e'>{html.escape(text)}</div>"
        hint = " (run.result() waits for the frame; run.cancel() stops it)"
        return (
            "<div class='compliance-nb-run'><b>Compliance run</b> "
            f"<span style='color:{colour};font-weight:bold'>{self.status}</span>"
            f"{hint if self.status == 'running' else ''}{table}{err}</div>"
        )


def _validate(df: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Fail in the caller's cell (not later in the thread) on a wrong frame, column or kind."""
    from .._dataframes import as_frame
    from ..api.job import check_kind
    from ..jobs.turns import check_on_conflict
    from .native import require_columns

    frame = as_frame(df)
    id_column = args[0] if args else kwargs.get("id_column", "id")
    kind = args[1] if len(args) > 1 else kwargs.get("kind", "tweets")
    check_kind(kind)
    check_on_conflict(kwargs.get("on_conflict", "wait"))
    names = [id_column] + ([kwargs["user_id_column"]] if kwargs.get("user_id_column") else [])
    require_columns(frame, *names)


def start_compliance(
    df: Any, *args: Any, progress: Any = "auto", client: Any = None, **kwargs: Any
) -> ComplianceRun:
    """Start :func:`~compliance_nb.check_compliance` in the background; return at once.

    The frame, the ID column and the kind are checked here, before anything starts; the
    rest of the check runs in a thread while the kernel stays free.

    Parameters
    ----------
    df : DataFrame
        The frame to check (eager: pandas, polars, ...).
    *args : Any
        Positional arguments of :func:`check_compliance` after ``df`` (``id_column``,
        ``kind``).
    progress : "auto", False or callable, default "auto"
        As for :func:`check_compliance`; ``"auto"`` shows the panel in a notebook (right
        away, in this cell) and lines on stderr elsewhere.
    client : ComplianceClient, optional
        The client to use; default ``connect()`` (the real API with a token, else the
        built-in sandbox). ``run.cancel()`` uses it to cancel jobs at X.
    **kwargs : Any
        Keyword arguments of :func:`check_compliance` (``id_column``, ``kind``,
        ``user_id_column``, ``name``, ``cache``, ``ledger_path``, ``on_conflict``, ...).
        With ``on_conflict="wait"`` (the default) several runs of one kind started here
        queue in order, and a run waits for another job of its kind at X; ``run.cancel()``
        stops the wait and never cancels the job waited for.

    Returns
    -------
    ComplianceRun
        The run: ``run.status``, ``run.result()``, ``run.cancel()``.

    Raises
    ------
    InputError
        A missing column or an unknown kind.

    See Also
    --------
    check_compliance : The same check, waiting for it.

    Examples
    --------
    >>> import tempfile
    >>> from compliance_nb.datasets import sample_tweets
    >>> from compliance_nb.sandbox import Sandbox
    >>> df = sample_tweets(20, backend="polars")
    >>> with Sandbox(processing_delay=0) as sb, tempfile.TemporaryDirectory() as tmp:
    ...     run = start_compliance(
    ...         df, client=sb.client(), progress=False, ledger_path=f"{tmp}/ledger.sqlite3"
    ...     )
    ...     checked = run.result(timeout=60)  # waits for the run
    >>> run.status, checked.height, [(job.kind, job.stage) for job in run.jobs]
    ('done', 20, [('tweets', 'joined')])
    >>> checked["compliant"].sum()
    18
    """
    from .check import check_compliance

    _validate(df, args, kwargs)
    if client is None:
        from ..api.connect import connect

        client = connect()
    reporter = resolve_progress(progress)
    if isinstance(reporter, ProgressPanel) and in_notebook():
        reporter.display()  # in the cell that started the run, not whichever runs later
    return ComplianceRun(
        check_compliance,
        progress=reporter,
        client=client,
        args=(df, *args),
        kwargs={**kwargs, "client": client},
    )
