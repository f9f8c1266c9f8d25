"""Signed storage URLs shaped like Google Cloud Storage V4 signed URLs.

The query string carries the usual ``X-Goog-*`` parameters. ``X-Goog-Signature`` is an
HMAC-SHA256 (hex) keyed by a per-sandbox secret over the method, the path, the date, the
expiry, the signed header names and, when ``content-type`` is a signed header, the
Content-Type the request must carry::

    >>> signer = UrlSigner(b"secret")
    >>> url = signer.sign("http://h", "/storage/b/1/submission/a_1", method="PUT",
    ...                   expires=900, signed_headers="content-type;host",
    ...                   content_type="text/plain", date="20260101T000000Z")
    >>> from urllib.parse import urlsplit, parse_qs
    >>> query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    >>> signer.verify("/storage/b/1/submission/a_1", query, method="PUT",
    ...               content_type="text/plain")
    True
    >>> signer.verify("/storage/b/1/submission/a_1", query, method="PUT",
    ...               content_type="application/octet-stream")
    False

Expiry is not decided here: the server compares the clock with the job's windows.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["ALGORITHM", "CREDENTIAL", "UrlSigner"]

ALGORITHM = "GOOG4-HMAC-SHA256"
CREDENTIAL = "compliance-sandbox@compliance-nb-sandbox.iam.gserviceaccount.com"


class UrlSigner:
    """Signs and checks storage URLs with one secret key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(
        self,
        path: str,
        *,
        method: str,
        date: str,
        expires: str,
        signed_headers: str,
        content_type: str | None,
    ) -> str:
        typed = "content-type" in signed_headers.split(";")
        message = "\n".join(
            [
                method.upper(),
                path,
                date,
                expires,
                signed_headers,
                (content_type or "").strip().lower() if typed else "",
            ]
        )
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def sign(
        self,
        base_url: str,
        path: str,
        *,
        method: str,
        expires: int,
        signed_headers: str,
        content_type: str | None = None,
        date: str,
    ) -> str:
        """Return ``base_url + path`` with a V4-style signed query string."""
        credential = f"{CREDENTIAL}/{date[:8]}/auto/storage/goog4_request"
        signature = self._signature(
            path,
            method=method,
            date=date,
            expires=str(expires),
            signed_headers=signed_headers,
            content_type=content_type,
        )
        query = "&".join(
            [
                f"X-Goog-Algorithm={ALGORITHM}",
                f"X-Goog-Credential={quote(credential, safe='')}",
                f"X-Goog-Date={date}",
                f"X-Goog-Expires={expires}",
                f"X-Goog-SignedHeaders={quote(signed_headers, safe='')}",
                f"X-Goog-Signature={signature}",
            ]
        )
        return f"{base_url}{path}?{query}"

    def verify(
        self,
        path: str,
        query: Mapping[str, str],
        *,
        method: str,
        content_type: str | None,
    ) -> bool:
        """True when ``query`` holds a valid signature for this request."""
        try:
            expected = self._signature(
                path,
                method=method,
                date=query["X-Goog-Date"],
                expires=query["X-Goog-Expires"],
                signed_headers=query["X-Goog-SignedHeaders"],
                content_type=content_type,
            )
            given = query["X-Goog-Signature"]
        except KeyError:
            return False
        return query.get("X-Goog-Algorithm") == ALGORITHM and hmac.compare_digest(expected, given)
