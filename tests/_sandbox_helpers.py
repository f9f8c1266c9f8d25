"""Helpers for the sandbox tests: plain ``requests`` calls against a running Sandbox.

Nothing here uses the compliance_nb client: the sandbox is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import requests

TEXT = {"Content-Type": "text/plain"}

#: Severity order of docs/architecture.md, most severe first ("other" = unknown reasons).
SEVERITY = ["deleted", "suspended", "deactivated", "protected", "bounced", "other", "scrub_geo"]


def auth(sb: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {sb.bearer_token}"}


def jobs_url(sb: Any, job_id: str | None = None) -> str:
    base = f"{sb.url}/2/compliance/jobs"
    return f"{base}/{job_id}" if job_id else base


def create(sb: Any, kind: str = "tweets", **body: Any) -> requests.Response:
    return requests.post(jobs_url(sb), json={"type": kind, **body}, headers=auth(sb), timeout=10)


def create_job(sb: Any, kind: str = "tweets", **body: Any) -> dict[str, Any]:
    response = create(sb, kind, **body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def get_job(sb: Any, job_id: str) -> dict[str, Any]:
    response = requests.get(jobs_url(sb, job_id), headers=auth(sb), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def upload(job: dict[str, Any], body: bytes | str) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.put(job["upload_url"], data=data, headers=TEXT, timeout=30)


def wait_status(sb: Any, job_id: str, leave: str = "in_progress", timeout: float = 20) -> dict:
    """Poll until the job's status is no longer ``leave``."""
    deadline = time.monotonic() + timeout
    while True:
        job = get_job(sb, job_id)
        if job["status"] != leave or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def run_job(sb: Any, ids: list[str], kind: str = "tweets") -> tuple[dict[str, Any], str]:
    """Create, upload, wait, download: the job as last seen and the results text."""
    job = create_job(sb, kind)
    assert upload(job, "\n".join(ids)).status_code == 200
    done = wait_status(sb, job["id"])
    assert done["status"] == "complete", done
    response = requests.get(job["download_url"], timeout=30)
    assert response.status_code == 200, response.text
    return done, response.text


def parse_time(text: str) -> dt.datetime:
    """Both timestamp forms the results use: ``...Z`` and ``...+00:00``."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def collapse(text: str) -> dict[str, dict[str, Any]]:
    """The collapse rule of docs/architecture.md, written out plainly for the tests."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for line in text.splitlines():
        if line.strip():
            record = json.loads(line)
            by_id.setdefault(record["id"], []).append(record)
    out = {}
    far_future = dt.datetime.max.replace(tzinfo=dt.timezone.utc)

    def rank(record: dict[str, Any]) -> int:
        reason = record["reason"]
        return SEVERITY.index(reason if reason in SEVERITY else "other")

    for id_, records in by_id.items():
        worst = min(rank(r) for r in records)
        candidates = [r for r in records if rank(r) == worst]
        best = min(
            candidates,
            key=lambda r: parse_time(r["redacted_at"]) if "redacted_at" in r else far_future,
        )
        created = min(parse_time(r["created_at"]) for r in records if r.get("created_at"))
        out[id_] = {
            "action": best["action"],
            "reason": best["reason"],
            "created_at": created,
            "redacted_at": parse_time(best["redacted_at"]) if "redacted_at" in best else None,
        }
    return out
