"""What happens to a job once its whole ID file has arrived: it is read and answered.

:func:`upload_complete` moves the file into the job's folder and starts a worker thread
(the first time only; later uploads to the same job change nothing); :func:`process` reads
the IDs, writes the oracle's results and sets the outcome the job shows once its
processing delay has passed (see ``_jobs.JobRecord.refresh``). Injected ``processing``
faults (``fail``, ``slow``) are applied here.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ._jobs import JobRecord
from ._oracle import UploadFormatError, read_id_file

if TYPE_CHECKING:
    from ._server import Sandbox

__all__ = ["process", "upload_complete"]


def upload_complete(sb: Sandbox, job: JobRecord, source: Path, size: int) -> None:
    """A whole ID file arrived (moved from ``source``): start processing, the first time."""
    target = sb._job_dir(job.id) / "submission.txt"
    with sb._jobs.lock:
        job.uploads += 1
        if job.status != "created" or job.uploaded_at is not None:
            source.unlink(missing_ok=True)
            return
        os.replace(source, target)
        job.upload_bytes = size
        job.uploaded_at = time.time()
        job.status = "in_progress"
        fault = sb.faults.take("processing")
        delay = sb.processing_delay
        error = None
        if fault is not None and fault.fault == "slow":
            delay = float(fault.param("seconds", 5.0))
        elif fault is not None and fault.fault == "fail":
            error = str(fault.param("error", "The job failed while processing (injected)."))
        job.processing_delay = delay
    worker = threading.Thread(target=process, args=(sb, job, target, delay, error), daemon=True)
    sb._workers = [w for w in sb._workers if w.is_alive()]
    sb._workers.append(worker)
    worker.start()


def process(sb: Sandbox, job: JobRecord, source: Path, delay: float, error: str | None) -> None:
    """Read the uploaded IDs and write the results; the job's outcome shows after ``delay``."""
    outcome: tuple[str, str | None]
    stats: dict[str, int] = {}
    try:
        if error is not None:
            outcome = ("failed", error)
        else:
            ids, n_lines = read_id_file(source)
            results = sb._results_path(job.id)
            part = results.with_suffix(".part")
            stats["result_lines"] = sb.oracle.write_results(ids, job.type, part)
            os.replace(part, results)
            stats.update(n_lines=n_lines, n_ids=len(ids), results_bytes=results.stat().st_size)
            outcome = ("complete", None)
    except UploadFormatError as exc:
        outcome = ("failed", str(exc))
    except Exception as exc:  # the job fails instead of the thread dying silently
        outcome = ("failed", f"Internal error while processing the job: {exc}")
    with sb._jobs.lock:
        for key, value in stats.items():
            setattr(job, key, value)
        job.ready_at = max(time.time(), (job.uploaded_at or 0.0) + delay)
        job.outcome = outcome
