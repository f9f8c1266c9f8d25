"""How many items per outcome: :func:`plot_reasons`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...rules.outcomes import AVAILABLE
from ..counting import outcomes
from ..palette import order_statuses, reason_color
from .common import count_axis, finish, kind_noun, new_axes, nothing

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_reasons"]

TITLE = "Compliance outcome per reason"


def plot_reasons(
    df: Any,
    ax: Axes | None = None,
    *,
    include_available: bool = True,
    id_column: str | None = None,
) -> Axes:
    """Horizontal bars: how many distinct IDs per outcome, labelled with counts and shares.

    Labels read like ``"deleted 1,234 (5.1%)"``; shares are of all distinct IDs checked of
    that kind. With user columns (``user_id_column=`` in the run), Tweets and users get one
    group each, labelled ``"tweets: deleted ..."``, and the axis gives each kind's n.
    Results from the sandbox are marked SIMULATED (title and watermark).

    Parameters
    ----------
    df : DataFrame
        The frame ``check_compliance`` returned (pandas, polars, or anything narwhals
        reads), or one saved and read back.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure's (from pyplot, constrained layout).
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
    >>> len(ax.patches), ax.get_title(), ax.get_xlabel()
    (3, 'Compliance outcome per reason', 'distinct Tweet IDs (n = 3)')
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['available 1 (33.3%)', 'deleted 1 (33.3%)', 'suspended 1 (33.3%)']
    """
    ax = new_axes(ax)
    per_kind = outcomes(df, id_column=id_column)
    several = len(per_kind) > 1
    labels: list[str] = []
    widths: list[int] = []
    colors: list[str] = []
    positions: list[float] = []
    totals: dict[str, int] = {}
    at = 0.0
    for kind, items in per_kind.items():
        counts = dict(items.group_by("status").len().iter_rows())
        total = items.height
        totals[kind] = total
        shown = 0
        for status in order_statuses(counts, counts):
            if status == AVAILABLE and not include_available:
                continue
            n = counts[status]
            text = f"{status} {n:,} ({n / total:.1%})"
            labels.append(f"{kind}: {text}" if several else text)
            widths.append(n)
            colors.append(reason_color(status))
            positions.append(at)
            at += 1.0
            shown += 1
        if shown:
            at += 0.5  # a gap between the kinds' groups
    if not widths:
        return nothing(ax, df, TITLE, "Nothing to plot: no items were checked.")
    ax.barh(positions, widths, color=colors, edgecolor="#333333", linewidth=0.5)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # first label at the top
    if several:
        each = "; ".join(f"{kind} n = {n:,}" for kind, n in totals.items())
        ax.set_xlabel(f"distinct IDs ({each})")
    else:
        kind, total = next(iter(totals.items()))
        ax.set_xlabel(f"distinct {kind_noun(kind)} (n = {total:,})")
    ax.margins(x=0.05)
    count_axis(ax, "x")
    return finish(ax, df, TITLE)
