"""The upload and download URLs a job hands out, in either of the two shapes X may use.

``"storage"`` (the default, what X's docs show): Google-Cloud-Storage-style V4 signed URLs
under ``/storage/...``, signed by :class:`~._signing.UrlSigner`, used without credentials.

``"api"`` (the routes of OpenAPI v2.168): ``{base}/2/compliance/jobs/{id}/upload?token=...``
and ``{base}/2/compliance/jobs/{id}/download?token=...``, where ``token`` is a signed token
for that job and direction (an HMAC of the job ID and the direction under a per-sandbox key).

>>> urls = TransferUrls(b"secret", "api")
>>> up, down = urls.for_job("http://h", "tweets", "7", "1_7", resumable=False,
...                         created=0.0, upload_window=900, download_window=604800)
>>> up.split("?")[0], down.split("?")[0]
('http://h/2/compliance/jobs/7/upload', 'http://h/2/compliance/jobs/7/download')
>>> from urllib.parse import parse_qs, urlsplit
>>> token = parse_qs(urlsplit(up).query)["token"][0]
>>> urls.token_ok("7", "upload", token), urls.token_ok("7", "download", token)
(True, False)
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac

from ._signing import UrlSigner

__all__ = ["BUCKETS", "TRANSFER_URL_MODES", "TransferUrls"]

BUCKETS = {"tweets": "twttr-tweet-compliance", "users": "twttr-user-compliance"}
#: The shapes of the handed-out URLs: signed storage URLs, or the API host's own routes.
TRANSFER_URL_MODES = ("storage", "api")


class TransferUrls:
    """Builds a job's two URLs and checks the API routes' tokens (one secret key)."""

    def __init__(self, secret: bytes, mode: str = "storage") -> None:
        if mode not in TRANSFER_URL_MODES:
            raise ValueError(
                f"transfer_urls must be one of {', '.join(TRANSFER_URL_MODES)}, not {mode!r}"
            )
        self.mode = mode
        self._secret = secret
        self.signer = UrlSigner(secret)

    def token(self, job_id: str, direction: str) -> str:
        """The signed token of ``job_id``'s ``direction`` (``"upload"`` or ``"download"``)."""
        digest = hmac.new(
            self._secret, f"compliance-job-{direction}\n{job_id}".encode(), hashlib.sha256
        ).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def token_ok(self, job_id: str, direction: str, given: str | None) -> bool:
        """True when ``given`` is the token of this job and direction."""
        if not given:
            return False
        return hmac.compare_digest(self.token(job_id, direction).encode(), given.encode())

    def for_job(
        self,
        base: str,
        kind: str,
        job_id: str,
        obj: str,
        *,
        resumable: bool,
        created: float,
        upload_window: float,
        download_window: float,
    ) -> tuple[str, str]:
        """The job's ``(upload_url, download_url)`` under ``base``."""
        if self.mode == "api":
            jobs = f"{base}/2/compliance/jobs/{job_id}"
            return (
                f"{jobs}/upload?token={self.token(job_id, 'upload')}",
                f"{jobs}/download?token={self.token(job_id, 'download')}",
            )
        date = _dt.datetime.fromtimestamp(created, tz=_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        if resumable:
            upload_headers = "content-length;content-type;host;x-goog-resumable"
            upload_method = "POST"
        else:
            upload_headers, upload_method = "content-type;host", "PUT"
        upload_url = self.signer.sign(
            base,
            f"/storage/{BUCKETS[kind]}/{job_id}/submission/{obj}",
            method=upload_method,
            expires=max(1, round(upload_window)),
            signed_headers=upload_headers,
            content_type="text/plain",
            date=date,
        )
        download_url = self.signer.sign(
            base,
            f"/storage/{BUCKETS[kind]}/{job_id}/delivery/{obj}",
            method="GET",
            expires=max(1, round(download_window)),
            signed_headers="host",
            date=date,
        )
        return upload_url, download_url
