"""Masking of secrets for display: signed-URL signatures and bearer tokens.

Signed upload and download URLs are credentials until they expire. Anything that
shows a URL to a person (repr, HTML, logs, errors, widgets, CLI output) passes it
through :func:`mask_url` first.

>>> mask_url("https://h/p?X-Goog-Date=1&X-Goog-Signature=abcdef0123&upload_id=u1")
'https://h/p?X-Goog-Date=1&X-Goog-Signature=***&upload_id=***'
>>> mask_secret("AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid")
'AAAA…(41 chars)'
"""

from __future__ import annotations

import re

__all__ = ["SECRET_QUERY_KEYS", "mask_secret", "mask_text", "mask_url"]

#: Query parameters whose values are secret (compared case-insensitively).
SECRET_QUERY_KEYS = frozenset(
    {"x-goog-signature", "signature", "sig", "token", "upload_id", "x-amz-signature"}
)

_QUERY_PARAM = re.compile(r"(?P<sep>[?&])(?P<key>[^=&#\s]+)=(?P<value>[^&#\s\"'<>]*)")


def mask_url(url: str | None) -> str | None:
    """Return ``url`` with the values of secret query parameters replaced by ``***``."""
    if url is None:
        return None

    def repl(m: re.Match[str]) -> str:
        if m.group("key").lower() in SECRET_QUERY_KEYS:
            return f"{m.group('sep')}{m.group('key')}=***"
        return m.group(0)

    return _QUERY_PARAM.sub(repl, url)


def mask_text(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Mask signed-URL signatures in free text, and every literal secret given."""
    for s in secrets:
        if s:
            text = text.replace(s, mask_secret(s))
    return _QUERY_PARAM.sub(
        lambda m: (
            f"{m.group('sep')}{m.group('key')}=***"
            if m.group("key").lower() in SECRET_QUERY_KEYS
            else m.group(0)
        ),
        text,
    )


def mask_secret(secret: str | None) -> str:
    """Show only enough of a secret to recognise it: its first 4 characters and length."""
    if not secret:
        return "<none>"
    return f"{secret[:4]}…({len(secret)} chars)"
