"""The charts: what was drawn (bar heights, labels, points, lines), checked against counts
this test works out on its own from the rows it builds."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import datetime, timedelta

import matplotlib
import numpy as np
import polars as pl
import pytest
from _charts_helpers import (
    UTC,
    bars,
    build_records,
    seeded_frame,
    status,
    to_frame,
    tweet_id,
)
from matplotlib import dates as mdates
from matplotlib import pyplot as plt
from matplotlib.colors import to_rgba

from compliance_nb import (
    InputError,
    compliance_report,
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
)
from compliance_nb.jobs.runinfo import RunInfo, remember

matplotlib.use("Agg")

# the palette, written out here: a change to it must be a change to this test too
COLOURS = {
    "available": "#009E73",
    "deleted": "#D55E00",
    "protected": "#0072B2",
    "suspended": "#CC79A7",
    "geo_scrubbed": "#56B4E9",
    "deactivated": "#000000",
    "bounced": "#F0E442",
}


@pytest.fixture
def records() -> list[dict]:
    return build_records()


@pytest.fixture(params=["polars", "pandas"])
def checked(request, records):
    frame = to_frame(records)
    return frame if request.param == "polars" else frame.to_pandas()


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture
def both_kinds() -> pl.DataFrame:
    frame = seeded_frame()
    remember(frame, RunInfo(kinds=("tweets", "users"), user_id_column="author_id"))
    return frame


# -- plot_reasons --------------------------------------------------------------------------


def test_reason_bars_equal_the_counts_of_distinct_ids(checked, records, ax):
    expected = Counter(status(r["reason"]) for r in records)
    total = len(records)
    plot_reasons(checked, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in bars(ax)]
    assert dict(zip(labels, widths, strict=True)) == {
        f"{s} {n:,} ({n / total:.1%})": n for s, n in expected.items()
    }
    assert labels[0].startswith("available ")  # available first, then largest first
    assert ax.get_title() == "Compliance outcome per reason"
    # what the axis counts, and how many: distinct Tweet IDs, not rows
    assert ax.get_xlabel() == f"distinct Tweet IDs (n = {total})"
    colours = {
        lab.split(" ")[0]: p.get_facecolor() for lab, p in zip(labels, bars(ax), strict=True)
    }
    for name in ("deleted", "available", "protected"):
        assert colours[name] == to_rgba(COLOURS[name])


def test_reason_bars_without_available(checked, ax):
    plot_reasons(checked, ax=ax, include_available=False)
    assert not any(t.get_text().startswith("available") for t in ax.get_yticklabels())
    assert len(bars(ax)) == 4


def test_reasons_per_kind_when_users_were_checked(ax):
    frame = pl.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "author_id": ["10", "10", "11", "12"],
            "compliance_reason": [None, "deleted", None, None],
            "compliant": [True, False, True, True],
            "user_compliance_reason": ["suspended", "suspended", None, None],
        }
    )
    remember(frame, RunInfo(kinds=("tweets", "users"), user_id_column="author_id"))
    plot_reasons(frame, ax=ax)
    got = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), bars(ax), strict=True)}
    assert got == {
        "tweets: available 3 (75.0%)": 3,
        "tweets: deleted 1 (25.0%)": 1,
        # users are counted once each: author 10 appears on two rows
        "users: available 2 (66.7%)": 2,
        "users: suspended 1 (33.3%)": 1,
    }
    # each kind's n on the axis
    assert ax.get_xlabel() == "distinct IDs (tweets n = 4; users n = 3)"
    # the kinds' groups are apart: a gap wider than between bars of one group
    ys = sorted(p.get_y() for p in bars(ax))
    gaps = [b - a for a, b in itertools.pairwise(ys)]
    assert gaps[1] > gaps[0] == gaps[2]


# -- plot_redaction_dates -------------------------------------------------------------------


def heights_by_x(ax) -> dict[float, float]:
    out: dict[float, float] = {}
    for p in bars(ax):
        out[round(p.get_x(), 6)] = out.get(round(p.get_x(), 6), 0) + p.get_height()
    return out


def test_redactions_per_day(checked, records, ax):
    expected = Counter(r["redacted"].date() for r in records if r["redacted"])
    plot_redaction_dates(checked, ax=ax, freq="day")
    drawn = {mdates.num2date(x).date(): h for x, h in heights_by_x(ax).items()}
    assert drawn == expected
    assert "per day" in ax.get_xlabel()
    assert ax.get_ylabel() == "distinct Tweet IDs redacted"
    # days without a redaction draw nothing (no bar of height 0: no dotted baseline)
    assert all(p.get_height() > 0 for p in bars(ax))
    legend = ax.get_legend()
    per_reason = Counter(status(r["reason"]) for r in records if r["redacted"])
    assert {t.get_text() for t in legend.get_texts()} == {
        f"{s} ({n})" for s, n in per_reason.items()
    }
    assert legend.get_title().get_text() == f"reason (n = {sum(per_reason.values())})"


def test_redaction_bins_chosen_from_the_span(checked, records, ax):
    plot_redaction_dates(checked, ax=ax)  # 2021-03-02 .. 2021-05-19: 78 days -> weeks
    assert "per week" in ax.get_xlabel()
    assert sum(heights_by_x(ax).values()) == sum(1 for r in records if r["redacted"])
    starts = {mdates.num2date(x).weekday() for x, h in heights_by_x(ax).items() if h}
    assert starts == {0}  # weeks start on Monday
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert isinstance(ax.xaxis.get_major_locator(), mdates.AutoDateLocator)


def _redacted_on(days: list[datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [str(i + 1) for i in range(len(days))],
            "compliance_reason": ["deleted"] * len(days),
            "compliance_redacted_at": days,
            "compliant": [False] * len(days),
        }
    )


@pytest.mark.parametrize(
    ("first", "last", "per", "fmt"),
    [
        (datetime(2019, 1, 5), datetime(2022, 6, 1), "month", "%Y-%m"),
        (datetime(2012, 1, 5), datetime(2022, 6, 1), "quarter", "%Y-%m"),
        (datetime(2005, 1, 5), datetime(2024, 6, 1), "year", "%Y"),
    ],
)
def test_redactions_over_years_get_wider_bins(ax, first, last, per, fmt):
    days = [first.replace(tzinfo=UTC), (first + timedelta(days=25)).replace(tzinfo=UTC)]
    days.append(last.replace(tzinfo=UTC))
    plot_redaction_dates(_redacted_on(days), ax=ax)
    assert f"per {per}" in ax.get_xlabel()
    drawn = {mdates.num2date(x).strftime(fmt): h for x, h in heights_by_x(ax).items()}
    assert sum(drawn.values()) == 3 and len(drawn) == 2


def test_redactions_of_one_kind_named_on_the_axis(both_kinds, ax):
    ax2 = ax.figure.add_subplot(2, 1, 2)
    plot_redaction_dates(both_kinds, ax=ax)
    plot_redaction_dates(both_kinds, ax=ax2, kind="users")
    assert ax.get_ylabel() == "distinct Tweet IDs redacted"
    assert ax2.get_ylabel() == "distinct user IDs redacted"
    tweets = both_kinds.filter(pl.col("compliance_redacted_at").is_not_null())
    users = both_kinds.filter(pl.col("user_compliance_redacted_at").is_not_null())
    assert sum(heights_by_x(ax).values()) == tweets["id"].n_unique()
    assert sum(heights_by_x(ax2).values()) == users["author_id"].n_unique()
    with pytest.raises(InputError, match="kind='places'"):
        plot_redaction_dates(both_kinds, ax=ax, kind="places")


# -- plot_availability ----------------------------------------------------------------------


def curve(ax) -> list[tuple[datetime, float]]:
    line = ax.lines[0]
    return [
        (mdates.num2date(x).replace(tzinfo=UTC), float(y))
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    ]


def test_availability_is_the_share_still_available_per_period(checked, records, ax):
    plot_availability(checked, ax=ax, freq="month")
    # the 40 snowflake Tweets: March (31 days) and April 2021 (9 days)
    march = [r for r in records[:40] if r["created"].month == 3]
    april = [r for r in records[:40] if r["created"].month == 4]
    points = curve(ax)
    shares = {p[0].month: p[1] for p in points if not math.isnan(p[1])}
    assert shares[3] == pytest.approx(sum(r["reason"] is None for r in march) / len(march))
    assert shares[4] == pytest.approx(sum(r["reason"] is None for r in april) / len(april))
    assert ax.get_ylabel() == "share of distinct Tweet IDs still available"
    assert ax.get_ylim()[0] == 0
    # the counts at hand: a bar per period on the twin axis, of distinct IDs
    twin = next(a for a in ax.figure.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds)
    counts = sorted(p.get_height() for p in bars(twin))
    assert counts == sorted([len(march), len(april), 1])  # + the 2006 period of ID 20
    assert twin.get_ylabel() == "distinct Tweet IDs checked"


def test_unknown_date_holds_only_ids_with_no_time_and_no_created_at(checked, records, ax):
    plot_availability(checked, ax=ax, freq="year")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # ID 21 alone: ID 20 has no time in it but X gave its created_at (2006)
    assert "no creation date: 1 (100% still available)" in legend
    twin = next(a for a in ax.figure.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds)
    years = {mdates.num2date(p.get_x()).year: p.get_height() for p in bars(twin)}
    assert years == {2006: 1, 2021: 40}


def test_periods_with_undated_older_ids_get_no_share(checked, ax):
    plot_availability(checked, ax=ax, freq="year")
    shares = dict(curve(ax))
    by_year = {when.year: share for when, share in shares.items()}
    # 2006: only ID 20 (deleted) has a date; the available IDs of 2006 have none
    assert math.isnan(by_year[2006])
    assert not math.isnan(by_year[2021])
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1
    assert mdates.num2date(hatched[0].get_x()).year == 2006


def test_availability_bins_chosen_by_the_span(ax):
    start = datetime(2011, 1, 1, tzinfo=UTC)
    for years, per in ((0.1, "day"), (0.9, "week"), (4, "month"), (12, "quarter"), (16, "year")):
        ax.figure.clear()
        a = ax.figure.add_subplot()
        created = [start + timedelta(days=365.25 * years * k / 199) for k in range(200)]
        frame = pl.DataFrame(
            {
                "id": [tweet_id(c) for c in created],
                "compliance_reason": ["deleted" if k % 3 == 0 else None for k in range(200)],
                "compliant": [k % 3 != 0 for k in range(200)],
            }
        )
        plot_availability(frame, ax=a)
        assert f"per {per}" in a.get_xlabel(), (years, a.get_xlabel())
        assert len(curve(a)) <= 64
        assert isinstance(a.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_availability_uses_the_runs_id_column(records, ax):
    frame = to_frame(records).rename({"id": "tweet_id"})
    remember(frame, RunInfo(kinds=("tweets",), id_column="tweet_id"))
    plot_availability(frame, ax=ax, freq="year")
    twin = next(a for a in ax.figure.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds)
    assert sum(p.get_height() for p in bars(twin)) == len(records) - 1  # ID 21: no date


def test_availability_of_users(both_kinds, ax):
    plot_availability(both_kinds, ax=ax, kind="users", freq="year")
    assert ax.get_ylabel() == "share of distinct user IDs still available"
    twin = next(a for a in ax.figure.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds)
    assert sum(p.get_height() for p in bars(twin)) == both_kinds["author_id"].n_unique()


# -- plot_redaction_lag ---------------------------------------------------------------------


def test_lag_histogram_and_quartile_lines(checked, records, ax):
    lags = [
        (r["redacted"] - r["created"]).total_seconds() / 86400
        for r in records
        if r["redacted"] and r["created"] and r["reason"]
    ]
    plot_redaction_lag(checked, ax=ax)
    assert sum(p.get_height() for p in bars(ax)) == len(lags)
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    assert xs == pytest.approx(list(np.percentile(lags, [25, 50, 75])))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.split(" ")[0] for t in legend] == ["Q1", "median", "Q3"]
    assert ax.get_xlabel() == "days from creation to redaction"
    assert ax.get_ylabel() == "distinct Tweet IDs"
    assert ax.get_title() == f"Time from creation to redaction (n = {len(lags)} Tweet IDs)"


def test_lag_per_kind_matches_the_report(both_kinds, ax):
    plot_redaction_lag(both_kinds, ax=ax)
    report = compliance_report(both_kinds).to_dict()["kinds"]
    n = {kind: report[kind]["lag_days"]["n"] for kind in ("tweets", "users")}
    _, labels = ax.get_legend_handles_labels()
    # one series of bars and one median line per kind, each with the report's numbers
    assert [lab for lab in labels if "(n = " in lab] == [
        f"Tweet IDs (n = {n['tweets']:,})",
        f"user IDs (n = {n['users']:,})",
    ]
    counted = [sum(p.get_height() for p in container) for container in ax.containers]
    assert counted == [n["tweets"], n["users"]]  # not the pooled n
    medians = [line.get_xdata()[0] for line in ax.lines]
    assert medians == pytest.approx([report[k]["lag_days"]["median"] for k in ("tweets", "users")])
    assert ax.get_ylabel() == "distinct IDs"
    assert ax.get_title() == "Time from creation to redaction"


# -- nothing to plot, colours, pyplot state -------------------------------------------------


def test_nothing_to_plot_says_so(ax):
    all_available = pl.DataFrame(
        {"id": ["1", "2"], "compliance_reason": [None, None], "compliant": [True, True]},
        schema_overrides={"compliance_reason": pl.String},
    )
    for fn in (plot_redaction_dates, plot_redaction_lag):
        ax.clear()
        fn(all_available, ax=ax)
        assert any("Nothing to plot" in t.get_text() for t in ax.texts), fn.__name__
        assert not bars(ax)
    empty = all_available.clear()
    for fn in (plot_reasons, plot_availability):
        ax.clear()
        fn(empty, ax=ax)
        assert any("Nothing to plot" in t.get_text() for t in ax.texts), fn.__name__


def test_same_colour_for_a_reason_in_every_chart(records):
    frame = to_frame(records)
    fig, axes = plt.subplots(1, 2)
    try:
        plot_reasons(frame, ax=axes[0])
        plot_redaction_dates(frame, ax=axes[1])
        reasons_colour = {
            t.get_text().split(" ")[0]: p.get_facecolor()
            for t, p in zip(axes[0].get_yticklabels(), bars(axes[0]), strict=True)
        }
        legend = axes[1].get_legend()
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
            name = text.get_text().split(" ")[0]
            assert handle.get_facecolor() == reasons_colour[name] == to_rgba(COLOURS[name])
    finally:
        plt.close(fig)
    fig, ax = plt.subplots()
    try:
        plot_availability(frame, ax=ax)
        assert ax.lines[0].get_color() == COLOURS["available"]
    finally:
        plt.close(fig)


def test_no_pyplot_state_when_an_axes_is_given(checked, ax):
    before = plt.get_fignums()
    current = plt.gcf()
    for fn in (plot_reasons, plot_redaction_dates, plot_availability, plot_redaction_lag):
        assert fn(checked, ax=ax) is ax
    assert plt.get_fignums() == before
    assert plt.gcf() is current


def test_without_ax_a_new_figure_with_room_for_its_labels(checked):
    for fn in (plot_reasons, plot_redaction_dates, plot_availability, plot_redaction_lag):
        ax = fn(checked)
        try:
            assert ax.figure is not None and (bars(ax) or ax.lines)
            assert ax.figure.get_layout_engine() is not None, fn.__name__
        finally:
            plt.close(ax.figure)


def test_reason_bars_of_a_real_sandbox_run(sandbox, ax):
    from compliance_nb.datasets import sample_tweets
    from compliance_nb.frames.check import check_compliance

    df = sample_tweets(200, seed=4)  # pandas
    out = check_compliance(df, client=sandbox.client(), progress=False, user_id_column="author_id")
    plot_reasons(out, ax=ax)
    got = {
        t.get_text().split(" ")[0] + " " + t.get_text().split(" ")[1]: p.get_width()
        for t, p in zip(ax.get_yticklabels(), bars(ax), strict=True)
    }
    expected = {}
    for kind, column in (("tweets", "id"), ("users", "author_id")):
        exp = sandbox.expected(df[column].dropna().unique().tolist(), kind)
        labels = exp["reason"].replace({"scrub_geo": "geo_scrubbed"}).fill_null("available")
        for label, n in Counter(labels.to_list()).items():
            expected[f"{kind}: {label}"] = n
    assert got == expected
    assert "SIMULATED" in ax.get_title()  # a sandbox run's chart says so


@pytest.mark.parametrize(
    ("plot", "axis"),
    [
        (plot_reasons, "x"),
        (plot_redaction_dates, "y"),
        (plot_redaction_lag, "y"),
    ],
)
def test_count_axes_have_whole_number_ticks(checked, ax, plot, axis):
    plot(checked, ax=ax)
    ax.figure.canvas.draw()
    ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
    assert len(ticks) > 1
    assert all(float(t).is_integer() for t in ticks), ticks
