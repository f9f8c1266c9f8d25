"""What results mean for a row: which result line wins, the status labels, what is removed
and what is scrubbed. Written once; the eager and lazy check, ``apply_compliance``, the
JSON-lines rules, the command line's summary, the report and the charts all use it.

Which line wins, when X sends several for one ID: the most severe reason
(:data:`SEVERITY`, most severe first; a reason compliance_nb does not know ranks after
``bounced`` and before the geo scrubs), then the earliest ``redacted_at``.

A row's status (:func:`status_expr`), from its Tweet ID's result and, when a users job ran
beside the Tweets job, its author's:

1. the Tweet's own result, unless it is a geo scrub: its reason (``deleted``, ...);
2. else the author's result, unless a geo scrub: ``user_`` + reason (``user_suspended``);
3. else any geo scrub: ``geo_scrubbed``;
4. else ``available`` when the row has an ID that was checked; null when it has none.

With one kind only, the label is the plain reason (a users job gives ``deactivated``). A
result line without a reason is ``unknown``. Rows whose status is a removal (any label but
``available``, ``geo_scrubbed`` and null) are removed; ``geo_scrubbed`` rows lose their geo
data; ``compliant`` is True for ``available``, False for the others, null for none.

>>> severity("deleted") < severity("protected") < severity("whatever") < severity("scrub_geo")
True
>>> reason_label("scrub_geo", user=False), reason_label("protected", user=True)
('geo_scrubbed', 'user_protected')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw

__all__ = [
    "AVAILABLE",
    "GEO_REASONS",
    "GEO_SCRUBBED",
    "REASON_SEVERITY",
    "SEVERITY",
    "UNKNOWN",
    "UNKNOWN_SEVERITY",
    "USER_PREFIX",
    "Lookup",
    "compliant_expr",
    "is_geo",
    "label_expr",
    "reason_label",
    "removed_expr",
    "scrubbed_expr",
    "severity",
    "status_expr",
]

AVAILABLE = "available"
GEO_SCRUBBED = "geo_scrubbed"
#: The API has spelled the geo scrub both ways.
GEO_REASONS = ("scrub_geo", "geo_scrubbed")
#: The label of a result line that gives no reason.
UNKNOWN = "unknown"
#: Put before a reason from the users job when Tweets and their authors were checked.
USER_PREFIX = "user_"
#: Reasons, most severe first (the geo scrubs last, after any reason not listed).
SEVERITY = ("deleted", "suspended", "deactivated", "protected", "bounced")
#: A reason's rank (lower is more severe); see :func:`severity`.
REASON_SEVERITY: dict[str, int] = {
    **{reason: rank for rank, reason in enumerate(SEVERITY)},
    **dict.fromkeys(GEO_REASONS, len(SEVERITY) + 1),
}
#: The rank of a reason not in :data:`SEVERITY` (and of a missing one).
UNKNOWN_SEVERITY = len(SEVERITY)


def severity(reason: str | None) -> int:
    """The rank of ``reason`` in :data:`SEVERITY` (lower wins); unknown ones rank between
    ``bounced`` and the geo scrubs."""
    return REASON_SEVERITY.get(reason, UNKNOWN_SEVERITY) if reason else UNKNOWN_SEVERITY


def is_geo(reason: str | None) -> bool:
    """True for the geo scrub (``scrub_geo``, ``geo_scrubbed``)."""
    return reason in GEO_REASONS


def reason_label(reason: str | None, *, user: bool) -> str:
    """The status a result gives when it decides: its reason (``unknown`` if none), with
    ``user_`` before it for an author's result; ``geo_scrubbed`` for a geo scrub."""
    if is_geo(reason):
        return GEO_SCRUBBED
    return (USER_PREFIX if user else "") + (reason or UNKNOWN)


# -- the same rule as narwhals expressions (every engine narwhals speaks) -------------------


@dataclass(frozen=True)
class Lookup:
    """One kind's result for each row, as expressions: ``hit`` (there is a result line),
    ``reason`` (text, null for none) and, for the main kind, ``present`` (the row has an ID
    that was checked). ``label``: :func:`label_expr` of the reason, when it was worked out
    already (e.g. once per result rather than once per row)."""

    hit: Any
    reason: Any
    present: Any = None
    label: Any = None


def label_expr(reason: Any, *, user: bool) -> Any:
    """:func:`reason_label` as an expression on a text column of reasons.

    >>> import polars as pl
    >>> df = nw.from_native(pl.DataFrame({"r": ["scrub_geo", None, "deleted"]}))
    >>> df.select(label_expr(nw.col("r"), user=True).alias("r")).to_native()["r"].to_list()
    ['geo_scrubbed', 'user_unknown', 'user_deleted']
    """
    geo = reason.is_in(GEO_REASONS).fill_null(False)
    label = reason.fill_null(UNKNOWN)
    if user:
        label = nw.concat_str(nw.lit(USER_PREFIX), label)
    return nw.when(geo).then(nw.lit(GEO_SCRUBBED)).otherwise(label)


def status_expr(main: Lookup, user: Lookup | None = None, *, categorical: bool = False) -> Any:
    """Each row's status (text), by the rule of the module docstring.

    ``categorical=True`` makes the labels it writes itself (``available``,
    ``geo_scrubbed``) categorical, for engines with a categorical type: with labels
    given as categorical too (:attr:`Lookup.label`), no text is made per row.

    >>> import polars as pl
    >>> df = nw.from_native(pl.DataFrame({
    ...     "id": ["1", "2", None, "4", "5"],
    ...     "reason": ["deleted", "scrub_geo", None, None, None],
    ...     "user_reason": ["protected", "protected", "suspended", None, "scrub_geo"]}))
    >>> main = Lookup(~nw.col("reason").is_null(), nw.col("reason"), ~nw.col("id").is_null())
    >>> user = Lookup(~nw.col("user_reason").is_null(), nw.col("user_reason"))
    >>> df.select(status_expr(main, user).alias("s")).to_native()["s"].to_list()
    ['deleted', 'user_protected', 'user_suspended', 'available', 'geo_scrubbed']
    """
    dtype = nw.Categorical if categorical else nw.String

    def lit(value: str | None) -> Any:
        return nw.lit(value, dtype)

    m_hit = main.hit.fill_null(False)
    m_removal = m_hit & ~main.reason.is_in(GEO_REASONS).fill_null(False)
    m_label = label_expr(main.reason, user=False) if main.label is None else main.label
    status = nw.when(m_removal).then(m_label)
    any_hit = m_hit
    if user is not None:
        u_hit = user.hit.fill_null(False)
        u_removal = u_hit & ~user.reason.is_in(GEO_REASONS).fill_null(False)
        u_label = label_expr(user.reason, user=True) if user.label is None else user.label
        status = status.when(u_removal).then(u_label)
        any_hit = m_hit | u_hit
    present = nw.lit(True) if main.present is None else main.present.fill_null(False)
    return (
        status.when(any_hit)
        .then(lit(GEO_SCRUBBED))
        .when(present)
        .then(lit(AVAILABLE))
        .otherwise(lit(None))
    )


def compliant_expr(status: Any) -> Any:
    """``compliant`` from the status: True for ``available``, False for any other label,
    null where the status is null."""
    return nw.when(~status.is_null()).then(status == nw.lit(AVAILABLE))


def removed_expr(status: Any) -> Any:
    """True where the row must be removed (its status is a removal)."""
    return (~status.is_null() & ~status.is_in([AVAILABLE, GEO_SCRUBBED])).fill_null(False)


def scrubbed_expr(status: Any) -> Any:
    """True where the row keeps its place but loses its geo data."""
    return (status == nw.lit(GEO_SCRUBBED)).fill_null(False)
