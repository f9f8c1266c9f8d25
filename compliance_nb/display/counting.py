"""What the report and the charts count, counted once: one row per distinct ID per kind.

:func:`outcomes` turns a checked frame (fresh, or saved and read back) into one polars
frame per kind checked, one row per distinct ID that was sent, with its status; the report
(:mod:`compliance_nb.display.report`) and every chart (:mod:`compliance_nb.display.charts`)
count from it, so their numbers agree. :func:`lag_days` and :func:`quartiles` are the time
from creation to redaction both show.

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1", "2", "2", None],
...     "compliance_reason": [None, "deleted", "deleted", None],
...     "compliant": [True, False, False, None]})
>>> outcomes(df)["tweets"]["status"].to_list()  # ID 2 once; the null ID was never sent
['available', 'deleted']
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .._dataframes import as_frame
from .._exceptions import InputError
from ..jobs.runinfo import RunInfo, recall
from ..rules.outcomes import AVAILABLE, label_expr
from .checked import checked_columns

__all__ = ["days_text", "kind_prefix", "lag_days", "outcomes", "quartiles"]


def kind_prefix(info: RunInfo | None) -> str:
    """The column prefix of the run (``compliance_`` unless the run chose another)."""
    return info.prefix if info is not None else "compliance_"


def _compliant_name(columns: list[str], prefix: str) -> str | None:
    """The ``compliant`` column under ``prefix`` (its short name only with the default)."""
    name = "compliant" if prefix == "compliance_" else f"{prefix}compliant"
    return name if name in columns else None


def _kinds(columns: list[str], info: RunInfo | None, prefix: str) -> dict[str, str]:
    """kind -> the column prefix holding its results."""
    kinds: dict[str, str] = {}
    if f"{prefix}reason" in columns:
        primary = info.kinds[0] if info is not None and info.kinds else "tweets"
        kinds[primary] = prefix
    if f"user_{prefix}reason" in columns:
        kinds["users"] = f"user_{prefix}"
    return kinds


def outcomes(
    df: Any, *, id_column: str | None = None, user_id_column: str | None = None
) -> dict[str, pl.DataFrame]:
    """One polars frame per kind checked, one row per distinct ID.

    Columns: ``id`` (String, or null when the frame has no ID column), ``status``
    (``"available"`` or the reason, ``scrub_geo`` shown as ``geo_scrubbed``),
    ``created_at`` and ``redacted_at`` (from the results, UTC).

    Raises
    ------
    InputError
        The frame has none of the columns ``check_compliance`` adds.
    """
    wrapped = nw.from_native(df, pass_through=True)
    if not isinstance(wrapped, (nw.DataFrame, nw.LazyFrame)):
        as_frame(df)  # raises the error that says what to pass
    columns = list(wrapped.columns)
    info = recall(df)
    prefix = kind_prefix(info)
    kinds = _kinds(columns, info, prefix)
    if not kinds:
        raise InputError(
            f"this frame has no '{prefix}reason' column: pass the frame that "
            "check_compliance returned (or set prefix= as you did there)."
        )
    id_columns: dict[str, str | None] = {}
    roles: dict[str, str] = {}
    for kind, pre in kinds.items():
        if pre.startswith("user_") and kind == "users" and len(kinds) > 1:
            ids = user_id_column or (info.user_id_column if info is not None else None)
        else:
            ids = id_column or (info.id_column if info is not None else None) or "id"
        id_columns[kind] = ids if ids in columns else None
        if id_columns[kind]:
            roles[ids] = "id"  # type: ignore[index]
        roles.update({f"{pre}action": "text", f"{pre}reason": "text"})
        roles.update({f"{pre}created_at": "time", f"{pre}redacted_at": "time"})
    compliant_column = _compliant_name(columns, prefix)
    if compliant_column:
        roles[compliant_column] = "flag"
    # the one place a reloaded frame's columns get their types back (display/checked.py)
    frame = checked_columns(df, roles)
    columns = frame.columns
    out: dict[str, pl.DataFrame] = {}
    for kind, pre in kinds.items():
        ids = id_columns[kind]
        exprs = [
            (pl.col(ids).cast(pl.String) if ids else pl.lit(None, pl.String)).alias("id"),
            pl.col(f"{pre}reason").cast(pl.String).alias("reason"),
        ]
        for name in ("created_at", "redacted_at"):
            col = f"{pre}{name}"
            exprs.append(
                (pl.col(col) if col in columns else pl.lit(None))
                .cast(pl.Datetime("us", "UTC"))
                .alias(name)
            )
        # checked: the row's ID was sent (the run's "compliant" is null where it was not;
        # note that with users it also says False for a Tweet whose author needs action,
        # so each kind's own result columns decide what is available)
        compliant = _compliant_name(columns, prefix) if pre == prefix else None
        sent = pl.col(compliant).is_not_null() if compliant else pl.lit(True)
        if ids:
            sent = sent & pl.col(ids).is_not_null()
        action = f"{pre}action"
        hit = pl.col(f"{pre}reason").is_not_null()
        if action in columns:
            hit = hit | pl.col(action).is_not_null()
        exprs.append(pl.when(sent).then(~hit).otherwise(None).alias("_ok"))
        items = frame.select(exprs).filter(pl.col("_ok").is_not_null())
        if ids:
            items = items.filter(pl.col("id").is_not_null()).unique(
                "id", keep="first", maintain_order=True
            )
        status = (
            nw.when(nw.col("_ok"))
            .then(nw.lit(AVAILABLE))
            .otherwise(label_expr(nw.col("reason"), user=False))
        )
        out[kind] = (
            nw.from_native(items)
            .select("id", status.alias("status"), "created_at", "redacted_at")
            .to_native()
        )
    return out


def quartiles(lag_days: pl.Series) -> tuple[float, float, float] | None:
    """The quartiles of ``lag_days`` (nulls left out); None when there is none.

    >>> quartiles(pl.Series([1.0, 2.0, 3.0, 4.0, 5.0]))
    (2.0, 3.0, 4.0)
    """
    lag_days = lag_days.drop_nulls()
    if lag_days.is_empty():
        return None
    q = [lag_days.quantile(p, interpolation="linear") for p in (0.25, 0.5, 0.75)]
    return (float(q[0]), float(q[1]), float(q[2]))  # type: ignore[arg-type]


def lag_days(items: pl.DataFrame) -> pl.Series:
    """Days from creation to redaction for the items with both dates."""
    both = items.filter(pl.col("created_at").is_not_null() & pl.col("redacted_at").is_not_null())
    return both.select(
        ((pl.col("redacted_at") - pl.col("created_at")).dt.total_milliseconds() / 86_400_000).alias(
            "lag_days"
        )
    ).to_series()


def days_text(x: float) -> str:
    """A number of days as the report and the charts write it.

    >>> days_text(1340.6), days_text(2.25)
    ('1,341', '2.2')
    """
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}"
