"""Error bodies: the API's problem documents (JSON) and the storage service's XML errors.

>>> invalid_request("https://api.twitter.com", "type", "foo", "bad type")["type"]
'https://api.twitter.com/2/problems/invalid-request'
>>> storage_error("NoSuchKey", "The specified key does not exist.")[:26]
b'<?xml version="1.0" encodi'
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "conflict",
    "generic",
    "invalid_request",
    "not_found",
    "not_found_error",
    "storage_error",
    "too_many_requests",
    "transfer_problem",
    "unauthorized",
]


def unauthorized() -> dict[str, Any]:
    return {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def too_many_requests() -> dict[str, Any]:
    return {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


def generic(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def invalid_request(
    host: str, parameter: str | None, value: str | None, message: str
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if parameter is not None:
        error["parameters"] = {parameter: [value if value is not None else ""]}
    return {
        "errors": [error],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{host}/2/problems/invalid-request",
    }


def conflict(host: str, kind: str, blocking_id: str, blocking_status: str) -> dict[str, Any]:
    return {
        "title": "Conflict",
        "detail": (
            "You cannot create a new job if one is already in progress. "
            f"The {kind} job {blocking_id} is {blocking_status}."
        ),
        "type": f"{host}/2/problems/conflict",
        "status": 409,
    }


def not_found(host: str, job_id: str) -> dict[str, Any]:
    """The 404 problem for an unknown job."""
    return {**not_found_error(host, job_id), "status": 404}


def not_found_error(host: str, job_id: str) -> dict[str, Any]:
    """The ``resource-not-found`` error object for an unknown job, as v2 lookups put in
    the ``errors`` list of a 200 answer."""
    return {
        "value": job_id,
        "detail": f"Could not find compliance job with id: [{job_id}].",
        "title": "Not Found Error",
        "resource_type": "compliance_job",
        "parameter": "id",
        "resource_id": job_id,
        "type": f"{host}/2/problems/resource-not-found",
    }


_TRANSFER_PROBLEMS = {
    # storage code -> (status, title, problem name) on the API's own transfer routes
    "ExpiredToken": (403, "Forbidden", None),
    "SignatureDoesNotMatch": (403, "Forbidden", None),
    "NoSuchKey": (404, "Not Found Error", "resource-not-found"),
    "NoSuchUpload": (404, "Not Found Error", "resource-not-found"),
    "InvalidArgument": (400, "Invalid Request", "invalid-request"),
    "InvalidRange": (416, "Range Not Satisfiable", None),
}


def transfer_problem(host: str, status: int, code: str, detail: str) -> tuple[int, dict[str, Any]]:
    """The problem the API's upload and download routes answer where storage answers
    ``code``: ``(status, body)``.

    >>> transfer_problem("https://api.x.com", 400, "ExpiredToken", "The token has expired.")
    (403, {'title': 'Forbidden', 'detail': 'The token has expired.', 'type': 'about:blank', \
'status': 403})
    """
    status, title, name = _TRANSFER_PROBLEMS.get(code, (status, "Bad Request", None))
    kind = f"{host}/2/problems/{name}" if name else "about:blank"
    return status, {"title": title, "detail": detail, "type": kind, "status": status}


def storage_error(code: str, message: str, details: str | None = None) -> bytes:
    """A Google-Cloud-Storage-style XML error body."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>",
    ]
    if details:
        parts.append(f"<Details>{escape(details)}</Details>")
    parts.append("</Error>")
    return "".join(parts).encode()
