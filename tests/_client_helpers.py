"""Helpers for the client tests: a fake clock, API job bodies, a client factory."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from compliance_nb.api.client import ComplianceClient

TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecretTOKEN%2Fvalue1234567890"
API = "https://api.test.example"
JOBS = f"{API}/2/compliance/jobs"
UPLOAD_URL = (
    "https://storage.test.example/bucket/123/submission/x?X-Goog-Algorithm=GOOG4-RSA-SHA256"
    "&X-Goog-Expires=900&X-Goog-SignedHeaders=content-type%3Bhost&X-Goog-Signature=UPSIGsecret"
)
DOWNLOAD_URL = (
    "https://storage.test.example/bucket/123/delivery/x?X-Goog-Algorithm=GOOG4-RSA-SHA256"
    "&X-Goog-Expires=604800&X-Goog-Signature=DOWNSIGsecret"
)


class FakeClock:
    """Wall-clock seconds that move only when ``sleep`` is called."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def job_body(
    job_id: str = "1425543269983784962",
    *,
    kind: str = "tweets",
    status: str = "created",
    name: str | None = None,
    resumable: bool = False,
    created: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ComplianceJob object as the API sends it (timestamps relative to now)."""
    created = created or datetime.now(timezone.utc) - timedelta(seconds=5)
    body: dict[str, Any] = {
        "id": job_id,
        "type": kind,
        "status": status,
        "resumable": resumable,
        "created_at": iso(created),
        "upload_url": UPLOAD_URL,
        "upload_expires_at": iso(created + timedelta(minutes=15)),
        "download_url": DOWNLOAD_URL,
        "download_expires_at": iso(created + timedelta(days=7)),
    }
    if name is not None:
        body["name"] = name
    body.update(extra)
    return body


def make_client(clock: FakeClock | None = None, **kw: Any) -> ComplianceClient:
    """A client for the fake API host whose sleeps only advance ``clock``."""
    clock = clock or FakeClock()
    kw.setdefault("bearer_token", TOKEN)
    kw.setdefault("base_url", API)
    kw.setdefault("backoff", 0.5)
    return ComplianceClient(sleep=clock.sleep, clock=clock.time, **kw)


def all_text(exc: BaseException) -> str:
    """Everything a user could see of an exception: str, repr and its attributes."""
    parts = [str(exc), repr(exc)]
    parts.extend(repr(v) for v in vars(exc).values())
    return "\n".join(parts)
