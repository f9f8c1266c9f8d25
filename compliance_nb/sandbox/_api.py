"""The job API routes (bearer token required, rate-limited per route)::

POST   /2/compliance/jobs             create
GET    /2/compliance/jobs?type=...    list
GET    /2/compliance/jobs/{id}        get
DELETE /2/compliance/jobs/{id}        cancel
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..rules.limits import is_job_id
from . import _problems as problems
from ._http import HandlerBase
from ._jobs import CANCELLED_ERROR, JobRecord

__all__ = ["ApiRoutes"]

_FIELDS = {
    "created_at",
    "download_expires_at",
    "download_url",
    "id",
    "name",
    "resumable",
    "status",
    "type",
    "upload_expires_at",
    "upload_url",
}
_KINDS = ("tweets", "users")
_LIST_STATUSES = ("created", "in_progress", "failed", "complete")


class ApiRoutes(HandlerBase):
    """create, list, get and cancel, with problem documents for every refusal."""

    # -- the job API ------------------------------------------------------------------

    def _api(self, method: str) -> None:
        sb = self.sandbox
        rest = self._path[len("/2/compliance/jobs") :].strip("/")
        if not rest:
            route = {"POST": "create", "GET": "list"}.get(method)
        else:
            route = {"GET": "get", "DELETE": "cancel"}.get(method)
            self._job_id = rest
        if route is None:
            self._discard_body()
            self._send_json(405, problems.generic(405, "Method Not Allowed", "Not allowed."))
            return
        self._route = route
        if not sb._authorized(self.headers.get("Authorization")):
            _, limit, remaining, reset = sb._budget.spend(route, count_it=False)
            self._api_headers = {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(reset),
            }
            self._discard_body()
            self._send_json(401, problems.unauthorized())
            return
        fault = self._take_fault(route)
        if (
            fault is not None
            and fault.fault != "expire_upload"
            and self._answer_status_fault(fault, api=True)
        ):
            return
        allowed, limit, remaining, reset = sb._budget.spend(route)
        self._api_headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }
        if not allowed:
            self._discard_body()
            self._send_json(429, problems.too_many_requests())
            return
        expire_now = fault is not None and fault.fault == "expire_upload"
        getattr(self, f"_api_{route}")(expire_now)

    def _check_query(self, allowed: set[str]) -> bool:
        """Refuse unknown query parameters and bad ``compliance_job.fields`` values."""
        for key, values in self._query.items():
            if key not in allowed:
                self._invalid(
                    key,
                    values[0],
                    f"The query parameter [{key}] is not one of [{','.join(sorted(allowed))}]",
                )
                return False
        fields = self._query.get("compliance_job.fields")
        if fields:
            for name in fields[0].split(","):
                if name not in _FIELDS:
                    self._invalid(
                        "compliance_job.fields",
                        fields[0],
                        f"The `compliance_job.fields` query parameter value [{name}] is not "
                        f"one of [{','.join(sorted(_FIELDS))}]",
                    )
                    return False
        return True

    def _invalid(self, parameter: str | None, value: str | None, message: str) -> None:
        self._send_json(
            400, problems.invalid_request(self.sandbox.problem_host, parameter, value, message)
        )

    def _api_create(self, expire_now: bool) -> None:
        sb = self.sandbox
        raw = self._read_small_body()
        if not self._check_query({"compliance_job.fields"}):
            return
        if raw is None:
            self._invalid(None, None, "The request body is too large.")
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._invalid(None, None, "The request body is not valid JSON.")
            return
        if not isinstance(body, dict):
            self._invalid(None, None, "The request body must be a JSON object.")
            return
        unknown = sorted(set(body) - {"type", "name", "resumable"})
        if unknown:
            self._invalid(
                unknown[0],
                json.dumps(body[unknown[0]]),
                f"[{unknown[0]}] is not a valid field; use type, name, resumable",
            )
            return
        kind = body.get("type")
        if kind not in _KINDS:
            self._invalid(
                "type", str(kind), f"The `type` value [{kind}] is not one of [tweets,users]"
            )
            return
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 64):
            self._invalid("name", str(name), "`name` must be a string of at most 64 characters")
            return
        resumable = body.get("resumable", False)
        if not isinstance(resumable, bool):
            self._invalid("resumable", str(resumable), "`resumable` must be true or false")
            return
        job, blocking = sb._create_job(kind, name, resumable, expire_now=expire_now)
        if job is None:
            assert blocking is not None
            self._send_json(
                409, problems.conflict(sb.problem_host, kind, blocking.id, blocking.status)
            )
            return
        self._send_json(200, {"data": sb._job_json(job)})

    def _api_list(self, expire_now: bool) -> None:
        sb = self.sandbox
        self._discard_body()
        if not self._check_query({"type", "status", "compliance_job.fields"}):
            return
        kind: str | None = self._query["type"][0] if "type" in self._query else None
        if kind not in _KINDS:
            message = (
                "The `type` query parameter is required"
                if kind is None
                else f"The `type` query parameter value [{kind}] is not one of [tweets,users]"
            )
            self._invalid("type", kind, message)
            return
        status: str | None = self._query["status"][0] if "status" in self._query else None
        if status is not None and status not in _LIST_STATUSES:
            self._invalid(
                "status",
                status,
                f"The `status` query parameter value [{status}] is not one of "
                f"[{','.join(_LIST_STATUSES)}]",
            )
            return
        jobs = [
            j
            for j in sb._jobs.all(time.time())
            if j.type == kind and (status is None or j.status == status)
        ]
        jobs.reverse()  # most recent first
        payload: dict[str, Any] = {}
        if jobs:
            payload["data"] = [sb._job_json(j) for j in jobs]
        payload["meta"] = {"result_count": len(jobs)}
        self._send_json(200, payload)

    def _lookup(self) -> JobRecord | None:
        """The job named in the path, or None after answering 400/404."""
        sb = self.sandbox
        job_id = self._job_id or ""
        if not is_job_id(job_id):
            self._invalid(
                "id",
                job_id,
                f"The `id` path parameter value [{job_id}] does not match ^[0-9]{{1,19}}$",
            )
            return None
        job = sb._jobs.get(job_id, time.time())
        if job is None and sb.unknown_job == "200":  # as other v2 lookups answer
            self._send_json(200, {"errors": [problems.not_found_error(sb.problem_host, job_id)]})
        elif job is None:
            self._send_json(404, problems.not_found(sb.problem_host, job_id))
        return job

    def _api_get(self, expire_now: bool) -> None:
        self._discard_body()
        if not self._check_query({"compliance_job.fields"}):
            return
        job = self._lookup()
        if job is not None:
            self._send_json(200, {"data": self.sandbox._job_json(job)})

    def _api_cancel(self, expire_now: bool) -> None:
        self._discard_body()
        if not self._check_query(set()):
            return
        job = self._lookup()
        if job is None:
            return
        with self.sandbox._jobs.lock:
            if job.status in ("created", "in_progress"):
                job.status = "failed"
                job.error = CANCELLED_ERROR
        self._send_json(200, {"data": self.sandbox._job_json(job)})
