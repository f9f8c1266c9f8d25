"""Days from creation to redaction, per kind: :func:`plot_redaction_lag`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from ...rules.outcomes import AVAILABLE
from ..counting import days_text, lag_days, outcomes, quartiles
from .common import count_axis, finish, kind_noun, new_axes, nothing

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_redaction_lag"]

TITLE = "Time from creation to redaction"
# greys per kind (these are kinds, not reasons); each kind's median line
_HIST_COLORS = ["#8C8C8C", "#3A3A3A"]
_MEDIAN_LINES = (("#000000", "-"), ("#000000", "--"))


def plot_redaction_lag(df: Any, ax: Axes | None = None, bins: int | str = "auto") -> Axes:
    """Histogram of the days from creation to redaction, per kind, with the median marked.

    Uses the ``created_at`` and ``redacted_at`` of the results: the distinct IDs needing
    action that have both, counted as the report counts them
    (:func:`~compliance_nb.compliance_report`), so n and the quartiles are the report's.
    With one kind, the quartile lines are labelled ``Q1``, ``median`` and ``Q3`` in the
    legend. When Tweets and users were both checked, each kind has its own bars in each
    bin, side by side (its n in the legend), and its median marked (the quartiles per kind
    are in the report). Results from the sandbox
    are marked SIMULATED.

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot, constrained layout).
    bins : int or str, default "auto"
        The histogram's bins, as ``numpy.histogram_bin_edges`` takes them (shared by the
        kinds).

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
    >>> ax.get_title(), ax.get_ylabel()
    ('Time from creation to redaction (n = 2 Tweet IDs)', 'distinct Tweet IDs')
    >>> ax.get_legend_handles_labels()[1]
    ['Q1 6.5 days', 'median 7.0 days', 'Q3 7.5 days']
    """
    import numpy as np

    ax = new_axes(ax)
    lags = {
        kind: lag_days(items.filter(pl.col("status") != AVAILABLE)).to_numpy()
        for kind, items in outcomes(df).items()
    }
    lags = {kind: values for kind, values in lags.items() if len(values)}
    if not lags:
        return nothing(
            ax, df, TITLE, "Nothing to plot: no item has both a creation and a redaction date."
        )
    edges = np.histogram_bin_edges(np.concatenate(list(lags.values())), bins=bins)
    kinds = list(lags)
    nouns = [kind_noun(kind) for kind in kinds]
    # one bar per kind in each bin, side by side: each kind's own counts, never pooled
    ax.hist(
        list(lags.values()),
        bins=edges.tolist(),
        color=_HIST_COLORS[: len(kinds)],
        edgecolor="#333333",
        linewidth=0.5,
        label=(
            [f"{noun} (n = {len(lags[k]):,})" for noun, k in zip(nouns, kinds, strict=True)]
            if len(kinds) > 1
            else None  # the title gives the n
        ),
    )
    title = TITLE
    for kind, (color, style) in zip(kinds, _MEDIAN_LINES, strict=False):
        spread = quartiles(pl.Series(lags[kind]))
        assert spread is not None  # the values are not empty
        q1, med, q3 = spread
        if len(kinds) == 1:
            for value, name, line in ((q1, "Q1", ":"), (med, "median", "-"), (q3, "Q3", "--")):
                ax.axvline(
                    value,
                    color="#000000",
                    linestyle=line,
                    linewidth=1.5,
                    label=f"{name} {days_text(value)} days",
                )
            title = f"{TITLE} (n = {len(lags[kind]):,} {nouns[0]})"
        else:
            ax.axvline(
                med,
                color=color,
                linestyle=style,
                linewidth=1.5,
                label=f"{kind_noun(kind)}: median {days_text(med)} days",
            )
    ax.set_xlabel("days from creation to redaction")
    ax.set_ylabel(f"distinct {nouns[0]}" if len(kinds) == 1 else "distinct IDs")
    count_axis(ax, "y")
    ax.legend(fontsize="small", loc="best")
    return finish(ax, df, title)
