"""Charts of a compliance run (matplotlib, object-oriented).

Each function takes the frame ``check_compliance`` returned (pandas or polars) and an
optional ``ax``; it draws on that Axes (or on a new figure's) and returns it. Nothing here
calls ``plt.show()`` or touches pyplot's current figure.

Colours are fixed per outcome across every chart, from the colour-blind-safe Okabe–Ito
palette: ``REASON_COLORS``.

Counts are of distinct IDs (see :func:`compliance_nb.display.report.outcomes`).

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1265324480517361664", "1265324480517361665"],
...                    "compliance_reason": ["deleted", None], "compliant": [False, True]})
>>> ax = plot_reasons(df)
>>> [t.get_text() for t in ax.get_yticklabels()]
['available 1 (50.0%)', 'deleted 1 (50.0%)']
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

import polars as pl

from .._exceptions import InputError
from ..rules.outcomes import AVAILABLE, USER_PREFIX, reason_label
from .report import lag_days, outcomes
from .snowflake import snowflake_time

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "REASON_COLORS",
    "plot_availability",
    "plot_reasons",
    "plot_redaction_dates",
    "plot_redaction_lag",
    "reason_color",
]

#: One colour per outcome (Okabe & Ito 2008), the same in every chart.
REASON_COLORS: dict[str, str] = {
    AVAILABLE: "#009E73",  # bluish green
    "deleted": "#D55E00",  # vermillion
    "suspended": "#CC79A7",  # reddish purple
    "protected": "#0072B2",  # blue
    "deactivated": "#E69F00",  # orange
    "bounced": "#F0E442",  # yellow
    "geo_scrubbed": "#56B4E9",  # sky blue
    "unknown": "#999999",  # grey
}
_EXTRA_COLORS = ("#000000", "#666666", "#BBBBBB", "#444444", "#888888")
UNKNOWN_DATE = "unknown date"
_FREQS = {"day": "1d", "week": "1w", "month": "1mo"}
_LABEL_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}


def _integer_ticks(axis: Any) -> None:
    """Counts of items are whole numbers: no 2.5 on a count axis."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def reason_color(reason: str) -> str:
    """The colour of an outcome; reasons the API may add later get stable greys.

    >>> reason_color("deleted") == reason_color("user_deleted") == "#D55E00"
    True
    """
    base = reason_label(reason.removeprefix(USER_PREFIX), user=False)
    if base in REASON_COLORS:
        return REASON_COLORS[base]
    return _EXTRA_COLORS[sum(base.encode()) % len(_EXTRA_COLORS)]


def _order(statuses: list[str], counts: dict[str, int] | None = None) -> list[str]:
    """available first, then by count (largest first), then by name."""
    counts = counts or {}
    rest = sorted(
        (s for s in set(statuses) if s != AVAILABLE), key=lambda s: (-counts.get(s, 0), s)
    )
    return ([AVAILABLE] if AVAILABLE in statuses else []) + rest


def _new_ax(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(8, 4.5))
    return new


def _nothing(ax: Axes, title: str, message: str) -> Axes:
    ax.set_title(title)
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        wrap=True,
        color="#555555",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _items(df: Any, id_column: str | None = None) -> dict[str, pl.DataFrame]:
    return outcomes(df, id_column=id_column)


def _pick_freq(start: datetime, end: datetime, freq: str) -> str:
    if freq != "auto":
        if freq not in _FREQS:
            raise InputError(f"freq={freq!r}: use 'auto', 'day', 'week' or 'month'.")
        return freq
    span = end - start
    if span <= timedelta(days=62):
        return "day"
    if span <= timedelta(days=730):
        return "week"
    return "month"


def _bins(times: pl.Series, freq: str) -> tuple[pl.Series, list[datetime], str]:
    """(bin start per value, every bin start from first to last, resolved freq)."""
    present = times.drop_nulls()
    freq = _pick_freq(present.min(), present.max(), freq)  # type: ignore[arg-type]
    binned = times.dt.truncate(_FREQS[freq])
    lo, hi = cast(datetime, binned.min()), cast(datetime, binned.max())
    every = pl.datetime_range(lo, hi, _FREQS[freq], eager=True, time_zone="UTC")
    return binned, cast(pl.Series, every).to_list(), freq


# -- reasons ---------------------------------------------------------------------------------


def plot_reasons(
    df: Any,
    ax: Axes | None = None,
    *,
    include_available: bool = True,
    id_column: str | None = None,
) -> Axes:
    """Horizontal bars: how many items per outcome, labelled with counts and shares.

    Labels read like ``"deleted 1,234 (5.1%)"``; shares are of all items checked of that
    kind. With user columns (``user_id_column=`` in the run), Tweets and users get one
    group each, labelled ``"tweets: deleted ..."``.

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot).
    include_available : bool, default True
        Also draw a bar for the items still available.
    id_column : str, optional
        The ID column; by default the one the run used, else ``"id"``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds.

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
    >>> ax = plot_reasons(checked, Figure().subplots())
    >>> len(ax.patches), ax.get_title()
    (3, 'Compliance outcome per reason')
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['available 1 (33.3%)', 'deleted 1 (33.3%)', 'suspended 1 (33.3%)']
    """
    ax = _new_ax(ax)
    title = "Compliance outcome per reason"
    per_kind = _items(df, id_column)
    labels: list[str] = []
    widths: list[int] = []
    colors: list[str] = []
    for kind, items in per_kind.items():
        counts = dict(items.group_by("status").len().iter_rows())
        total = items.height
        for status in _order(list(counts), counts):
            if status == AVAILABLE and not include_available:
                continue
            n = counts[status]
            text = f"{status} {n:,} ({n / total:.1%})"
            labels.append(f"{kind}: {text}" if len(per_kind) > 1 else text)
            widths.append(n)
            colors.append(reason_color(status))
    if not widths:
        return _nothing(ax, title, "Nothing to plot: no items were checked.")
    positions = list(range(len(widths)))
    ax.barh(positions, widths, color=colors, edgecolor="#333333", linewidth=0.5)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # first label at the top
    ax.set_xlabel("items (distinct IDs)")
    _integer_ticks(ax.xaxis)
    ax.set_title(title)
    ax.margins(x=0.05)
    return ax


# -- redactions over time -----------------------------------------------------------------


def _stacked_bars(
    ax: Axes,
    x: list[Any],
    table: dict[str, list[float]],
    width: Any,
    align: Literal["center", "edge"] = "center",
) -> None:
    bottom = [0.0] * len(x)
    for status, heights in table.items():
        ax.bar(
            x,
            heights,
            width=width,
            bottom=bottom,
            color=reason_color(status),
            label=status,
            align=align,
            edgecolor="#333333",
            linewidth=0.3,
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]


def plot_redaction_dates(df: Any, ax: Axes | None = None, freq: str = "auto") -> Axes:
    """Redactions over time (``redacted_at``), stacked by reason.

    Binned by day, week or month (``freq="auto"`` picks from the span: up to two months
    by day, up to two years by week, else by month). Items without a ``redacted_at`` are
    left out (the API does not always give one). When Tweets and users were both checked,
    both are counted, stacked by reason.

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot).
    freq : {"auto", "day", "week", "month"}, default "auto"
        The width of each bar.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds, or ``freq`` is not one
        of those above.

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
    >>> ax.get_title(), ax.get_xlabel()
    ('Redactions over time', 'redaction date (UTC), per day')
    >>> len(ax.patches)  # June 1 to 3, one bar a day for each of the two reasons
    6
    """
    ax = _new_ax(ax)
    title = "Redactions over time"
    per_kind = _items(df)
    frames = [
        items.filter(pl.col("status") != AVAILABLE).select("status", "redacted_at")
        for items in per_kind.values()
    ]
    redacted = pl.concat(frames).drop_nulls("redacted_at") if frames else pl.DataFrame()
    if redacted.is_empty():
        return _nothing(ax, title, "Nothing to plot: no item has a redaction date.")
    binned, every, freq = _bins(redacted["redacted_at"], freq)
    counts = (
        redacted.with_columns(binned.alias("bin"))
        .group_by("bin", "status")
        .len()
        .pivot(on="status", index="bin", values="len")
    )
    by_bin = {row["bin"]: row for row in counts.iter_rows(named=True)}
    statuses = _order([c for c in counts.columns if c != "bin"], _totals(counts))
    table = {s: [float(by_bin.get(b, {}).get(s) or 0) for b in every] for s in statuses}
    x = [b.replace(tzinfo=None) for b in every]
    width = {"day": 1.0, "week": 7.0, "month": 30.0}[freq] * 0.9
    _stacked_bars(ax, x, table, width=timedelta(days=width), align="edge")
    ax.set_title(title)
    ax.set_xlabel(f"redaction date (UTC), per {freq}")
    ax.set_ylabel("items redacted")
    _integer_ticks(ax.yaxis)
    ax.legend(title="reason", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def _totals(pivot: pl.DataFrame) -> dict[str, int]:
    return {c: int(pivot[c].fill_null(0).sum()) for c in pivot.columns if c != "bin"}


# -- availability by creation date ------------------------------------------------------


def plot_availability(
    df: Any,
    ax: Axes | None = None,
    id_column: str | None = None,
    relative: bool = False,
    freq: str = "auto",
) -> Axes:
    """Items still available and per reason, over the date each item was created.

    The creation date is read from the ID itself (:func:`~compliance_nb.snowflake_time`),
    so available items are placed in time too. IDs from before snowflakes (Tweets before
    November 2010, most users before 2013) carry no date: they form an ``"unknown
    date"`` bar at the right rather than a wrong date. With ``user_id_column=`` runs, this
    shows the main kind (the IDs in ``id_column``).

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot).
    id_column : str, optional
        The ID column; by default the one the run used, else ``"id"``.
    relative : bool, default False
        Draw each bar's shares (the stacks sum to 1) instead of counts.
    freq : {"auto", "day", "week", "month"}, default "auto"
        The span of creation dates each bar covers (``"auto"``: as for
        :func:`plot_redaction_dates`).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds, it has no ID column to
        date the items by, or ``freq`` is not one of those above.

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
    >>> ax = plot_availability(checked, Figure().subplots())
    >>> ax.get_title(), [label.get_text() for label in ax.get_xticklabels()]
    ('Availability by creation date', ['2020-05-26'])
    >>> len(ax.patches)  # one day, stacked: available, deleted, suspended
    3
    """
    ax = _new_ax(ax)
    title = "Availability by creation date" + (" (shares)" if relative else "")
    per_kind = _items(df, id_column)
    kind, items = next(iter(per_kind.items()))
    if items.is_empty():
        return _nothing(ax, title, "Nothing to plot: no items were checked.")
    if items["id"].null_count() == items.height:
        raise InputError(
            "plot_availability needs the ID column to date the items: pass id_column=."
        )
    created = snowflake_time(items["id"])
    dated = items.with_columns(created.alias("born"))
    known = dated.filter(pl.col("born").is_not_null())
    unknown = dated.filter(pl.col("born").is_null())
    labels: list[str] = []
    table_rows: list[dict[str, int]] = []
    if not known.is_empty():
        binned, every, freq = _bins(known["born"], freq)
        counts = (
            known.with_columns(binned.alias("bin"))
            .group_by("bin", "status")
            .len()
            .pivot(on="status", index="bin", values="len")
        )
        by_bin = {row.pop("bin"): row for row in counts.iter_rows(named=True)}
        fmt = _LABEL_FORMATS[freq]
        for b in every:
            labels.append(b.strftime(fmt))
            table_rows.append({k: int(v or 0) for k, v in by_bin.get(b, {}).items()})
    if not unknown.is_empty():
        labels.append(UNKNOWN_DATE)
        table_rows.append(dict(unknown.group_by("status").len().iter_rows()))
    totals: dict[str, int] = {}
    for row in table_rows:
        for k, v in row.items():
            totals[k] = totals.get(k, 0) + v
    statuses = _order(list(totals), totals)
    table: dict[str, list[float]] = {}
    for s in statuses:
        heights = [float(row.get(s, 0)) for row in table_rows]
        if relative:
            heights = [
                h / sum(row.values()) if sum(row.values()) else 0.0
                for h, row in zip(heights, table_rows, strict=True)
            ]
        table[s] = heights
    x = list(range(len(labels)))
    _stacked_bars(ax, x, table, width=0.85)
    step = max(1, len(labels) // 15)
    shown = [i for i in x if i % step == 0 or labels[i] == UNKNOWN_DATE]
    ax.set_xticks(shown, [labels[i] for i in shown], rotation=45, ha="right")
    unit = {"day": ", per day", "week": ", per week (its first day)", "month": ", per month"}
    ax.set_xlabel(f"created (read from the {kind.removesuffix('s')} ID, UTC){unit.get(freq, '')}")
    ax.set_ylabel("share of items" if relative else "items (distinct IDs)")
    if not relative:
        _integer_ticks(ax.yaxis)
    if relative:
        ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(title="status", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


# -- creation to redaction -------------------------------------------------------------


def plot_redaction_lag(df: Any, ax: Axes | None = None, bins: int | str = "auto") -> Axes:
    """Histogram of the days from creation to redaction, with the quartiles marked.

    Uses the ``created_at`` and ``redacted_at`` of the results (items with both; Tweets
    and users together when both were checked).
    The quartile lines are labelled ``Q1``, ``median`` and ``Q3`` in the legend.

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot).
    bins : int or str, default "auto"
        The histogram's bins, as matplotlib's ``Axes.hist`` takes them.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: ``ax`` when given.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds.

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
    >>> ax = plot_redaction_lag(checked, Figure().subplots())
    >>> ax.get_title()
    'Time from creation to redaction (n = 2)'
    >>> ax.get_legend_handles_labels()[1]
    ['Q1 6 days', 'median 7 days', 'Q3 8 days']
    """
    import numpy as np

    ax = _new_ax(ax)
    title = "Time from creation to redaction"
    per_kind = _items(df)
    lags = pl.concat(
        [lag_days(items.filter(pl.col("status") != AVAILABLE)) for items in per_kind.values()]
    )
    if lags.is_empty():
        return _nothing(
            ax, title, "Nothing to plot: no item has both a creation and a redaction date."
        )
    values = lags.to_numpy()
    ax.hist(values, bins=bins, color="#8C8C8C", edgecolor="#333333")
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    for value, name, style in ((q1, "Q1", ":"), (med, "median", "-"), (q3, "Q3", "--")):
        ax.axvline(
            value,
            color="#000000",
            linestyle=style,
            linewidth=1.5,
            label=f"{name} {value:,.0f} days",
        )
    ax.set_title(f"{title} (n = {len(values):,})")
    ax.set_xlabel("days from creation to redaction")
    ax.set_ylabel("items")
    _integer_ticks(ax.yaxis)
    ax.legend(fontsize="small")
    return ax
