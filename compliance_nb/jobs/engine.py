"""Runs the compliance jobs for one set of IDs of one kind: options, splitting, the parts.

:func:`run_compliance_ids` is the one entry point for a kind: it checks the options and the
IDs, splits the IDs into parts of at most ``max_ids_per_job`` and runs each part's job
(:class:`~compliance_nb.jobs.part.PartRunner`: stored results, a job reattached or a new
one), one after another; it collapses each part's results, or hands them to a
:class:`~compliance_nb.jobs.consumer.ResultsConsumer`. :func:`run_kinds` runs several kinds
at the same time (one thread each: the API allows one running job per type, so a Tweets job
and a users job can run side by side).

>>> validate_options(1000, 0, 60)
datetime.timedelta(seconds=60)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import InputError, JobCancelledError
from ..api.job import Job, check_kind
from ..rules.limits import DOWNLOAD_WINDOW, JOB_NAME_MAX, MAX_IDS_PER_JOB, RESUMABLE_THRESHOLD
from .collapse import collapse_results
from .consumer import ResultsConsumer
from .counts import add_counts, summarise
from .idset import unique_ids
from .ledger import Ledger
from .part import PartRunner
from .results import RESULTS_SCHEMA
from .turns import check_on_conflict

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_IDS_PER_JOB",
    "DEFAULT_RESUMABLE_THRESHOLD",
    "EngineResult",
    "run_compliance_ids",
    "run_kinds",
    "validate_options",
]

#: The defaults of the options (the values are defined in :mod:`compliance_nb.rules.limits`).
DEFAULT_MAX_IDS_PER_JOB = MAX_IDS_PER_JOB
DEFAULT_RESUMABLE_THRESHOLD = RESUMABLE_THRESHOLD
#: Stored results older than this (from the job's creation) are not reused: the API's
#: download window.
DEFAULT_MAX_AGE = timedelta(seconds=DOWNLOAD_WINDOW)


@dataclass(frozen=True)
class EngineResult:
    """What :func:`run_compliance_ids` returns.

    Attributes
    ----------
    results : pl.DataFrame
        The collapsed results (one row per ID that needs action), a polars frame with the
        results-frame columns, but ``id`` as **UInt64** (smaller than decimal text), then
        ``action``, ``reason``, ``created_at``, ``redacted_at``.
    jobs : list[Job]
        The jobs whose results were used, in part order (cached parts included, as
        recorded: their ``Job`` has the ledger's ID, kind, status and timestamps).
    from_cache : bool
        True when every part came from stored results (no request made).
    n_checked : int
        How many distinct IDs were checked.
    summary : dict[str, int] or None
        The counts, when the results went to a ``sink`` (``results`` is then empty).

    Examples
    --------
    >>> EngineResult(results=_empty_results(), n_checked=2).counts
    {'checked': 2, 'available': 2}
    """

    results: pl.DataFrame
    jobs: list[Job] = field(default_factory=list)
    from_cache: bool = False
    n_checked: int = 0
    summary: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        """``checked``, ``available`` (no result line) and one entry per reason."""
        if self.summary is not None:
            return dict(self.summary)
        return summarise(self.results, self.n_checked)


def _max_age(value: timedelta | float | int | None) -> timedelta:
    if value is None:
        return DEFAULT_MAX_AGE
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=float(value))
    raise InputError(f"max_age={value!r}: give a datetime.timedelta or a number of seconds.")


def validate_options(max_ids_per_job: Any, resumable_threshold: Any, max_age: Any) -> timedelta:
    """Check the tuning arguments, before anything is sent.

    Parameters
    ----------
    max_ids_per_job : Any
        Must be a positive ``int``.
    resumable_threshold : Any
        Must be an ``int`` >= 0 (bytes).
    max_age : Any
        ``None`` (the default, :data:`DEFAULT_MAX_AGE`), a ``timedelta`` or a number of
        seconds >= 0.

    Returns
    -------
    timedelta
        ``max_age`` as a timedelta.

    Raises
    ------
    InputError
        An argument is not one of these.

    Examples
    --------
    >>> validate_options(10, 0, None) == DEFAULT_MAX_AGE
    True
    >>> validate_options(0, 0, None)
    Traceback (most recent call last):
        ...
    compliance_nb.InputError: max_ids_per_job=0: give a positive integer.
    """
    if isinstance(max_ids_per_job, bool) or not isinstance(max_ids_per_job, int):
        raise InputError(f"max_ids_per_job={max_ids_per_job!r}: give a positive integer.")
    if max_ids_per_job < 1:
        raise InputError(f"max_ids_per_job={max_ids_per_job!r}: give a positive integer.")
    if (
        isinstance(resumable_threshold, bool)
        or not isinstance(resumable_threshold, int)
        or resumable_threshold < 0
    ):
        raise InputError(
            f"resumable_threshold={resumable_threshold!r}: give a number of bytes (int >= 0)."
        )
    return _max_age(max_age)


def _check_ids(ids: pl.Series) -> pl.Series:
    if not isinstance(ids, pl.Series):
        raise InputError("ids must be a polars Series of UInt64 IDs.")
    if len(ids) == 0:
        return pl.Series("id", [], dtype=pl.UInt64)
    if ids.dtype != pl.UInt64:
        raise InputError(f"ids must be a polars UInt64 Series, not {ids.dtype}.")
    if ids.null_count():
        raise InputError("ids must not contain nulls.")
    return unique_ids(ids)  # no copy when already distinct and sorted


def _part_name(name: str | None, part: int, parts: int) -> str | None:
    if name is None or parts == 1:
        return name
    suffix = f" ({part}/{parts})"
    return name[: JOB_NAME_MAX - len(suffix)] + suffix


def _empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULTS_SCHEMA | {"id": pl.UInt64})


def run_compliance_ids(
    ids: pl.Series,
    kind: str,
    *,
    client: ComplianceClient,
    name: str | None = None,
    progress: ProgressCallback | None = None,
    cache: bool = True,
    max_age: timedelta | float | None = None,
    max_ids_per_job: int = DEFAULT_MAX_IDS_PER_JOB,
    resumable_threshold: int = DEFAULT_RESUMABLE_THRESHOLD,
    ledger: Ledger | None = None,
    cancel: CancelToken | None = None,
    sink: ResultsConsumer | None = None,
    on_conflict: str = "wait",
) -> EngineResult:
    """Check a set of IDs of one kind; return the collapsed results.

    Parameters
    ----------
    ids : pl.Series
        polars ``UInt64`` Series of non-null IDs (duplicates are dropped).
    kind : str
        ``"tweets"`` or ``"users"``.
    client : ComplianceClient
        The :class:`~compliance_nb.ComplianceClient` to use.
    name : str, optional
        The job's name (parts get `` (i/n)`` appended).
    progress : callable, optional
        Receives each :class:`~compliance_nb.ProgressEvent`.
    cache : bool, default True
        Reuse stored results younger than ``max_age``. Running jobs for the same IDs are
        reattached either way.
    max_age : timedelta or float, optional
        ``timedelta`` or seconds; default :data:`DEFAULT_MAX_AGE` (the download window).
    max_ids_per_job : int, default DEFAULT_MAX_IDS_PER_JOB
        Split larger sets into jobs of at most this many IDs, run one after another.
    resumable_threshold : int, default DEFAULT_RESUMABLE_THRESHOLD
        Upload files larger than this many bytes use resumable upload.
    ledger : Ledger, optional
        The :class:`~compliance_nb.jobs.ledger.Ledger`; default the one in the cache dir.
    cancel : CancelToken, optional
        A :class:`~compliance_nb.CancelToken` to stop waiting.
    sink : ResultsConsumer, optional
        A consumer whose index holds these IDs (the frame layer's ``RowResults`` is one):
        the result lines go to it as they are read (downloaded or stored), and are not
        held; ``results`` is then empty and ``summary`` holds the counts.
    on_conflict : {"wait", "raise"}, default "wait"
        When X runs another job of this kind (one running job per kind per App):
        ``"wait"`` for it to end (the wait is reported as ``queued`` events and polls
        within the rate budget; the other job is never cancelled), then run; ``"raise"``
        :class:`~compliance_nb.ConflictError` at once. Runs of one kind in this process
        always take turns, in order.

    Returns
    -------
    EngineResult
        ``results.id`` is UInt64.

    Raises
    ------
    InputError
        The IDs or an option are not valid (nothing is sent).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from compliance_nb.sandbox import Sandbox
    >>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite3")
    >>> with Sandbox(processing_delay=0) as sb:
    ...     res = run_compliance_ids(pl.Series([21, 20, 21], dtype=pl.UInt64), "tweets",
    ...                              client=sb.client(), ledger=ledger)
    >>> res.n_checked, len(res.jobs), res.from_cache
    (2, 1, False)
    """
    check_kind(kind)
    check_on_conflict(on_conflict)
    age = validate_options(max_ids_per_job, resumable_threshold, max_age)
    ids = _check_ids(ids)
    if len(ids) == 0:
        return EngineResult(results=_empty_results(), jobs=[], from_cache=True, n_checked=0)
    ledger = ledger if ledger is not None else Ledger()
    parts = -(-len(ids) // max_ids_per_job)
    jobs: list[Job] = []
    frames: list[pl.DataFrame] = []
    summary: dict[str, int] = {}  # with a sink: the parts' counts added up
    all_cached = True
    for i in range(parts):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = ids.slice(i * max_ids_per_job, max_ids_per_job)
        runner = PartRunner(
            chunk,
            kind,
            client=client,
            ledger=ledger,
            name=_part_name(name, i + 1, parts),
            part=i + 1,
            parts=parts,
            progress=progress,
            cancel=cancel,
            resumable_threshold=resumable_threshold,
            sink=sink,
            on_conflict=on_conflict,
        )
        try:
            job, results, from_cache = runner.run(cache=cache, max_age=age)
        except JobCancelledError:
            runner.emit(
                "cancelled",
                message="stopped: this run no longer waits for the job (a rerun reattaches to it "
                "unless it was cancelled at X)",
            )
            raise
        # from here, the results are stored and the temporary files removed in threads:
        # runner.settle() waits for both and raises their first error
        jobs.append(job)
        # parts hold disjoint IDs, so each collapses on its own: only one part's raw lines
        # are in memory at a time
        try:
            if sink is not None:  # results: this part's collapsed results
                if not runner.fed_sink:  # stored results, not yet fed
                    results = collapse_results(results.select(list(RESULTS_SCHEMA)))
                    _feed(sink, results)
                summary = add_counts(summary, summarise(results, len(chunk)))
            else:
                collapsed = collapse_results(results.select(list(RESULTS_SCHEMA)))
                # IDs as numbers (the compact parser's already are; results stored by an
                # earlier version in the ledger hold them as checked decimal text)
                frames.append(collapsed.with_columns(pl.col("id").cast(pl.UInt64)))
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to report
                runner.settle()
            raise
        runner.settle()
        del results
        all_cached = all_cached and from_cache
    if sink is not None:
        return EngineResult(
            results=_empty_results(),
            jobs=jobs,
            from_cache=all_cached,
            n_checked=len(ids),
            summary=summary,
        )
    collapsed = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    return EngineResult(results=collapsed, jobs=jobs, from_cache=all_cached, n_checked=len(ids))


#: Stored results are handed to a sink this many at a time.
_FEED_LINES = 1 << 18


def _feed(sink: ResultsConsumer, results: pl.DataFrame) -> None:
    """Hand stored results to ``sink`` in slices (it reads text IDs as numbers)."""
    for start in range(0, results.height, _FEED_LINES):
        sink.add(results.slice(start, _FEED_LINES))


class _LinkedCancel(CancelToken):
    """A cancel token that is also cancelled when its parent (the user's token) is."""

    def __init__(self, parent: CancelToken | None) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise JobCancelledError("The run was cancelled.")

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            self.raise_if_cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._event.wait(min(remaining, 0.2))


def run_kinds(
    ids_by_kind: Mapping[str, pl.Series],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    sinks: Mapping[str, ResultsConsumer] | None = None,
    **kwargs: Any,
) -> dict[str, EngineResult]:
    """:func:`run_compliance_ids` for several kinds at the same time (one thread each).

    If one kind fails, the others are cancelled (their jobs go on at the API and stay in
    the ledger to reattach) and the first error is raised here.

    Parameters
    ----------
    ids_by_kind : Mapping[str, pl.Series]
        The IDs of each kind (``"tweets"``, ``"users"``).
    progress : callable, optional
        Receives each :class:`~compliance_nb.ProgressEvent` (one kind's at a time).
    cancel : CancelToken, optional
        Stops every kind.
    sinks : Mapping[str, ResultsConsumer], optional
        A ``sink`` per kind.
    **kwargs
        The other keyword arguments of :func:`run_compliance_ids`.

    Returns
    -------
    dict[str, EngineResult]
        Each kind's result.

    Examples
    --------
    >>> run_kinds({"tweets": pl.Series([], dtype=pl.UInt64)}, client=None)["tweets"].counts
    {'checked': 0, 'available': 0}
    """
    for kind in ids_by_kind:
        check_kind(kind)
    sinks = sinks or {}
    if len(ids_by_kind) <= 1:
        return {
            kind: run_compliance_ids(
                ids, kind, progress=progress, cancel=cancel, sink=sinks.get(kind), **kwargs
            )
            for kind, ids in ids_by_kind.items()
        }
    lock = threading.Lock()

    def safe_progress(event: ProgressEvent) -> None:
        with lock:
            emit(progress, event)

    inner = _LinkedCancel(cancel)
    errors: list[BaseException] = []

    def one(kind: str, ids: pl.Series) -> EngineResult:
        try:
            return run_compliance_ids(
                ids,
                kind,
                progress=safe_progress if progress else None,
                cancel=inner,
                sink=sinks.get(kind),
                **kwargs,
            )
        except BaseException as exc:
            with lock:
                if not isinstance(exc, JobCancelledError) or not errors:
                    errors.append(exc)
            inner.cancel()
            raise

    with ThreadPoolExecutor(max_workers=len(ids_by_kind), thread_name_prefix="compliance") as ex:
        futures = {kind: ex.submit(one, kind, ids) for kind, ids in ids_by_kind.items()}
        results: dict[str, EngineResult] = {}
        try:
            for kind, fut in futures.items():
                while not fut.done():  # in short waits: a KeyboardInterrupt gets through
                    wait([fut], timeout=0.2)
                if fut.exception() is None:  # errors were collected in `errors`, raised below
                    results[kind] = fut.result()
        except BaseException:  # KeyboardInterrupt: the threads stop before it goes on
            inner.cancel()
            raise
    if errors:
        first = next((e for e in errors if not isinstance(e, JobCancelledError)), errors[0])
        raise first
    return results
