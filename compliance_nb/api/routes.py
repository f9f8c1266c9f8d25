"""X's four job routes, as calls on an :class:`~compliance_nb.api.session.ApiSession`.

``POST /2/compliance/jobs`` (create), ``GET /2/compliance/jobs`` (list),
``GET /2/compliance/jobs/:id`` (get) and ``DELETE /2/compliance/jobs/:id`` (cancel). Each
route has its own slot budget (X: 150 requests per 15 minutes per route and app).

Job creation is never retried blindly: the POST is not idempotent, so after a failure
whose answer may have been lost the job is looked up by its (unique) name first, and
the POST is sent again only when no such job exists.

>>> job_from_body({"data": {"id": "7", "type": "users", "status": "created"}}).id
'7'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._events import CancelToken, ProgressCallback, emit, job_event
from .._exceptions import APIError, InputError
from .job import Job
from .session import ApiSession

__all__ = [
    "JOBS_PATH",
    "LIST_STATUSES",
    "ROUTE_GET",
    "cancel_job",
    "create_job",
    "get_job",
    "job_from_body",
    "list_jobs",
]

JOBS_PATH = "/2/compliance/jobs"
ROUTE_CREATE = "POST /2/compliance/jobs"
ROUTE_LIST = "GET /2/compliance/jobs"
ROUTE_GET = "GET /2/compliance/jobs/:id"
ROUTE_CANCEL = "DELETE /2/compliance/jobs/:id"
#: the statuses the list route can filter on (not ``expired``)
LIST_STATUSES = ("created", "in_progress", "failed", "complete")
#: After a failed create, a job with our name created this recently is ours.
_CREATE_LOOKUP_WINDOW = 600.0


def job_from_body(body: Mapping[str, Any]) -> Job:
    """The job in the ``data`` of an answer; :class:`~compliance_nb.APIError` without one."""
    data = body.get("data")
    if not isinstance(data, dict) or "id" not in data:
        raise APIError("The API answered without a job object (no 'data').", body=body)
    return Job.from_api(data)


def create_job(
    api: ApiSession,
    kind: str,
    name: str,
    resumable: bool,
    progress: ProgressCallback | None,
) -> Job:
    """Create a job named ``name``; after a lost answer, find it by name before a new POST.

    Emits ``creating``, then ``created`` (or ``reattached`` for a job found by name);
    each retry emits ``retrying``.
    """
    payload: dict[str, Any] = {"type": kind, "name": name}
    if resumable:
        payload["resumable"] = True
    emit(progress, job_event("creating", None, kind=kind, job_name=name))
    attempt = 0
    started = api.clock()
    while True:
        try:
            body = api.request(
                "POST",
                JOBS_PATH,
                ROUTE_CREATE,
                json=payload,
                idempotent=False,
                progress=progress,
                kind=kind,
            )
            break
        except APIError as exc:
            if not getattr(exc, "transient", False) or attempt >= api.max_retries:
                raise
            attempt += 1
            api.pause(
                attempt, "creating the job failed; looking it up by name", progress, None, kind=kind
            )
            try:
                found = _find_created(api, kind, name, started)
            except APIError:
                # we cannot tell whether the job exists: a new POST could duplicate it
                raise exc from None
            if found is not None:
                message = "found the job created before the error"
                emit(progress, job_event("reattached", found, kind=kind, message=message))
                return found
    job = job_from_body(body)
    emit(progress, job_event("created", job, kind=kind))
    return job


def _find_created(api: ApiSession, kind: str, name: str, started: float) -> Job | None:
    """The job named ``name`` created since shortly before ``started``, if listed."""
    since = started - _CREATE_LOOKUP_WINDOW
    for job in list_jobs(api, kind):
        if job.name != name or job.status != "created":  # ours is new: not yet uploaded
            continue
        if job.created_at is None or job.created_at.timestamp() >= since:
            return job
    return None


def get_job(
    api: ApiSession,
    jid: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    kind: str | None = None,
) -> Job:
    """The job ``jid`` as the API describes it now."""
    path = f"{JOBS_PATH}/{jid}"
    body = api.request("GET", path, ROUTE_GET, progress=progress, cancel=cancel, kind=kind)
    return job_from_body(body)


def list_jobs(api: ApiSession, kind: str, status: str | None = None) -> list[Job]:
    """The app's recent jobs of ``kind``, only those with ``status`` when given."""
    params = {"type": kind}
    if status is not None:
        if status not in LIST_STATUSES:
            raise InputError(
                f"Unknown status filter {status!r}: use one of {', '.join(LIST_STATUSES)} "
                "(the API cannot filter on 'expired')."
            )
        params["status"] = status
    body = api.request("GET", JOBS_PATH, ROUTE_LIST, params=params, kind=kind)
    data = body.get("data") or []
    if isinstance(data, dict):
        data = [data]
    return [Job.from_api(item) for item in data if isinstance(item, dict) and "id" in item]


def cancel_job(api: ApiSession, jid: str) -> Job:
    """Cancel the job ``jid``; the API answers with the job, now ``failed``."""
    return job_from_body(api.request("DELETE", f"{JOBS_PATH}/{jid}", ROUTE_CANCEL))
