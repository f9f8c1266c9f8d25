"""The API host's own transfer routes (OpenAPI v2.168), used by jobs whose URLs point here::

    PUT  /2/compliance/jobs/{id}/upload?token=...              upload
    GET  /2/compliance/jobs/{id}/download?token=...            download (Range honoured)

and, for resumable jobs when the sandbox has ``api_resumable="sessions"``, the resumable
protocol of the storage URLs at the same route::

    POST /2/compliance/jobs/{id}/upload?token=...              upload_start
    PUT  /2/compliance/jobs/{id}/upload?token=...&upload_id=   upload_chunk

Every request must carry the job's signed ``token`` for that direction (403 otherwise) and,
unless ``transfer_auth=False``, the bearer token (401); an unknown job is a 404. Refusals
are problem documents, as on the job routes. The upload answers ``{"data": ComplianceJob}``;
the download answers ``application/octet-stream``. Unless ``transfer_rate_limit=False``,
uploads and downloads each count against a budget of ``rate_limit`` per window (429
beyond it, with the ``x-rate-limit-*`` headers).
"""

from __future__ import annotations

import re
import time

from . import _problems as problems
from ._jobs import JobRecord
from ._storage import StorageRoutes

__all__ = ["TRANSFER_PATH", "TransferRoutes"]

#: The path of the API's transfer routes (without the public URL's prefix).
TRANSFER_PATH = re.compile(r"^/2/compliance/jobs/([^/]+)/(upload|download)/?$")
_TEXT_TYPES = ("application/octet-stream", "text/plain")


class TransferRoutes(StorageRoutes):
    """Uploads and downloads through the API host, checked by bearer and signed token."""

    def _transfer_api(self, method: str) -> None:
        sb = self.sandbox
        self._api_style = True
        match = TRANSFER_PATH.match(self._path)
        assert match is not None  # the dispatcher matched it
        self._job_id, direction = match.group(1), match.group(2)
        route = None
        if direction == "download" and method in ("GET", "HEAD"):
            route = "download"
        elif direction == "upload" and method == "PUT":
            route = "upload_chunk" if "upload_id" in self._query else "upload"
        elif direction == "upload" and method == "POST":
            self._route = "upload_start"  # named in the log even when refused
            route = "upload_start" if sb.api_resumable == "sessions" else None
        if route is None:
            self._discard_body()
            allowed = "GET" if direction == "download" else "PUT"
            self._send_json(
                405,
                problems.generic(405, "Method Not Allowed", f"Use {allowed} on this route."),
                {"Allow": allowed},
            )
            return
        self._route = route
        budget_route = "download" if route == "download" else "upload"
        if sb.transfer_auth and not sb._authorized(self.headers.get("Authorization")):
            self._discard_body()
            self._send_json(401, problems.unauthorized())
            return
        fault = self._take_fault(route)
        if fault is not None and self._answer_status_fault(fault, api=True):
            return
        if sb.transfer_rate_limit:
            allowed_now, limit, remaining, reset = sb._budget.spend(budget_route)
            self._api_headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(reset),
            }
            if not allowed_now:
                self._discard_body()
                self._send_json(429, problems.too_many_requests())
                return
        job = self._lookup_for_transfer()
        if job is None:
            return
        token = self._query.get("token", [""])[0]
        if not sb._urls.token_ok(job.id, direction, token):
            self._discard_body()
            self._send_json(
                403,
                problems.generic(
                    403,
                    "Forbidden",
                    f"The {direction} token is missing or is not the one job {job.id} handed "
                    f"out: use the job's {direction}_url as it is.",
                ),
            )
            return
        drop_after = self._transfer_fault(job, fault)
        if route == "download":
            if not self._expired(job.download_expires):
                self._send_results(job, drop_after)
            return
        if self._expired(job.upload_expires):
            return
        if route == "upload_start":
            self._start_session(job)
        elif route == "upload_chunk":
            self._store_chunk(job, self._query["upload_id"][0], drop_after)
        elif self._content_type_ok():
            if job.resumable and sb.api_resumable == "sessions":
                self._discard_body()
                self._transfer_error(
                    400,
                    "InvalidArgument",
                    "Invalid argument.",
                    f"Job {job.id} is resumable: start a session with a POST carrying "
                    "'x-goog-resumable: start', then PUT the bytes to the session URI.",
                )
                return
            self._receive_upload(job, drop_after)

    def _lookup_for_transfer(self) -> JobRecord | None:
        """The job named in the path, or None after answering 400/404 (as problems)."""
        sb = self.sandbox
        job_id = self._job_id or ""
        job = sb._jobs.get(job_id, time.time()) if job_id.isdigit() else None
        if job is None:
            self._discard_body()
            self._send_json(404, problems.not_found(sb.problem_host, job_id))
        return job

    def _content_type_ok(self) -> bool:
        """The upload's Content-Type is one the route takes (415 otherwise)."""
        given = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if given in _TEXT_TYPES:
            return True
        self._discard_body()
        self._send_json(
            415,
            problems.generic(
                415,
                "Unsupported Media Type",
                f"Send the ID file as {' or '.join(_TEXT_TYPES)}, not {given or 'no type'!r}.",
            ),
        )
        return False
