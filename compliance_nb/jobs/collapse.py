"""Which result line wins when X reports an ID more than once: one row per ID.

X may list an ID on several lines (a Tweet deleted and then geo-scrubbed, a repeated
upload); the rule that picks one line per ID lives here and every path that reads
results calls it (the eager and the lazy joins, and the engine's spilled parts).

>>> import polars as pl
>>> from compliance_nb.jobs.results import RESULTS_SCHEMA
>>> df = pl.DataFrame({"id": ["7", "7", "8"], "action": ["delete"] * 3,
...     "reason": ["scrub_geo", "suspended", "deleted"], "created_at": [None] * 3,
...     "redacted_at": [None] * 3}, schema=RESULTS_SCHEMA)
>>> collapse_results(df).select("id", "reason").rows()
[('7', 'suspended'), ('8', 'deleted')]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..rules.outcomes import REASON_SEVERITY, UNKNOWN_SEVERITY
from .idset import repeated_values
from .results import RESULTS_SCHEMA

__all__ = ["collapse_results"]

_UTC = pl.Datetime("us", "UTC")


def _group_key(df: pl.DataFrame) -> pl.Series:
    """What lines are grouped by: the ID text, as a UInt64 when every ID is plain digits
    (numbers hash faster than text); the text itself
    otherwise, so IDs that differ only in their text are never merged. IDs that are
    numbers already (:func:`read_results_compact`) are used as they are."""
    if df.schema["id"].is_integer():
        return df.get_column("id")
    text = df.get_column("id").cast(pl.String)
    number = text.cast(pl.UInt64, strict=False)
    plain = number.null_count() == text.null_count() and not text.str.starts_with("0").any()
    return number if plain and not text.str.starts_with("+").any() else text


def _repeated(keys: pl.Series) -> pl.Series | None:
    """True where a key occurs more than once; None when none does.

    Number keys: :func:`~compliance_nb.jobs.idset.repeated_values` gives the few repeated
    values, then a membership test marks their rows. Text keys (rare) use
    ``is_duplicated``.

    >>> _repeated(pl.Series([5, 7, 5], dtype=pl.UInt64)).to_list()
    [True, False, True]
    """
    if not keys.dtype.is_integer():
        mask = keys.is_duplicated()
        return mask if mask.any() else None
    twice = repeated_values(keys.drop_nulls().to_numpy())
    if not len(twice):
        return None
    return keys.is_in(pl.Series(twice, dtype=keys.dtype).implode()).fill_null(False)


#: The collapsed frame's columns: ``id``, ``action`` and ``reason`` keep their types
#: (text, or the compact reader's UInt64 and Categorical), timestamps are UTC.
_KEEP_TYPES = [
    pl.col("id"),
    pl.col("action"),
    pl.col("reason"),
    pl.col("created_at").cast(_UTC),
    pl.col("redacted_at").cast(_UTC),
]


def collapse_results(df: pl.DataFrame) -> pl.DataFrame:
    """One row per ID, by the rule in docs/architecture.md.

    1. the most severe reason wins (``deleted`` > ``suspended`` > ``deactivated`` >
       ``protected`` > ``bounced`` > unknown reasons > ``scrub_geo``/``geo_scrubbed``);
    2. among lines with that reason, the earliest ``redacted_at`` (missing counts as latest);
    3. ``created_at`` is the earliest non-null one seen for the ID.

    IDs keep the order of their first line.

    >>> df = pl.DataFrame({"id": ["1", "1"], "action": ["delete"] * 2,
    ...     "reason": ["scrub_geo", "deleted"], "created_at": [None, None],
    ...     "redacted_at": [None, None]}, schema=RESULTS_SCHEMA)
    >>> collapse_results(df)["reason"].to_list()
    ['deleted']
    """
    if df.height == 0:
        return df.select(_KEEP_TYPES)
    severity = (
        pl.col("reason")
        .cast(pl.String)
        .replace_strict(REASON_SEVERITY, default=UNKNOWN_SEVERITY, return_dtype=pl.Int8)
        .fill_null(UNKNOWN_SEVERITY)  # a missing reason is one we do not know
        .alias("__severity")
    )
    ranked = df.with_row_index("__row").with_columns(_group_key(df).alias("__id"))
    repeated = _repeated(ranked.get_column("__id"))
    if repeated is None:  # one line per ID already: nothing to choose
        return df.select(_KEEP_TYPES)
    ranked = ranked.filter(repeated).with_columns(severity)
    first_seen = ranked.group_by("__id").agg(
        pl.col("__row").min().alias("__first"),
        pl.col("created_at").min().alias("__created"),
    )
    best = (
        ranked.sort(["__severity", "redacted_at", "__row"], nulls_last=True)
        .group_by("__id", maintain_order=True)
        .first()
        .select("__id", pl.col("__row").alias("__best"))
    )
    multi = (
        best.join(first_seen, on="__id").select("__best", "__first", "__created").sort("__first")
    )
    del ranked, best, first_seen
    # one row per ID, in first-seen order: every line of an ID seen once, and at the
    # place of a repeated ID's first line its chosen line, taken in one gather; then
    # that ID's earliest created_at (the repeated IDs are few)
    keep = ~repeated.to_numpy()
    first = multi.get_column("__first").to_numpy()
    keep[first] = True
    take = np.flatnonzero(keep)
    at = np.searchsorted(take, first)
    take[at] = multi.get_column("__best").to_numpy()
    rows = pl.Series(take)
    columns = {c: df.get_column(c).gather(rows) for c in RESULTS_SCHEMA}
    # a Series of its own from the gather: changed in place
    columns["created_at"].scatter(pl.Series(at), multi.get_column("__created"))
    return pl.DataFrame(list(columns.values())).select(_KEEP_TYPES)
