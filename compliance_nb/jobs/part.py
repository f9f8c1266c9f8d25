"""One part of a set of IDs through its job: cached, reattached, or a new job run to the end.

:class:`PartRunner` runs one part (see ``max_ids_per_job`` in
:func:`~compliance_nb.jobs.engine.run_compliance_ids`), in this order:

1. **cached**: results of a job for exactly these IDs (same fingerprint: IDs, kind and
   API URL) are in the ledger and younger than ``max_age`` (counted from the job's
   creation) -> reused, no request at all (unless ``cache=False``);
2. **reattached**: a job for these IDs is in the ledger and the API says it is still
   usable -> ``created`` with its upload window open: upload again; ``in_progress``: wait;
   ``complete``: download. ``failed``/``expired`` jobs are noted and skipped;
3. otherwise a new job: created (``resumable=True`` when the upload file is larger than
   ``resumable_threshold`` bytes), recorded in the ledger at once (so a kernel killed
   mid-job can reattach), uploaded, waited for, downloaded (and parsed meanwhile),
   stored as Parquet.

File work runs in one background thread per part, one task after another: the upload
file is written while the job is created and recorded (its size is known beforehand),
sent once written, and removed once uploaded; the results' Parquet copy is stored and
the temporary folder removed while the results are collapsed.
The part waits for all of it before it ends (on errors too), and raises its errors.

Before a new job is made (steps 2 and 3) the part takes its turn (:mod:`.turns`): runs of
one kind in this process go one after another, and one process per machine works on the
same IDs while the others wait for its results. If the API refuses a new job because one
of this type is running (:class:`ConflictError`), that job is reattached when it holds the
same IDs (the ledger says so, or its name, which is derived from the IDs); otherwise, with
``on_conflict="wait"``, the part waits for that job to end and tries again, and with
``on_conflict="raise"`` the error names the blocking job and how to cancel it.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import (
    ConflictError,
    JobExpiredError,
    JobFailedError,
    NotFoundError,
    UploadWindowExpiredError,
)
from ..api.job import Job
from .consumer import ResultsConsumer
from .idset import fingerprint, id_file_size, normalise_base_url, write_id_file
from .ledger import Ledger, LedgerRecord
from .results import ResultsParser
from .turns import (
    conflict_error,
    kind_turn,
    let_creator_upload,
    pause,
    same_ids_turn,
    wait_for_other_job,
)

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = ["PartRunner"]


class PartRunner:
    """Runs one part of a set of IDs through its job (see the module's docstring); holds the
    state the steps share.

    Parameters
    ----------
    ids : pl.Series
        The part's distinct, sorted ``UInt64`` IDs.
    kind : str
        ``"tweets"`` or ``"users"``.
    client : ComplianceClient
        The client that talks to the API.
    ledger : Ledger
        Where jobs and their results are recorded.
    name : str or None
        The job's name; without one, the job is named after its IDs' fingerprint.
    part, parts : int
        This part's number (from 1) and how many there are.
    progress : ProgressCallback or None
        Receives the :class:`~compliance_nb.ProgressEvent` s.
    cancel : CancelToken or None
        Stops the waits.
    resumable_threshold : int
        Upload files larger than this many bytes use resumable upload.
    sink : ResultsConsumer or None
        Receives the result lines as they are read, instead of the part keeping them.
    on_conflict : {"wait", "raise"}
        What to do when another job of this kind is running at X.
    """

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
        sink: ResultsConsumer | None,
        on_conflict: str = "wait",
    ) -> None:
        self.ids = ids
        self.on_conflict_mode = on_conflict
        self.started = datetime.now(timezone.utc)
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

    # -- events ---------------------------------------------------------------------------
    def emit(self, stage: str, job: Job | None = None, **kw: Any) -> None:
        emit(
            self.progress,
            ProgressEvent(
                stage,  # type: ignore[arg-type]
                kind=self.kind,
                job_id=job.id if job else None,
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
        written): the job is created meanwhile, and :meth:`upload` sends the file."""
        if self._id_file is None:
            path = self.workdir / f"{self.kind}_ids.txt"
            self._writing = self._in_background(write_id_file, self.ids, path)
            self._id_file = path

    def cached(
        self, max_age: timedelta, since: datetime | None = None
    ) -> tuple[Job, pl.DataFrame] | None:
        """Stored results younger than ``max_age``; with ``since``, only those downloaded
        since then (by a run that ran while this one waited its turn)."""
        now = datetime.now(timezone.utc)
        for rec in self.ledger.find(self.fingerprint):
            if rec.status != "complete" or not rec.has_results:
                continue
            born = rec.created_at or rec.downloaded_at or rec.recorded_at
            if now - born > max_age:
                continue
            if since is not None and (rec.downloaded_at is None or rec.downloaded_at < since):
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
            outcome = self.resume(job)
            if outcome is not None:
                return outcome
        return None

    def resume(self, job: Job) -> tuple[Job, pl.DataFrame] | None:
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
        while True:
            try:  # the client emits "creating" and "created"
                job = self.client.create_job(
                    self.kind, name=self.job_name, resumable=resumable, progress=self._forward
                )
                break
            except ConflictError as exc:
                outcome = self.on_conflict(exc)
                if outcome is not None:
                    return outcome
                # the other job has ended: try again (another waiting run may be first)
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

    def _queued(self, message: str, waited: float, next_check: float | None) -> None:
        self.emit("queued", None, message=message, elapsed_seconds=waited, wait_seconds=next_check)

    def on_conflict(self, exc: ConflictError) -> tuple[Job, pl.DataFrame] | None:
        """Another job of this kind is running: reattach when it holds these IDs; else
        wait for it to end and return None (try again), or raise (``on_conflict="raise"``)."""
        running: list[Job] = []
        for status in ("in_progress", "created"):
            try:
                running.extend(self.client.list_jobs(self.kind, status=status))
            except Exception:  # the listing is only for a better message, or the wait
                break
        for job in running:
            rec = self.ledger.get(job.id)
            if rec is None and self.name is None and job.name == self.job_name:
                # the same IDs: a run elsewhere (another ledger, another machine), or one
                # killed before it recorded the job; its creator uploads, if it is alive
                job = let_creator_upload(self.client, job, self.cancel, self._queued)
                self._record(job)
                rec = self.ledger.get(job.id)
            if rec is not None and rec.fingerprint == self.fingerprint:
                outcome = self.resume(job)
                if outcome is not None:
                    return outcome
        blocking = [j for j in running if j.status in ("created", "in_progress")]
        if self.on_conflict_mode == "wait":
            pause = 3.0 * self.client.rate_window / self.client.rate_limit
            if blocking:
                ended = wait_for_other_job(self.client, blocking[0], self.cancel, self._queued)
                if ended is blocking[0]:  # ended already (a job never uploaded, say): the
                    self._pause(pause)  # API may still count it; no tight loop of requests
            else:  # it ended meanwhile, or the listing failed: a short pause, then again
                self._queued(f"another {self.kind} job is running at X; trying again", 0.0, pause)
                self._pause(pause)
            return None
        raise conflict_error(self.kind, [j.id for j in blocking], exc) from exc

    def _pause(self, seconds: float) -> None:
        pause(seconds, self.cancel)

    def upload(self, job: Job) -> Job:
        from ..api.idsource import UploadBody

        self.write_id_file_later()  # by write_id_file, from validated UInt64 IDs
        assert self._id_file is not None and self._writing is not None
        # the whole file first: sending it while it is written saved no time that
        # benchmarks/run.py can show (docs/performance.md, ninth round)
        size = self._writing.result()  # raises the write's own error
        if size != id_file_size(self.ids):  # pragma: no cover - sizes agree (tests)
            raise AssertionError("the upload file is not the size worked out for it")
        body = UploadBody(size=size, count=len(self.ids), path=self._id_file)
        # the API-host upload route answers with the job as the upload left it
        job = self.client.upload(job, body, progress=self._forward, cancel=self.cancel)
        # uploaded: the file goes while the API processes the job
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
        if job.completed_at is None:  # X gives no completion time: when it was seen complete
            # (to the second, as X writes its times: the same in every file it travels to)
            seen = datetime.now(timezone.utc).replace(microsecond=0)
            job = dataclasses.replace(job, completed_at=seen)
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
        self._in_background(self._store, job, results)
        return job, results

    def _store(self, job: Job, results: pl.DataFrame) -> None:
        self.ledger.store_results(
            job.id, results, completed_at=job.completed_at, simulated=job.simulated
        )

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
        """Run the part: stored results, a job reattached, or a new job.

        The background work may still be under way when this returns: call :meth:`settle`
        once the results are used. On errors, it is waited for and the temporary folder
        removed before the error is raised.

        Parameters
        ----------
        cache : bool
            Whether stored results may be reused.
        max_age : timedelta
            Stored results older than this (from the job's creation) are not reused.

        Returns
        -------
        tuple[Job, pl.DataFrame, bool]
            The job, its results (raw lines, or with a ``sink`` the collapsed results it
            gave back; from the ledger: its stored collapsed results) and whether they came
            from the ledger.
        """
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
        locks = self.ledger.path.parent / "locks"
        with (
            kind_turn(self.base_url, self.kind, self.cancel, self._queued),
            same_ids_turn(locks, self.fingerprint, self.cancel, self._queued),
        ):
            # a run for the same IDs may have finished while this one waited its turn
            since = None if cache else self.started
            hit = self.cached(max_age, since=since)
            if hit is not None:
                return hit[0], hit[1], True
            outcome = self.reattach()
            if outcome is None:
                # that run stores its results in the background, after its turn: they may
                # have landed between the look above and reattach(), which skips a job
                # with stored results; look once more before a new job is made
                hit = self.cached(max_age, since=since)
                if hit is not None:
                    return hit[0], hit[1], True
                outcome = self.create()
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
        simulated=rec.simulated,
        # a ledger from before completion times were kept: the download came just after
        completed_at=rec.completed_at or rec.downloaded_at,
    )
