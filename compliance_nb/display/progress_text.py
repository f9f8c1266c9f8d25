"""What both progress views say: stages, counts, sizes and durations as text.

The notebook panel (:mod:`.panel`) and the terminal lines (:mod:`.lines`) describe the same
events in the same words: each stage's text, a finished job's counts, a transfer's bytes,
a wait's duration. Every text passes through :func:`safe`, so nothing shown ever contains a
signed URL or a token (:func:`~compliance_nb._redact.mask_text`).

>>> counts_text({"checked": 10, "available": 9, "deleted": 1})
'checked 10 · still available 9 (90.0%) · needing action: deleted 1'
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .._redact import mask_text

__all__ = [
    "CANNOT_REACH",
    "COLLECTION_KEY",
    "COLLECTION_STAGES",
    "STAGE_TEXT",
    "WAITING_FOR",
    "clock_time",
    "counts_text",
    "error_text",
    "format_bytes",
    "format_duration",
    "row_title",
    "safe",
]


def format_bytes(n: float | None) -> str:
    """Bytes in decimal units, 3 significant digits.

    >>> format_bytes(12_345_678), format_bytes(40_000_000), format_bytes(512)
    ('12.3 MB', '40 MB', '512 B')
    """
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            if unit == "B":
                return f"{int(value)} B"
            text = f"{value:.3g}"
            return f"{text} {unit}"
        value /= 1000
    return f"{value:.3g} TB"  # pragma: no cover - unreachable


def format_duration(seconds: float | None) -> str:
    """A short human duration.

    >>> format_duration(42), format_duration(65), format_duration(3725)
    ('42 s', '1 min 05 s', '1 h 02 min')
    """
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def clock_time(t: float) -> str:
    """A clock time in UTC, ``"12:02:28 UTC"``."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S UTC")


def safe(text: Any) -> str:
    """``text`` as shown: masked, and ``""`` for None."""
    return mask_text(str(text)) if text is not None else ""


def error_text(error: BaseException) -> str:
    """An error as shown: ``"JobFailedError: the text"``, masked."""
    text = str(error) or type(error).__name__
    return safe(f"{type(error).__name__}: {text}")


def counts_text(counts: dict[str, int] | None) -> str:
    """'checked 1,000 · still available 900 (90.0%) · needing action: deleted 70, ...'."""
    if not counts:
        return ""
    checked = counts.get("checked")
    available = counts.get("available")
    parts = []
    if checked is not None:
        parts.append(f"checked {checked:,}")
    if available is not None:
        share = f" ({available / checked:.1%})" if checked else ""
        parts.append(f"still available {available:,}{share}")
    reasons = {k: v for k, v in counts.items() if k not in ("checked", "available")}
    if reasons:
        listed = ", ".join(
            f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        parts.append(f"needing action: {listed}")
    elif available is not None and checked is not None:
        parts.append("none needing action")
    return safe(" · ".join(parts))


def row_title(
    kind: str | None, job_id: str | None, name: str | None, part: int | None, parts: int | None
) -> str:
    """A job's title: ``"tweets · part 1/2 · job 42 · “name”"``."""
    bits = [kind or "job"]
    if parts and parts > 1 and part:
        bits.append(f"part {part}/{parts}")
    bits.append(f"job {job_id}" if job_id else "(job not created yet)")
    if name:
        bits.append(f"“{name}”")
    return safe(" · ".join(bits))


STAGE_TEXT = {
    "creating": "creating the job",
    "created": "job created",
    "reattached": "reattached to an existing job",
    "cached": "results reused from the local cache",
    "uploading": "uploading IDs",
    "uploaded": "upload finished; waiting for the job to be processed",
    "processing": "processing (on the API server)",
    "downloading": "downloading results",
    "downloaded": "results downloaded",
    "joined": "done: results joined",
    "waiting": "rate limit",
    "queued": "waiting for its turn",
    "retrying": "retrying",
    "failed": "failed",
    "cancelled": "cancelled",
}


#: a JSON-lines run's passes over its file: one "collection" row, not a job's
COLLECTION_STAGES = ("reading", "writing")
COLLECTION_KEY = ("collection", None)

#: a connection that could not be set up: the words up to the delay (api/session.py)
CANNOT_REACH = re.compile(r"^(cannot reach .*, retrying \(\d+ of \d+\)) in [^ ]+ s$")
WAITING_FOR = re.compile(r"^\s*rate limit: waiting [^ ]+ s for (.+?)\.?\s*$", re.IGNORECASE)
