"""What :func:`apply_compliance_jsonl` did: :class:`JsonlSummary`, readable with ``print``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JsonlSummary"]

#: Where an object sits in its line, in the order the summary lists them.
_PLACES = ("data", "includes", "inlined")


@dataclass
class JsonlSummary:
    """What :func:`apply_compliance_jsonl` did. ``str(summary)`` is a readable report.

    Attributes
    ----------
    source, destination
        the paths.
    lines_read
        non-blank lines read; ``layouts``: how many of them were pages and
        how many one Tweet per line.
    lines_written, lines_dropped
        lines in the copy; lines left out because nothing
        was left in them (plus blank lines, counted in ``blank_lines``).
    lines_skipped
        malformed lines left out (``errors="skip"``); ``skipped`` holds
        the first few as ``{line_number: message}``.
    tweets_read, users_read
        distinct IDs found (and checked).
    tweets_flagged, users_flagged
        distinct IDs with a result.
    tweets_removed, users_removed
        objects removed, ``{place: {reason: count}}``,
        place one of ``data``, ``includes``, ``inlined``; a Tweet removed because
        of its author has reason ``user_<reason>`` (as in ``compliance_status``), a
        retweet of a removed Tweet ``retweeted_<reason>``.
    geo_scrubbed
        Tweets whose ``geo`` was removed, ``{place: count}``.
    references_stripped
        inlined copies of removed objects cut back to their ID.
    includes_dropped
        ``includes`` entries (``places``, ``media``, ``polls``) that
        no remaining Tweet referred to.
    tweets_without_author
        kept Tweet objects that name no author (no
        ``author_id``, no inlined ``author``): their author could not be checked.
    jobs
        job IDs used per kind; ``from_cache``: kinds answered from stored results.
    """

    source: str
    destination: str
    lines_read: int = 0
    lines_written: int = 0
    lines_dropped: int = 0
    lines_skipped: int = 0
    blank_lines: int = 0
    layouts: dict[str, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    tweets_read: int = 0
    users_read: int = 0
    tweets_flagged: int = 0
    users_flagged: int = 0
    tweets_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    users_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    geo_scrubbed: dict[str, int] = field(default_factory=dict)
    references_stripped: int = 0
    includes_dropped: dict[str, int] = field(default_factory=dict)
    tweets_without_author: int = 0
    jobs: dict[str, list[str]] = field(default_factory=dict)
    from_cache: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (line numbers as strings in ``skipped``)."""
        out = dataclasses.asdict(self)
        out["skipped"] = {str(k): v for k, v in self.skipped.items()}
        return out

    def __str__(self) -> str:
        def table(title: str, counts: Mapping[str, Any]) -> list[str]:
            total = sum(v if isinstance(v, int) else sum(v.values()) for v in counts.values())
            rows = [f"  {title + ':':<16}{total:>10,}"]
            for place in _PLACES:
                value = counts.get(place)
                if not value:
                    continue
                if isinstance(value, dict):
                    reasons = sorted(value.items(), key=_by_count)
                    detail = ", ".join(f"{reason} {n:,}" for reason, n in reasons)
                    rows.append(f"    {'in ' + place:<14}{sum(value.values()):>10,}  {detail}")
                else:
                    rows.append(f"    {'in ' + place:<14}{value:>10,}")
            return rows

        layouts = ", ".join(f"{n:,} {name}" for name, n in sorted(self.layouts.items()))
        lines = [
            f"Compliant copy: {self.source} -> {self.destination}",
            f"  {'lines read:':<16}{self.lines_read:>10,}  ({layouts or 'none'})",
            f"  {'lines written:':<16}{self.lines_written:>10,}",
            f"  {'lines dropped:':<16}{self.lines_dropped:>10,}  (nothing left in them)",
            f"  {'Tweets checked:':<16}{self.tweets_read:>10,}  "
            f"({self.tweets_flagged:,} distinct IDs need action)",
            f"  {'users checked:':<16}{self.users_read:>10,}  "
            f"({self.users_flagged:,} distinct IDs need action)",
            *table("Tweets removed", self.tweets_removed),
            *table("users removed", self.users_removed),
            *table("geo scrubbed", self.geo_scrubbed),
        ]
        if self.references_stripped:
            lines.append(
                f"  {'cut to IDs:':<16}{self.references_stripped:>10,}  "
                "(inlined copies of removed objects)"
            )
        if self.includes_dropped:
            dropped = ", ".join(f"{k} {v:,}" for k, v in sorted(self.includes_dropped.items()))
            lines.append(
                f"  {'includes gone:':<16}{sum(self.includes_dropped.values()):>10,}  "
                f"({dropped}; no Tweet left refers to them)"
            )
        if self.tweets_without_author:
            lines.append(
                f"  NOTE:{self.tweets_without_author:>21,}  kept Tweets name no author "
                "(no author_id): their authors were not checked; collect with author_id"
            )
        if self.lines_skipped:
            shown = ", ".join(str(n) for n in list(self.skipped)[:10])
            more = ", ..." if self.lines_skipped > 10 else ""
            lines.append(
                f"  SKIPPED:{self.lines_skipped:>18,}  malformed line(s), left out of the "
                f"copy: line {shown}{more}"
            )
            lines.extend(
                f"    line {number}: {message}"
                for number, message in list(self.skipped.items())[:3]
            )
        for kind, ids in self.jobs.items():
            stored = " (stored results reused)" if kind in self.from_cache else ""
            lines.append(f"  {kind + ' jobs:':<16}{', '.join(ids) or '-':>10}{stored}")
        return "\n".join(lines)


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])
