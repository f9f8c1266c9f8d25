"""Redactions over time, stacked by reason: :func:`plot_redaction_dates`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from ...rules.outcomes import AVAILABLE
from ..counting import outcomes
from ..palette import order_statuses, reason_color
from .common import (
    bin_end,
    count_axis,
    date_axis,
    date_numbers,
    days,
    finish,
    kind_noun,
    new_axes,
    nothing,
    period_bins,
    period_words,
    pick_kind,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_redaction_dates"]

TITLE = "Redactions over time"


def plot_redaction_dates(
    df: Any, ax: Axes | None = None, freq: str = "auto", *, kind: str | None = None
) -> Axes:
    """Redactions over time (``redacted_at``), stacked by reason, for one kind.

    Binned by day, week, month, quarter or year (``freq="auto"`` picks from the span: up
    to two months by day, up to a year by week, up to five years by month, up to fifteen
    by quarter, else by year). Items without a ``redacted_at`` are left out (the API does
    not always give one). Counts are of distinct IDs of one kind: the run's main kind
    unless ``kind=`` says otherwise, named on the count axis. Results from the sandbox are
    marked SIMULATED (title and watermark).

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot, constrained layout).
    freq : {"auto", "day", "week", "month", "quarter", "year"}, default "auto"
        The width of each bar.
    kind : {"tweets", "users"}, optional
        Which kind's redactions to draw when both were checked; by default the main kind.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds, ``freq`` is not one of
        those above, or ``kind`` was not checked.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from matplotlib.figure import Figure
    >>> def utc(*day):
    ...     return datetime(*day, tzinfo=timezone.utc)
    >>> checked = pl.DataFrame({
    ...     "id": ["1265324480517361664", "1265324480517361665", "1265324480517361666"],
    ...     "compliance_reason": [None, "deleted", "suspended"],
    ...     "compliant": [True, False, False],
    ...     "compliance_created_at": [None, utc(2020, 5, 26), utc(2020, 5, 26)],
    ...     "compliance_redacted_at": [None, utc(2020, 6, 1), utc(2020, 6, 3)],
    ... })
    >>> ax = plot_redaction_dates(checked, Figure().subplots())
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('Redactions over time', 'redaction date (UTC), per day', 'distinct Tweet IDs redacted')
    >>> len(ax.patches)  # June 1 and 3, one bar each; no bar for the empty June 2
    2
    """
    ax = new_axes(ax)
    kind, items = pick_kind(outcomes(df), kind)
    redacted = (
        items.filter(pl.col("status") != AVAILABLE)
        .select("status", "redacted_at")
        .drop_nulls("redacted_at")
    )
    if redacted.is_empty():
        return nothing(ax, df, TITLE, "Nothing to plot: no item has a redaction date.")
    starts, freq = period_bins(redacted["redacted_at"], freq)
    counts = (
        redacted.with_columns(starts.alias("bin"))
        .group_by("bin", "status")
        .len()
        .with_columns(bin_end(pl.col("bin"), freq).alias("end"))
        .sort("bin")
    )
    totals = dict(counts.group_by("status").agg(pl.col("len").sum()).iter_rows())
    bottoms: dict[datetime, int] = {}
    for status in order_statuses(totals, totals):
        rows = counts.filter(pl.col("status") == status)
        start = rows["bin"].to_list()
        width = [e - s for s, e in zip(start, rows["end"].to_list(), strict=True)]
        heights = rows["len"].to_list()
        below = [bottoms.get(s, 0) for s in start]
        ax.bar(
            date_numbers(start),
            heights,
            width=[w * 0.9 for w in days(width)],
            bottom=below,
            align="edge",
            color=reason_color(status),
            label=f"{status} ({totals[status]:,})",
            edgecolor="#333333",
            linewidth=0.3,
        )
        for s, h, b in zip(start, heights, below, strict=True):
            bottoms[s] = b + h
    ax.set_xlabel(f"redaction date (UTC), per {period_words(freq)}")
    ax.set_ylabel(f"distinct {kind_noun(kind)} redacted")
    count_axis(ax, "y")
    ax.legend(
        title=f"reason (n = {redacted.height:,})",
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    date_axis(ax)
    return finish(ax, df, TITLE)
