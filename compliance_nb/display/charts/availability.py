"""The share still available by creation period, a decay curve: :func:`plot_availability`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from ..._exceptions import InputError
from ...rules.outcomes import AVAILABLE
from ..counting import outcomes
from ..palette import reason_color
from ..snowflake import snowflake_time
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

__all__ = ["plot_availability"]

TITLE = "Still available, by creation date"
#: the bars of the counts behind the curve: no reason's colour
_COUNT_COLOR = "#E6E6E6"


def creation_times(items: pl.DataFrame) -> pl.DataFrame:
    """When each item was created (``born``): read from its ID (a snowflake), else the
    result's ``created_at``; null only where neither gives a time. ``by_id``: read from
    the ID."""
    from_id = snowflake_time(items["id"])
    return pl.DataFrame(
        {
            "born": from_id.fill_null(items["created_at"]),
            "by_id": from_id.is_not_null(),
        }
    )


def plot_availability(
    df: Any,
    ax: Axes | None = None,
    id_column: str | None = None,
    freq: str = "auto",
    *,
    kind: str | None = None,
) -> Axes:
    """The share of items still available, over the date they were created (a decay curve).

    Each point is one creation period: the share of its distinct IDs still available
    (left axis); the grey bars behind are how many distinct IDs were checked in that
    period (right axis), so a share is read with its count at hand. The creation date is
    read from the ID itself (:func:`~compliance_nb.snowflake_time`), else taken from the
    result's ``created_at``; items with neither (IDs from before snowflakes that are still
    available) are counted in the legend as "no creation date". Periods with no items
    have no point, and periods holding such older IDs are hatched without a share: only
    their items with a result have a date there, so a share would understate what is
    still available. One kind is drawn: the run's main kind unless ``kind=`` says otherwise,
    named on the axes. Results from the sandbox are marked SIMULATED.

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot, constrained layout).
        The counts go on a twin Axes (``ax.twinx()``).
    id_column : str, optional
        The ID column; by default the one the run used, else ``"id"``.
    freq : {"auto", "day", "week", "month", "quarter", "year"}, default "auto"
        The span of creation dates each point covers (``"auto"``: as for
        :func:`plot_redaction_dates`, from the span).
    kind : {"tweets", "users"}, optional
        Which kind to draw when both were checked; by default the main kind.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the shares: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds, it has no ID column to
        date the items by, ``freq`` is not one of those above, or ``kind`` was not checked.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from matplotlib.figure import Figure
    >>> checked = pl.DataFrame({
    ...     "id": ["1265324480517361664", "1265324480517361665", "1265324480517361666"],
    ...     "compliance_reason": [None, "deleted", "suspended"],
    ...     "compliant": [True, False, False],
    ... })
    >>> ax = plot_availability(checked, Figure().subplots())
    >>> ax.get_title(), ax.get_ylabel()
    ('Still available, by creation date', 'share of distinct Tweet IDs still available')
    >>> [round(float(y), 3) for y in ax.lines[0].get_ydata()]  # one day: 1 of 3 available
    [0.333]
    """
    ax = new_axes(ax)
    kind, items = pick_kind(outcomes(df, id_column=id_column), kind)
    if items.is_empty():
        return nothing(ax, df, TITLE, "Nothing to plot: no items were checked.")
    if items["id"].null_count() == items.height:
        raise InputError(
            "plot_availability needs the ID column to date the items: pass id_column=."
        )
    dated = pl.concat(
        [items.select((pl.col("status") == AVAILABLE).alias("ok")), creation_times(items)],
        how="horizontal",
    )
    known = dated.filter(pl.col("born").is_not_null())
    unknown = dated.filter(pl.col("born").is_null())
    if known.is_empty():
        return nothing(
            ax, df, TITLE, f"Nothing to plot: none of the {unknown.height:,} items has a date."
        )
    starts, freq = period_bins(known["born"], freq)
    per_bin = (
        known.with_columns(starts.alias("bin"))
        .group_by("bin")
        .agg(
            pl.len().alias("n"),
            pl.col("ok").sum().alias("ok"),
            pl.col("by_id").all().alias("comparable"),
        )
        .with_columns(bin_end(pl.col("bin"), freq).alias("end"))
        .sort("bin")
    )
    start, end = per_bin["bin"].to_list(), per_bin["end"].to_list()
    width = [e - s for s, e in zip(start, end, strict=True)]
    middle = date_numbers([s + w / 2 for s, w in zip(start, width, strict=True)])
    n = per_bin["n"].to_list()
    # a period with IDs that carry no time (older ones) dates only those with a result:
    # the available ones of that time are missing, so its share would be too low
    comparable = per_bin["comparable"].to_list()
    shares = [
        ok / total if fair else float("nan")
        for ok, total, fair in zip(per_bin["ok"].to_list(), n, comparable, strict=True)
    ]

    counts_ax = ax.twinx()
    counts_ax.bar(
        date_numbers(start),
        n,
        width=[w * 0.9 for w in days(width)],
        align="edge",
        color=_COUNT_COLOR,
        label=f"distinct {kind_noun(kind)} checked (right; n = {known.height:,})",
    )
    counts_ax.set_ylabel(f"distinct {kind_noun(kind)} checked", wrap=True)
    count_axis(counts_ax, "y")
    ax.set_zorder(counts_ax.get_zorder() + 1)  # the curve in front of the bars
    ax.patch.set_visible(False)

    ax.plot(
        middle,
        shares,
        marker="o",
        markersize=3,
        linewidth=1.5,
        color=reason_color(AVAILABLE),
        label="share still available",
    )
    unfair = [i for i, fair in enumerate(comparable) if not fair]
    for i in unfair:
        ax.axvspan(
            *date_numbers([start[i], end[i]]),
            facecolor="none",
            edgecolor="#BBBBBB",
            hatch="///",
            linewidth=0,
            label=None
            if i != unfair[0]
            else "no share: older IDs, dated only when X gave a result",
        )
    from matplotlib.ticker import PercentFormatter

    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(f"share of distinct {kind_noun(kind)} still available")
    ax.set_xlabel(f"created (UTC; from the ID, else the result), per {period_words(freq)}")
    date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = counts_ax.get_legend_handles_labels()
    handles, labels = handles + more, labels + more_labels
    if not unknown.is_empty():
        from matplotlib.patches import Patch

        ok = int(unknown["ok"].sum())
        handles.append(Patch(visible=False))
        labels.append(
            f"no creation date: {unknown.height:,} ({ok / unknown.height:.0%} still available)"
        )
    ax.legend(handles, labels, fontsize="small", loc="best", framealpha=0.9)
    return finish(ax, df, TITLE)
