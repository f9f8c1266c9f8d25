"""What every chart shares: its own figure, the SIMULATED mark, kinds, bins and axes.

A chart that makes its own figure makes it with constrained layout, so a plain
``ax.figure.savefig(...)`` keeps every label and legend inside the image. Counts are of
distinct IDs (:func:`compliance_nb.display.counting.outcomes`), and the axes say so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import polars as pl
from matplotlib.dates import AutoDateLocator
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from ..._exceptions import InputError
from ...jobs.runinfo import recall

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.backend_bases import RendererBase
    from matplotlib.transforms import Bbox

__all__ = [
    "FREQS",
    "SIMULATED",
    "CountLocator",
    "Watermark",
    "bin_end",
    "count_axis",
    "date_axis",
    "date_numbers",
    "days",
    "finish",
    "kind_noun",
    "new_axes",
    "nothing",
    "period_bins",
    "pick_freq",
    "pick_kind",
]

SIMULATED = "SIMULATED"
#: The widths a date bin can have, as polars durations.
FREQS = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
_KIND_NOUN = {"tweets": "Tweet IDs", "users": "user IDs"}
# about 60 bins at most: a bar or point per bin stays wide enough to see
_SPANS = (
    (timedelta(days=62), "day"),
    (timedelta(days=366), "week"),
    (timedelta(days=5 * 366), "month"),
    (timedelta(days=15 * 366), "quarter"),
)


def kind_noun(kind: str) -> str:
    """``"Tweet IDs"``, ``"user IDs"``: what a count of that kind counts."""
    return _KIND_NOUN.get(kind, f"{kind} IDs")


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """``ax``, or the Axes of a new figure with constrained layout (room for every label)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return cast("Axes", new)


def pick_kind(per_kind: dict[str, pl.DataFrame], kind: str | None) -> tuple[str, pl.DataFrame]:
    """The kind a one-kind chart shows: ``kind``, else the run's main kind (the first)."""
    if kind is None:
        return next(iter(per_kind.items()))
    if kind not in per_kind:
        raise InputError(
            f"kind={kind!r}: this frame holds results for {', '.join(map(repr, per_kind))}; "
            "pass one of those."
        )
    return kind, per_kind[kind]


# -- SIMULATED -----------------------------------------------------------------------------


class Watermark(Text):
    """``SIMULATED`` across the middle of an Axes, sized at each draw to fit inside it."""

    def _fit(self) -> None:
        axes, figure = self.axes, self.figure
        if axes is None or figure is None:
            return
        # about 0.65 em per capital in DejaVu Sans Bold; 70% of the width, 40% of the height
        per_point = figure.dpi / 72.0
        by_width = 0.7 * axes.bbox.width / (0.65 * len(self.get_text()) * per_point)
        by_height = 0.4 * axes.bbox.height / per_point
        self.set_fontsize(max(4.0, min(48.0, by_width, by_height)))

    def draw(self, renderer: RendererBase) -> None:
        self._fit()
        super().draw(renderer)

    def get_window_extent(self, renderer: RendererBase | None = None, dpi: Any = None) -> Bbox:
        self._fit()
        return super().get_window_extent(renderer, dpi)


def is_simulated(df: Any) -> bool:
    """True when the run that made ``df`` talked to the sandbox (its results are made up)."""
    info = recall(df)
    return bool(info is not None and info.sandbox)


def finish(ax: Axes, df: Any, title: str) -> Axes:
    """Set the title; for sandbox results add ``(SIMULATED)`` to it and a watermark.

    The title and axis labels wrap rather than run off the figure: constrained layout
    makes room for their height but not for a width beyond their Axes'.
    """
    for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
        text.set_wrap(True)
    if not is_simulated(df):
        ax.set_title(title)
        return ax
    ax.set_title(f"{title} ({SIMULATED})")
    mark = Watermark(
        0.5,
        0.5,
        SIMULATED,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="#B00020",
        alpha=0.3,
        fontweight="bold",
        zorder=10,
        gid="compliance-nb-simulated",
    )
    mark.set_in_layout(False)  # it fits inside the Axes whatever its size
    ax.add_artist(mark)
    return ax


def nothing(ax: Axes, df: Any, title: str, message: str) -> Axes:
    """An empty chart that says why it is empty."""
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
    return finish(ax, df, title)


# -- axes ---------------------------------------------------------------------------------


def _width_points(axis: Any) -> float | None:
    """The drawn width of an x axis' Axes in points, or None for another axis."""
    from matplotlib.axis import XAxis

    if not isinstance(axis, XAxis) or axis.axes is None:
        return None
    return float(axis.axes.bbox.width * 72.0 / axis.axes.figure.dpi)


class CountLocator(MaxNLocator):
    """Whole-number ticks, as many as their labels fit along the axis *as drawn*.

    matplotlib's own ``nbins="auto"`` allows a tick per three font sizes, which is too
    close for counts such as "1,200,000" on a narrow horizontal axis: here a label is
    taken to be as wide as the largest count written out plus two digits of gap, and the
    axis' length is read when the ticks are, after the layout has placed the Axes.
    """

    def __init__(self) -> None:
        super().__init__(nbins="auto", integer=True, min_n_ticks=2)

    def __call__(self) -> Any:
        from matplotlib import rcParams
        from matplotlib.font_manager import FontProperties

        points = _width_points(self.axis)
        if points is not None and self.axis is not None:
            lo, hi = self.axis.get_view_interval()
            chars = len(f"{int(max(abs(lo), abs(hi), 1)):,}") + 2
            size = FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points()
            self.set_params(nbins=max(1, int(points // (0.6 * size * chars)) - 1))
        return super().__call__()


def count_axis(ax: Axes, which: str) -> None:
    """Whole-number ticks with thousands separators, few enough for their labels to fit."""
    from matplotlib.ticker import StrMethodFormatter

    axis: Axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(CountLocator())
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


class _FittingDateLocator(AutoDateLocator):
    """matplotlib's AutoDateLocator with at most as many ticks as concise labels fit in
    the axis as drawn (a label such as "Mar", "2021" or "Mar 05" needs about 0.8 inch
    with its gap)."""

    def __call__(self) -> Any:
        points = _width_points(self.axis)
        if points is not None:
            self.maxticks = dict.fromkeys(self.maxticks, max(3, int(points / 58)))
        return super().__call__()


def date_axis(ax: Axes) -> None:
    """Date ticks by matplotlib's date locator and concise formatter, as many as fit."""
    from matplotlib import dates as mdates

    locator = _FittingDateLocator(minticks=2)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# -- date bins ----------------------------------------------------------------------------


def pick_freq(start: datetime, end: datetime, freq: str) -> str:
    """``freq``, or for ``"auto"`` the width that gives at most about 60 bins."""
    if freq != "auto":
        if freq not in FREQS:
            raise InputError(
                f"freq={freq!r}: use 'auto', 'day', 'week', 'month', 'quarter' or 'year'."
            )
        return freq
    span = end - start
    for limit, name in _SPANS:
        if span <= limit:
            return name
    return "year"


def period_words(freq: str) -> str:
    """How an axis label names one bin of ``freq``.

    >>> period_words("week"), period_words("year")
    ('week (from Monday)', 'year')
    """
    return "week (from Monday)" if freq == "week" else freq


def period_bins(times: pl.Series, freq: str) -> tuple[pl.Series, str]:
    """(the start of each value's bin, the bins' width): bins chosen by the span."""
    present = times.drop_nulls()
    freq = pick_freq(cast(datetime, present.min()), cast(datetime, present.max()), freq)
    return times.dt.truncate(FREQS[freq]), freq


def bin_end(starts: pl.Expr, freq: str) -> pl.Expr:
    """Where each bin that starts at ``starts`` ends."""
    return starts.dt.offset_by(FREQS[freq])


def date_numbers(values: list[datetime]) -> list[float]:
    """UTC datetimes as matplotlib's date numbers (days), for the date axis."""
    from matplotlib import dates as mdates

    return [float(mdates.date2num(v)) for v in values]


def days(spans: list[timedelta]) -> list[float]:
    """Durations in days: bar widths on a date axis."""
    return [span.total_seconds() / 86_400 for span in spans]
