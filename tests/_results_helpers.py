"""The collapse rule of result lines, written out in plain Python: the oracle that
collapse_results and RowResults are tested against."""

from __future__ import annotations

from datetime import datetime, timezone

#: Reasons, most severe first; None stands for any reason not listed (unknown).
ORDER = ["deleted", "suspended", "deactivated", "protected", "bounced", None, "scrub_geo"]

_EARLY = datetime(2020, 1, 1, tzinfo=timezone.utc)


def rank(reason: str | None) -> int:
    reason = "scrub_geo" if reason == "geo_scrubbed" else reason
    return ORDER.index(reason) if reason in ORDER else ORDER.index(None)  # None: unknown


def collapse_by_hand(rows: list[tuple]) -> list[tuple]:
    """Rows ``(id, action, reason, created_at, redacted_at)``: one per ID in first-seen
    order, the most severe reason, then the earliest redaction (missing: latest), then
    the first line; ``created_at`` the earliest one seen."""
    lines: dict[object, list[tuple[int, tuple]]] = {}
    for i, row in enumerate(rows):
        lines.setdefault(row[0], []).append((i, row))
    out = []
    for ident, group in lines.items():  # dicts keep first-seen order
        _, best = min(
            group,
            key=lambda e: (rank(e[1][2]), e[1][4] is None, e[1][4] or _EARLY, e[0]),
        )
        created = [r[3] for _, r in group if r[3] is not None]
        out.append((ident, best[1], best[2], min(created) if created else None, best[4]))
    return out
