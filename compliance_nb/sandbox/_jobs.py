"""Compliance jobs as the sandbox keeps them: state, lazy status changes, JSON shape.

Status changes are evaluated when a job is looked at (:meth:`JobRecord.refresh`):

* ``created`` becomes ``expired`` once the upload window has passed;
* ``in_progress`` becomes ``complete`` (or ``failed``) once processing has finished and
  the processing delay has passed;
* ``complete`` becomes ``expired`` after the download window, only when the sandbox is
  configured with ``expire_complete_jobs=True`` (the real behaviour is unconfirmed).

>>> job = JobRecord(id="1", type="tweets", name=None, resumable=False, created=0.0,
...                 upload_expires=900.0, download_expires=604800.0,
...                 upload_url="u", download_url="d")
>>> job.refresh(now=901.0, expire_complete_jobs=False)
>>> job.status
'expired'
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CANCELLED_ERROR", "JobRecord", "JobStore", "format_time"]

CANCELLED_ERROR = "Job cancelled by the client"


def format_time(epoch: float) -> str:
    """``YYYY-MM-DDTHH:MM:SS.000Z`` (whole seconds, as the API writes job times).

    >>> format_time(1628710975.9)
    '2021-08-11T19:42:55.000Z'
    """
    moment = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class UploadSession:
    """A resumable upload session (GCS XML-API style)."""

    upload_id: str
    path: Path  # the bytes stored so far
    stored: int = 0
    total: int | None = None
    complete: bool = False


@dataclass
class JobRecord:
    """One job. Times are Unix epoch seconds (floats)."""

    id: str
    type: str
    name: str | None
    resumable: bool
    created: float
    upload_expires: float
    download_expires: float
    upload_url: str
    download_url: str
    status: str = "created"
    error: str | None = None
    uploaded_at: float | None = None
    processing_delay: float = 0.0
    outcome: tuple[str, str | None] | None = None  # set when processing has finished
    ready_at: float | None = None
    sessions: dict[str, UploadSession] = field(default_factory=dict)
    uploads: int = 0
    upload_bytes: int = 0
    n_lines: int | None = None
    n_ids: int | None = None
    result_lines: int | None = None
    results_bytes: int | None = None

    def refresh(self, now: float, expire_complete_jobs: bool) -> None:
        """Apply the status changes that are due at ``now``."""
        if self.status == "created" and now >= self.upload_expires:
            self.status = "expired"
        elif (
            self.status == "in_progress"
            and self.outcome is not None
            and self.ready_at is not None
            and now >= self.ready_at
        ):
            self.status, self.error = self.outcome
        if self.status == "complete" and expire_complete_jobs and now >= self.download_expires:
            self.status = "expired"

    def estimated_completion(self) -> float | None:
        """When processing is expected to end (only while ``in_progress``)."""
        if self.status != "in_progress" or self.uploaded_at is None:
            return None
        if self.ready_at is not None:
            return self.ready_at
        return self.uploaded_at + self.processing_delay

    def to_json(self, *, estimated_completion: bool) -> dict[str, Any]:
        """The job as the API shows it (field order as in the API's own examples)."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.name is not None:
            data["name"] = self.name
        data["status"] = self.status
        data["resumable"] = self.resumable
        data["created_at"] = format_time(self.created)
        data["upload_url"] = self.upload_url
        data["upload_expires_at"] = format_time(self.upload_expires)
        data["download_url"] = self.download_url
        data["download_expires_at"] = format_time(self.download_expires)
        eta = self.estimated_completion()
        if estimated_completion and eta is not None:
            data["estimated_completion"] = format_time(eta)
        if self.status == "failed" and self.error:
            data["error"] = self.error
        # the mark of simulated results, at the source: a client that reached the sandbox
        # any way (connect(), its URL, the command line) reads it from the job
        # (compliance_nb.api.job.SIMULATED_MARK; the sandbox imports nothing of the client)
        data["compliance_nb_simulated"] = True
        return data

    def state(self) -> dict[str, Any]:
        """The server-side view used by tests."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "resumable": self.resumable,
            "uploads": self.uploads,
            "upload_bytes": self.upload_bytes,
            "n_lines": self.n_lines,
            "n_ids": self.n_ids,
            "result_lines": self.result_lines,
            "results_bytes": self.results_bytes,
            "created": self.created,
            "upload_expires": self.upload_expires,
            "download_expires": self.download_expires,
            "sessions": {
                s.upload_id: {"stored": s.stored, "total": s.total, "complete": s.complete}
                for s in self.sessions.values()
            },
        }


class JobStore:
    """All jobs of one sandbox, in creation order (thread-safe)."""

    def __init__(self, expire_complete_jobs: bool) -> None:
        self._lock = threading.RLock()
        self._jobs: dict[str, JobRecord] = {}
        self.expire_complete_jobs = expire_complete_jobs

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def add(self, job: JobRecord) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str, now: float) -> JobRecord | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.refresh(now, self.expire_complete_jobs)
            return job

    def all(self, now: float) -> list[JobRecord]:
        with self._lock:
            jobs = list(self._jobs.values())
            for job in jobs:
                job.refresh(now, self.expire_complete_jobs)
            return jobs
