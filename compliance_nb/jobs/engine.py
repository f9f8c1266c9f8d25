"""Runs the compliance jobs for one set of IDs of one kind: ledger, splitting, reattach, cache.

:func:`run_compliance_ids` is the one entry point for a kind; :func:`run_kinds` runs
several kinds at the same time (one thread each: the API allows one running job per
type, so a Tweets job and a users job can run side by side).

For each part of the IDs (see ``max_ids_per_job``), in this order:

1. **cached**: results of a job for exactly these IDs (same fingerprint: IDs, kind and
   API URL) are in the ledger and younger than ``max_age`` (default 7 days, counted from
   the job's creation) -> reused, no request at all (unless ``cache=False``);
2. **reattached**: a job for these IDs is in the ledger and the API says it is still
   usable -> ``created`` with its upload window open: upload again; ``in_progress``: wait;
   ``complete``: download. ``failed``/``expired`` jobs are noted and skipped;
3. otherwise a new job: created (``resumable=True`` when the upload file is larger than
   ``resumable_threshold`` bytes), recorded in the ledger at once (so a kernel killed
   mid-job can reattach), uploaded, waited for, downloaded (and parsed meanwhile),
   stored as Parquet.

File work runs in one background thread per part, one task after another: the upload
file is written while the job is created and recorded (its size is known beforehand)
and sent as it is written (the upload's reads wait for the writer), removed once
uploaded; the results' Parquet copy is stored and the temporary folder
removed while the results are collapsed.
The part waits for all of it before it ends (on errors too), and raises its errors.

If the API refuses a new job because one of this type is running (:class:`ConflictError`),
that job is reattached when the ledger says it holds the same IDs; otherwise the error
names the blocking job and how to cancel it.

>>> import polars as pl
>>> summarise(pl.DataFrame({"id": ["1"], "reason": ["deleted"]}), 3)
{'checked': 3, 'available': 2, 'deleted': 1}
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import narwhals.stable.v2 as nw
import polars as pl

from .._events import CancelToken, ProgressEvent, emit
from .._exceptions import (
    ConflictError,
    InputError,
    JobCancelledError,
    JobExpiredError,
    JobFailedError,
    NotFoundError,
    UploadWindowExpiredError,
)
from ..api.job import Job, check_kind
from ..rules.limits import DOWNLOAD_WINDOW, JOB_NAME_MAX, MAX_IDS_PER_JOB, RESUMABLE_THRESHOLD
from ..rules.outcomes import AVAILABLE, label_expr
from .idset import fingerprint, normalise_base_url, unique_ids, write_id_file
from .ledger import Ledger, LedgerRecord
from .results import RESULTS_SCHEMA, ResultsParser, collapse_results

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_IDS_PER_JOB",
    "DEFAULT_RESUMABLE_THRESHOLD",
    "EngineResult",
    "run_compliance_ids",
    "run_kinds",
    "summarise",
    "validate_options",
]

#: The defaults of the options (the values are defined in :mod:`compliance_nb.rules.limits`).
DEFAULT_MAX_IDS_PER_JOB = MAX_IDS_PER_JOB
DEFAULT_RESUMABLE_THRESHOLD = RESUMABLE_THRESHOLD
#: Stored results older than this (from the job's creation) are not reused: the API's
#: download window.
DEFAULT_MAX_AGE = timedelta(seconds=DOWNLOAD_WINDOW)
ProgressCallback = Callable[[ProgressEvent], None]


class ResultsConsumer(Protocol):
    """What the engine hands results to as they are read, instead of keeping them: the
    interface the jobs layer owns, so that it needs to know nothing of the caller's frames.

    The engine calls :meth:`begin` when a job has its IDs (work that can overlap the job,
    such as indexing the caller's rows), :meth:`prepare` on each parsed block of result
    lines in a parsing thread and :meth:`fold` with what it returned, in file order, on one
    thread; :meth:`add` with stored results (a block of the ledger's collapsed results); and
    :meth:`results` for the collapsed results of a part's IDs, which the ledger stores.
    """

    def begin(self) -> None: ...

    def prepare(self, block: pl.DataFrame) -> Any: ...

    def fold(self, prepared: Any) -> None: ...

    def add(self, block: pl.DataFrame) -> None: ...

    def results(self, ids: pl.Series | None = None) -> pl.DataFrame: ...


@dataclass(frozen=True)
class EngineResult:
    """What :func:`run_compliance_ids` returns.

    Attributes:
        results: the collapsed results (one row per ID that needs action), a polars frame
            with the results-frame columns, but ``id`` as **UInt64** (8 bytes a result
            instead of about 35 as text), then ``action``, ``reason``, ``created_at``,
            ``redacted_at``.
        jobs: the jobs whose results were used, in part order (cached parts included, as
            recorded: their ``Job`` has the ledger's ID, kind, status and timestamps).
        from_cache: True when every part came from stored results (no request made).
        n_checked: how many distinct IDs were checked.
        summary: the counts, when the results went to a ``sink`` (``results`` is then
            empty).
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


def summarise(results: pl.DataFrame, n_checked: int) -> dict[str, int]:
    """Counts for a ``joined`` event: checked, available and one entry per status label of
    the kind's results alone (:func:`~compliance_nb.rules.outcomes.label_expr`), the labels
    the report uses: distinct IDs."""
    counts = {"checked": n_checked, AVAILABLE: n_checked - results.height}
    if results.height:
        labels = nw.from_native(results.select(pl.col("reason").cast(pl.String))).select(
            label_expr(nw.col("reason"), user=False)
        )
        reasons = labels.to_native().to_series().value_counts(sort=True)
        for reason, n in reasons.iter_rows():
            counts[str(reason)] = counts.get(str(reason), 0) + int(n)
    return counts


def _max_age(value: timedelta | float | int | None) -> timedelta:
    if value is None:
        return DEFAULT_MAX_AGE
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=float(value))
    raise InputError(f"max_age={value!r}: give a datetime.timedelta or a number of seconds.")


def validate_options(max_ids_per_job: Any, resumable_threshold: Any, max_age: Any) -> timedelta:
    """Check the tuning arguments (before anything is sent); return ``max_age`` as a
    timedelta."""
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


_POWERS_OF_TEN = [10**k for k in range(1, 20)]


def id_file_size(ids: pl.Series) -> int:
    """The size in bytes of the upload file of these IDs (what :func:`write_id_file`
    writes: decimal digits and a newline each), without writing it: each ID has one
    digit, and one more for each power of ten up to it. Sorted IDs (as :func:`_check_ids`
    returns them) need only a binary search per power of ten.

    >>> id_file_size(pl.Series([7, 10, 1800000000000000001], dtype=pl.UInt64))
    25
    """
    if ids.is_sorted():
        powers = pl.Series(_POWERS_OF_TEN, dtype=pl.UInt64)
        below = ids.search_sorted(powers, side="left")  # how many IDs are below each power
        longer = len(ids) * len(_POWERS_OF_TEN) - sum(below.to_list())
    else:
        longer = sum(int((ids >= power).sum()) for power in _POWERS_OF_TEN)
    return 2 * len(ids) + longer


def _part_name(name: str | None, part: int, parts: int) -> str | None:
    if name is None or parts == 1:
        return name
    suffix = f" ({part}/{parts})"
    return name[: JOB_NAME_MAX - len(suffix)] + suffix


def _empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULTS_SCHEMA | {"id": pl.UInt64})


class _NotWritten(Exception):
    """Internal: the upload file's writer stopped before the bytes a read waits for (its
    own error is raised instead). Not an ``OSError``, so no HTTP library retries it."""


class _Written:
    """How far another thread has written a file: the writer calls :meth:`advance` after
    each flushed slice and :meth:`finish` at the end (on errors too); a reader's
    :meth:`wait_for` returns once the bytes it needs are there."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._bytes = 0
        self._done = False

    def advance(self, n_bytes: int) -> None:
        with self._changed:
            self._bytes = n_bytes
            self._changed.notify_all()

    def finish(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, n_bytes: int) -> None:
        """Return once the first ``n_bytes`` are written; :class:`_NotWritten` when the
        writer stopped short of them."""
        with self._changed:
            self._changed.wait_for(lambda: self._bytes >= n_bytes or self._done)
            if self._bytes < n_bytes:
                raise _NotWritten(f"the upload file stopped at {self._bytes} bytes")


class _Part:
    """Runs one part: state shared by the steps below (kept out of the public API)."""

    def __init__(
        self,
        ids: pl.Series,
        kind: str,
        *,
        client: ComplianceClient,
        ledger: Ledger,
        name: str | None,
        part: int,
        parts: int,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        resumable_threshold: int,
        sink: ResultsConsumer | None = None,
    ) -> None:
        self.ids = ids
        self.sink = sink
        self.fed_sink = False  # the results went to the sink as they were read
        self.kind = kind
        self.client = client
        self.ledger = ledger
        self.name = name
        self.part = part
        self.parts = parts
        self.progress = progress
        self.cancel = cancel
        self.resumable_threshold = resumable_threshold
        self.base_url = normalise_base_url(client.base_url)
        self.fingerprint = fingerprint(ids, kind, self.base_url)
        # without a user-given name, the job is named after its IDs, so a job whose
        # creation a killed kernel never recorded can still be recognised (on_conflict)
        self.job_name = name or f"compliance_nb-{self.fingerprint[:16]}"
        self._tmp = tempfile.TemporaryDirectory(prefix="compliance_nb_")
        self.workdir = Path(self._tmp.name)
        self._id_file: Path | None = None
        # the upload file is written, the results stored and files removed in one
        # background thread, one task after another (see settle())
        self._worker: ThreadPoolExecutor | None = None
        self._background: list[Future[Any]] = []
        self._writing: Future[Any] | None = None
        self._id_file_written = _Written()

    # -- events ---------------------------------------------------------------------------
    def emit(self, stage: str, job: Job | None = None, **kw: Any) -> None:
        emit(
            self.progress,
            ProgressEvent(
                stage,  # type: ignore[arg-type]
                kind=self.kind,
                job_id=job.id if job else kw.pop("job_id", None),
                job_name=job.name if job else self.name,
                job=job,
                part=self.part if self.parts > 1 else None,
                parts=self.parts if self.parts > 1 else None,
                **kw,
            ),
        )

    def _forward(self, event: Any) -> None:
        """Pass the client's own events on, tagged with part/parts."""
        if isinstance(event, ProgressEvent):
            if self.parts > 1 and event.part is None:
                event = dataclasses.replace(event, part=self.part, parts=self.parts)
            emit(self.progress, event)
        elif isinstance(event, Job):
            self.emit("processing", event)

    # -- steps ----------------------------------------------------------------------------
    def write_id_file_later(self) -> None:
        """Start writing the upload file in the background (unless it is under way or
        written): the job is created meanwhile, and the upload follows the file as it
        grows (:meth:`upload`)."""
        if self._id_file is None:
            path = self.workdir / f"{self.kind}_ids.txt"
            progress = _Written()

            def write() -> int:
                try:
                    return write_id_file(self.ids, path, progress.advance)
                finally:
                    progress.finish()

            self._writing = self._in_background(write)
            self._id_file, self._id_file_written = path, progress

    def cached(self, max_age: timedelta) -> tuple[Job, pl.DataFrame] | None:
        now = datetime.now(timezone.utc)
        for rec in self.ledger.find(self.fingerprint):
            if rec.status != "complete" or not rec.has_results:
                continue
            born = rec.created_at or rec.downloaded_at or rec.recorded_at
            if now - born > max_age:
                continue
            try:
                results = self.ledger.load_results(rec)
            except Exception:
                continue
            job = _job_from_record(rec)
            self.emit(
                "cached",
                job,
                message=f"results of job {rec.job_id} from {born:%Y-%m-%d %H:%M} UTC reused",
            )
            return job, results
        return None

    def reattach(self) -> tuple[Job, pl.DataFrame] | None:
        for rec in self.ledger.find(self.fingerprint):
            if rec.status in ("failed", "expired", "gone") or rec.has_results:
                continue
            try:
                job = self.client.get_job(rec.job_id)
            except NotFoundError:
                self.ledger.update_status(rec.job_id, "gone")
                continue
            outcome = self.resume(job, rec)
            if outcome is not None:
                return outcome
        return None

    def resume(self, job: Job, rec: LedgerRecord | None = None) -> tuple[Job, pl.DataFrame] | None:
        """Carry on with an existing job; None when it cannot be used any more."""
        if job.status == "created" and job.upload_expired:
            self.ledger.update_status(job.id, "expired")
            return None
        if job.status == "complete" and job.download_expired:
            self.ledger.update_status(job.id, "expired")
            return None
        if job.status not in ("created", "in_progress", "complete"):
            self.ledger.update_status(job.id, job.status, error=job.error)
            return None
        self.ledger.update_status(job.id, job.status)
        self.emit("reattached", job, message=f"reattached to job {job.id} ({job.status})")
        if job.status == "created":
            try:
                job = self.upload(job)
            except UploadWindowExpiredError as exc:  # closed meanwhile: a new job is needed
                self.ledger.update_status(job.id, "expired", error=str(exc))
                return None
        return self.finish(job)

    def create(self, new_jobs_left: int = 2) -> tuple[Job, pl.DataFrame]:
        self.write_id_file_later()  # written while the job is created and recorded
        resumable = id_file_size(self.ids) > self.resumable_threshold
        try:  # the client emits "creating" and "created"
            job = self.client.create_job(
                self.kind, name=self.job_name, resumable=resumable, progress=self._forward
            )
        except ConflictError as exc:
            outcome = self.on_conflict(exc)
            if outcome is None:
                raise
            return outcome
        self._record(job)
        try:
            job = self.upload(job)
        except UploadWindowExpiredError as exc:  # the window closed before the upload
            self.ledger.update_status(job.id, "expired", error=str(exc))
            if new_jobs_left <= 0:
                raise
            self.emit(
                "retrying",
                job,
                message=f"the upload window of job {job.id} closed before the IDs were "
                "uploaded; creating a new job",
            )
            return self.create(new_jobs_left - 1)
        return self.finish(job)

    def _record(self, job: Job) -> None:
        self.ledger.record_job(
            job,
            fingerprint=self.fingerprint,
            kind=self.kind,
            base_url=self.base_url,
            part=self.part,
            parts=self.parts,
            n_ids=len(self.ids),
        )

    def on_conflict(self, exc: ConflictError) -> tuple[Job, pl.DataFrame] | None:
        running: list[Job] = []
        for status in ("in_progress", "created"):
            try:
                running.extend(self.client.list_jobs(self.kind, status=status))
            except Exception:  # the listing is only for a better message
                break
        for job in running:
            rec = self.ledger.get(job.id)
            if rec is None and self.name is None and job.name == self.job_name:
                self._record(job)  # ours: created by a run killed before it recorded it
                rec = self.ledger.get(job.id)
            if rec is not None and rec.fingerprint == self.fingerprint:
                outcome = self.resume(job, rec)
                if outcome is not None:
                    return outcome
        blocking = [j.id for j in running if j.status in ("created", "in_progress")]
        which = f"job {blocking[0]}" if blocking else "another job"
        job_id = blocking[0] if blocking else "JOB_ID"
        raise ConflictError(
            f"The API allows one running {self.kind} job at a time, and {which} is running "
            f"for other IDs. Wait for it to finish, or cancel it: "
            f"ComplianceClient().cancel_job({job_id!r}) or `compliance-nb jobs cancel {job_id}`.",
            status=exc.status,
            type=exc.type,
            title=exc.title,
            detail=exc.detail,
        ) from exc

    def upload(self, job: Job) -> Job:
        from ..api.idsource import UploadBody

        self.write_id_file_later()  # by write_id_file, from validated UInt64 IDs
        assert self._id_file is not None and self._writing is not None
        body = UploadBody(
            size=id_file_size(self.ids),
            count=len(self.ids),
            path=self._id_file,
            wait_for=self._id_file_written.wait_for,  # sent as it is written
        )
        try:
            self.client.upload(job, body, progress=self._forward, cancel=self.cancel)
        except _NotWritten:
            self._writing.result()  # raises the write's own error
            raise
        if self._writing.result() != body.size:  # pragma: no cover - sizes agree (tests)
            raise AssertionError("the upload file is not the size worked out for it")
        # uploaded: the file (200 MB at 10M IDs) goes while the API processes the job
        path, self._id_file, self._writing = self._id_file, None, None
        self._in_background(os.unlink, path)
        self.ledger.update_status(job.id, "in_progress")
        return job

    def finish(self, job: Job) -> tuple[Job, pl.DataFrame]:
        if self.sink is not None:
            self.sink.begin()  # its index is built while the job runs
        if job.status != "complete":
            try:
                job = self.client.wait(job, on_update=self._forward, cancel=self.cancel)
            except (JobFailedError, JobExpiredError) as exc:
                status = "failed" if isinstance(exc, JobFailedError) else "expired"
                self.ledger.update_status(job.id, status, error=str(exc))
                raise
            self.ledger.update_status(job.id, "complete")  # results not stored yet
        # parsed while it downloads: IDs as numbers, reasons as categories
        dest = self.workdir / f"{job.id}.json"
        sink = self.sink
        with ResultsParser(
            dest,
            compact=True,
            on_block=sink.fold if sink is not None else None,
            prepare=sink.prepare if sink is not None else None,
        ) as parser:
            self.client.download(
                job, dest=dest, progress=self._forward, cancel=self.cancel, sink=parser
            )
            results = parser.finish()
        if sink is not None:  # the ledger gets this part's collapsed results
            self.fed_sink = True
            results = sink.results(self.ids)
        # the ledger's Parquet copy is written in the worker while the caller collapses
        # the results; settle() waits for it (and raises its error) before the part ends
        self._in_background(self.ledger.store_results, job.id, results)
        return job, results

    def _in_background(self, task: Callable[..., object], *args: Any) -> Future[Any]:
        """Run ``task(*args)`` in the worker thread, after the tasks before it (here and
        now, when no thread can be started, as while the interpreter shuts down)."""
        future: Future[Any]
        try:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(1, thread_name_prefix="compliance_nb-files")
            future = self._worker.submit(task, *args)
        except RuntimeError:
            for earlier in self._background:
                earlier.exception()  # keep the order: what came first is done first
            future = Future()
            try:
                future.set_result(task(*args))
            except Exception as exc:
                future.set_exception(exc)
        self._background.append(future)
        return future

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=False)  # the thread ends after the last task
            self._worker = None

    def settle(self) -> None:
        """Wait for the background work (the results stored in the ledger, the temporary
        files removed), one task after another; then raise the first error, if any."""
        pending, self._background = self._background, []
        errors = [future.exception() for future in pending]  # waits for each
        first = next((error for error in errors if error is not None), None)
        if first is not None:
            raise first

    def run(self, *, cache: bool, max_age: timedelta) -> tuple[Job, pl.DataFrame, bool]:
        try:
            outcome = self._outcome(cache=cache, max_age=max_age)
        except BaseException:
            # on errors the folder goes before the error is raised (after what is under way)
            for task in self._background:
                task.exception()
            self._background = []
            self._stop_worker()
            self._tmp.cleanup()
            raise
        # removed while the caller collapses the results; settle() waits for it
        self._in_background(self._tmp.cleanup)
        self._stop_worker()
        return outcome

    def _outcome(self, *, cache: bool, max_age: timedelta) -> tuple[Job, pl.DataFrame, bool]:
        if cache:
            hit = self.cached(max_age)
            if hit is not None:
                return hit[0], hit[1], True
        outcome = self.reattach() or self.create()
        return outcome[0], outcome[1], False


def _job_from_record(rec: LedgerRecord) -> Job:
    return Job(
        id=rec.job_id,
        type=rec.kind,
        status=rec.status,
        created_at=rec.created_at,
        upload_expires_at=rec.upload_expires_at,
        download_expires_at=rec.download_expires_at,
        name=rec.name,
    )


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
) -> EngineResult:
    """Check a set of IDs of one kind; return the collapsed results.

    Args:
        ids: polars ``UInt64`` Series of distinct, non-null IDs (duplicates are dropped).
        kind: ``"tweets"`` or ``"users"``.
        client: the :class:`~compliance_nb.ComplianceClient` to use.
        name: job name (parts get `` (i/n)`` appended).
        progress: a callable receiving :class:`~compliance_nb.ProgressEvent`.
        cache: reuse stored results younger than ``max_age`` (default True). Running
            jobs for the same IDs are reattached either way.
        max_age: ``timedelta`` or seconds; default 7 days.
        max_ids_per_job: split larger sets into jobs of at most this many IDs, run one
            after another.
        resumable_threshold: upload files larger than this many bytes use resumable upload.
        ledger: the :class:`~compliance_nb.jobs.ledger.Ledger`; default the one in the cache dir.
        cancel: a :class:`~compliance_nb.CancelToken` to stop waiting.
        sink: a :class:`ResultsConsumer` whose index holds these IDs (the frame
            layer's ``RowResults`` is one): the result lines go to it as they are read
            (downloaded or stored), and are not held; ``results`` is then empty and
            ``summary`` holds the counts.

    Returns:
        :class:`EngineResult` (``results.id`` is UInt64).

    >>> import polars as pl
    >>> from compliance_nb.sandbox import Sandbox
    >>> with Sandbox() as sb:  # doctest: +SKIP
    ...     res = run_compliance_ids(pl.Series([20], dtype=pl.UInt64), "tweets",
    ...                              client=sb.client())
    """
    check_kind(kind)
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
        runner = _Part(
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
                summary = _added(summary, summarise(results, len(chunk)))
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


def _added(counts: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Two parts' counts added up (most frequent reason first, like one part's)."""
    total = dict(counts)
    for key, n in more.items():
        total[key] = total.get(key, 0) + n
    fixed = {k: total.pop(k) for k in ("checked", "available") if k in total}
    return fixed | dict(sorted(total.items(), key=lambda kv: -kv[1]))


def _feed(sink: ResultsConsumer, results: pl.DataFrame, lines: int = 1 << 18) -> None:
    """Hand stored results to ``sink`` in slices (it reads text IDs as numbers)."""
    for start in range(0, results.height, lines):
        sink.add(results.slice(start, lines))


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

    Takes the same keyword arguments, and ``sinks``: a ``sink`` per kind. If one kind
    fails, the others are cancelled (their jobs go on at the API and stay in the ledger
    to reattach) and the first error is raised here.
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
        for kind, fut in futures.items():
            if fut.exception() is None:  # errors were collected in `errors`, raised below
                results[kind] = fut.result()
    if errors:
        first = next((e for e in errors if not isinstance(e, JobCancelledError)), errors[0])
        raise first
    return results
