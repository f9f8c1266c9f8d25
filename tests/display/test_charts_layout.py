"""The charts as saved: nothing cut off by a plain savefig, no tick labels run together in
combined figures, SIMULATED on every chart of sandbox results."""

from __future__ import annotations

import io
import itertools

import matplotlib
import pandas as pd
import pytest
from _charts_helpers import build_records, seeded_frame, to_frame
from matplotlib import pyplot as plt
from matplotlib.text import Text

from compliance_nb import (
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
)
from compliance_nb.jobs.runinfo import RunInfo, remember

matplotlib.use("Agg")

CHARTS = (plot_reasons, plot_redaction_dates, plot_availability, plot_redaction_lag)


def _frame(sandbox: bool, n_tweets: int = 600):
    frame = seeded_frame(n_tweets=n_tweets)
    remember(frame, RunInfo(kinds=("tweets", "users"), user_id_column="author_id", sandbox=sandbox))
    return frame


def _undrawn_tick_labels(fig) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: their tick is outside the view."""
    out: set[int] = set()
    for a in fig.axes:
        for axis in (a.xaxis, a.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            slack = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - slack <= tick.get_loc() <= hi + slack:
                    out.update((id(tick.label1), id(tick.label2)))
    return out


def _texts(fig) -> list[Text]:
    """Every text artist drawn: titles, labels, tick labels, legend texts, watermarks."""
    undrawn = _undrawn_tick_labels(fig)
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in undrawn
    ]


def _saved(fig, path=None) -> None:
    fig.savefig(path if path is not None else io.BytesIO(), format="png")


def _outside(fig) -> list[str]:
    """The texts whose extent leaves the saved figure (after savefig, at the figure's dpi)."""
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for t in _texts(fig):
        ext = t.get_window_extent(renderer)
        if (
            ext.x0 < box.x0 - 0.5
            or ext.y0 < box.y0 - 0.5
            or ext.x1 > box.x1 + 0.5
            or ext.y1 > box.y1 + 0.5
        ):
            out.append(f"{t.get_text()!r} at {ext.bounds}")
    return out


@pytest.mark.parametrize("plot", CHARTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sandbox", [False, True], ids=["api", "sandbox"])
def test_every_text_inside_a_plain_savefig(plot, sandbox, tmp_path):
    ax = plot(_frame(sandbox))
    try:
        ax.figure.savefig(tmp_path / "f.png")  # what the issue tried: nothing more
        assert (tmp_path / "f.png").stat().st_size > 1000
        assert _texts(ax.figure), "no text drawn at all"
        outside = _outside(ax.figure)
        assert not outside, f"cut off by savefig: {outside}"
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize("plot", CHARTS, ids=lambda f: f.__name__)
def test_one_kind_frames_fit_too(plot):
    ax = plot(to_frame(build_records()).to_pandas())
    try:
        _saved(ax.figure)
        assert not _outside(ax.figure)
    finally:
        plt.close(ax.figure)


def _overlaps(fig) -> list[str]:
    """Pairs of tick labels (of any Axes in ``fig``) whose extents overlap."""
    renderer = fig.canvas.get_renderer()
    drawn = {id(t) for t in _texts(fig)}
    labels = []
    for a in fig.axes:
        for axis in (a.xaxis, a.yaxis):
            for tick in axis.get_ticklabels():
                if id(tick) in drawn:
                    labels.append(tick)
    found = []
    for one, two in itertools.combinations(labels, 2):
        b1, b2 = one.get_window_extent(renderer), two.get_window_extent(renderer)
        if b1.overlaps(b2) and b1.width > 0 and b2.width > 0:
            # overlaps() counts touching edges; ask for a real shared area
            w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            if w > 0.5 and h > 0.5:
                found.append(f"{one.get_text()!r} / {two.get_text()!r}")
    return found


@pytest.mark.parametrize("n_tweets", [600, 3000])
def test_no_overlapping_ticks_in_notebook_04s_combined_figure(n_tweets):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
    try:
        frame = _frame(True, n_tweets)
        plot_reasons(frame, ax=axes[0])
        plot_redaction_lag(frame, ax=axes[1])
        axes[0].set_title("(a) Why items are no longer available")
        axes[1].set_title("(b) Time from posting to redaction")
        _saved(fig)
        assert not _overlaps(fig)
        assert not _outside(fig)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("scale", [1_000, 1_000_000])
def test_no_overlapping_ticks_with_large_counts_in_a_narrow_axes(scale):
    # many IDs: long tick labels ("1,200,000") on a narrow count axis
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(12)],
            "compliance_reason": [None] * 6 + ["deleted"] * 6,
            "compliant": [True] * 6 + [False] * 6,
        }
    )
    fig, axes = plt.subplots(1, 3, figsize=(9, 3), layout="constrained")
    try:
        plot_reasons(frame, ax=axes[0])
        # stretch the bars to `scale` items: the axis as it would be for a huge run
        for p in axes[0].patches:
            p.set_width(p.get_width() * scale)
        axes[0].relim()
        axes[0].autoscale_view()
        _saved(fig)  # the ticks are chosen as the figure is drawn
        assert not _overlaps(fig)
    finally:
        plt.close(fig)


def test_no_overlapping_ticks_in_the_quickstarts_two_by_two():
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
    try:
        frame = _frame(True)
        plot_availability(frame, ax=axes[0, 0])
        plot_reasons(frame, ax=axes[0, 1])
        plot_redaction_dates(frame, ax=axes[1, 0])
        plot_redaction_lag(frame, ax=axes[1, 1])
        _saved(fig)
        assert not _overlaps(fig)
        assert not _outside(fig)
    finally:
        plt.close(fig)


# -- SIMULATED ---------------------------------------------------------------------------


def _watermarks(ax) -> list[Text]:
    return [t for t in ax.texts if t.get_text() == "SIMULATED"]


@pytest.mark.parametrize("plot", CHARTS, ids=lambda f: f.__name__)
def test_sandbox_results_say_simulated(plot):
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    try:
        plot(_frame(True), ax=ax)
        assert ax.get_title().endswith("(SIMULATED)")
        (mark,) = _watermarks(ax)
        _saved(fig)
        # the watermark fits inside its (small) Axes
        renderer = fig.canvas.get_renderer()
        inner, outer = mark.get_window_extent(renderer), ax.bbox
        assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1
        assert outer.y0 <= inner.y0 and inner.y1 <= outer.y1
        assert inner.width > 0.3 * outer.width  # and is big enough to see
    finally:
        plt.close(fig)


@pytest.mark.parametrize("plot", CHARTS, ids=lambda f: f.__name__)
def test_results_of_the_api_do_not(plot):
    fig, ax = plt.subplots()
    try:
        plot(_frame(False), ax=ax)
        assert "SIMULATED" not in ax.get_title()
        assert not _watermarks(ax)
    finally:
        plt.close(fig)


def test_simulated_after_a_parquet_round_trip(tmp_path):
    frame = _frame(True).to_pandas()
    remember(frame, RunInfo(kinds=("tweets", "users"), user_id_column="author_id", sandbox=True))
    frame.to_parquet(tmp_path / "checked.parquet")
    back = pd.read_parquet(tmp_path / "checked.parquet")
    ax = plot_reasons(back)
    try:
        assert ax.get_title().endswith("(SIMULATED)") and _watermarks(ax)
    finally:
        plt.close(ax.figure)


def test_nothing_to_plot_of_the_sandbox_says_simulated_too():
    frame = pd.DataFrame({"id": ["1"], "compliance_reason": [None], "compliant": [True]})
    remember(frame, RunInfo(kinds=("tweets",), sandbox=True))
    ax = plot_redaction_lag(frame)
    try:
        assert "SIMULATED" in ax.get_title()
    finally:
        plt.close(ax.figure)
