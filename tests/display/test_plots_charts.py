"""The charts: what was drawn (bar heights, labels, lines), checked against counts this
test works out on its own from the rows it builds."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import matplotlib
import numpy as np
import polars as pl
import pytest
from matplotlib import dates as mdates
from matplotlib import pyplot as plt
from matplotlib.colors import to_rgba

from compliance_nb import (
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
)
from compliance_nb.jobs.runinfo import RunInfo, remember

matplotlib.use("Agg")
UTC = timezone.utc
BASE = datetime(2021, 3, 1, 6, 0, tzinfo=UTC)
PATTERN = ["deleted", None, "protected", None, "suspended", None, None, "scrub_geo"]


def tweet_id(created: datetime, low_bits: int = 12345) -> str:
    ms = int(created.timestamp() * 1000) - 1288834974657
    return str((ms << 22) | low_bits)


def build_records() -> list[dict]:
    """40 dated Tweets, one per day, + 2 pre-snowflake IDs; one row per distinct ID."""
    records = []
    for i in range(40):
        created = BASE + timedelta(days=i)
        reason = PATTERN[i % 8]
        redacted = created + timedelta(days=i + 1) if reason else None
        if i == 7:  # the API does not always give redacted_at
            redacted = None
        records.append(
            {"id": tweet_id(created), "reason": reason, "created": created, "redacted": redacted}
        )
    records.append(
        {
            "id": "20",
            "reason": "deleted",
            "created": datetime(2006, 3, 21, 20, 50, tzinfo=UTC),
            "redacted": datetime(2021, 4, 1, tzinfo=UTC),
        }
    )
    records.append({"id": "21", "reason": None, "created": None, "redacted": None})
    return records


def to_frame(records: list[dict], extra_rows: bool = True) -> pl.DataFrame:
    rows = list(records)
    if extra_rows:
        rows = rows + rows[:3]  # repeated rows: counted once
    frame = pl.DataFrame(
        {
            "id": [r["id"] for r in rows] + ([None] if extra_rows else []),
            "compliance_reason": [r["reason"] for r in rows] + ([None] if extra_rows else []),
            "compliance_created_at": [r["created"] if r["reason"] else None for r in rows]
            + ([None] if extra_rows else []),
            "compliance_redacted_at": [r["redacted"] for r in rows]
            + ([None] if extra_rows else []),
            "compliant": [r["reason"] is None for r in rows] + ([None] if extra_rows else []),
        },
        schema_overrides={
            "compliance_created_at": pl.Datetime("us", "UTC"),
            "compliance_redacted_at": pl.Datetime("us", "UTC"),
            "compliance_reason": pl.String,
        },
    )
    return frame


def status(reason: str | None) -> str:
    return {"scrub_geo": "geo_scrubbed", None: "available"}.get(reason, reason)


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


def bars(ax) -> list:
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


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
    assert ax.get_title() and ax.get_xlabel() == "items (distinct IDs)"
    colours = {
        lab.split(" ")[0]: p.get_facecolor() for lab, p in zip(labels, bars(ax), strict=True)
    }
    assert colours["deleted"] == to_rgba("#D55E00")
    assert colours["available"] == to_rgba("#009E73")


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


# -- plot_redaction_dates -------------------------------------------------------------------


def heights_by_x(ax) -> dict[float, float]:
    out: dict[float, float] = {}
    for p in bars(ax):
        out[round(p.get_x(), 6)] = out.get(round(p.get_x(), 6), 0) + p.get_height()
    return out


def test_redactions_per_day(checked, records, ax):
    expected = Counter(r["redacted"].date() for r in records if r["redacted"])
    plot_redaction_dates(checked, ax=ax, freq="day")
    drawn = {mdates.num2date(x).date(): h for x, h in heights_by_x(ax).items() if h}
    assert drawn == expected
    assert "per day" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(legend) == {status(r["reason"]) for r in records if r["redacted"]}


def test_redaction_bins_chosen_from_the_span(checked, records, ax):
    plot_redaction_dates(checked, ax=ax)  # 2021-03-02 .. 2021-05-19: 78 days -> weeks
    assert "per week" in ax.get_xlabel()
    assert sum(heights_by_x(ax).values()) == sum(1 for r in records if r["redacted"])
    starts = {mdates.num2date(x).weekday() for x, h in heights_by_x(ax).items() if h}
    assert starts == {0}  # weeks start on Monday


def test_redactions_over_years_go_per_month(ax):
    frame = pl.DataFrame(
        {
            "id": ["1", "2", "3"],
            "compliance_reason": ["deleted"] * 3,
            "compliance_redacted_at": [
                datetime(2019, 1, 5, tzinfo=UTC),
                datetime(2019, 1, 30, tzinfo=UTC),
                datetime(2022, 6, 1, tzinfo=UTC),
            ],
            "compliant": [False] * 3,
        }
    )
    plot_redaction_dates(frame, ax=ax)
    assert "per month" in ax.get_xlabel()
    drawn = {mdates.num2date(x).strftime("%Y-%m"): h for x, h in heights_by_x(ax).items() if h}
    assert drawn == {"2019-01": 2, "2022-06": 1}


# -- plot_availability ----------------------------------------------------------------------


def test_availability_by_creation_date_includes_available_items(checked, records, ax):
    plot_availability(checked, ax=ax)
    per_index: dict[int, Counter] = {}
    colour_of = {}
    for p in bars(ax):
        if p.get_height():
            i = round(p.get_x() + p.get_width() / 2)
            colour_of[p.get_facecolor()] = True
            per_index.setdefault(i, Counter())[p.get_facecolor()] += p.get_height()
    # one item per day for 40 days, then the "unknown date" group of the 2 old IDs
    assert sorted(per_index) == list(range(41))
    for i in range(40):
        s = status(records[i]["reason"])
        assert per_index[i] == Counter({to_rgba(color(s)): 1}), i
    assert sum(per_index[40].values()) == 2
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "2021-03-01" and ticks[-1] == "unknown date"
    assert "per day" in ax.get_xlabel()


def color(s: str) -> str:
    return {
        "available": "#009E73",
        "deleted": "#D55E00",
        "protected": "#0072B2",
        "suspended": "#CC79A7",
        "geo_scrubbed": "#56B4E9",
    }[s]


def test_relative_availability_stacks_to_one(records, ax):
    frame = to_frame(records)
    plot_availability(frame, ax=ax, relative=True, freq="month")
    sums: dict[int, float] = {}
    for p in bars(ax):
        i = round(p.get_x() + p.get_width() / 2)
        sums[i] = sums.get(i, 0) + p.get_height()
    assert len(sums) == 3  # March, April 2021, unknown
    assert all(v == pytest.approx(1.0) for v in sums.values())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2021-03", "2021-04", "unknown date"]
    # March: 31 items of which available = those with PATTERN None on days 0..30
    march_available = sum(1 for r in records[:31] if r["reason"] is None) / 31
    green = [p for p in bars(ax) if p.get_facecolor() == to_rgba("#009E73")]
    assert green[0].get_height() == pytest.approx(march_available)


def test_availability_uses_the_runs_id_column(records, ax):
    frame = to_frame(records).rename({"id": "tweet_id"})
    remember(frame, RunInfo(kinds=("tweets",), id_column="tweet_id"))
    plot_availability(frame, ax=ax)
    assert sum(p.get_height() for p in bars(ax)) == len(records)


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
    fig, axes = plt.subplots(1, 3)
    try:
        plot_reasons(frame, ax=axes[0])
        plot_redaction_dates(frame, ax=axes[1])
        plot_availability(frame, ax=axes[2])
        reasons_colour = {
            t.get_text().split(" ")[0]: p.get_facecolor()
            for t, p in zip(axes[0].get_yticklabels(), bars(axes[0]), strict=True)
        }
        for a in axes[1:]:
            legend = a.get_legend()
            for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
                assert handle.get_facecolor() == reasons_colour[text.get_text()], text
    finally:
        plt.close(fig)


def test_no_pyplot_state_when_an_axes_is_given(checked, ax):
    before = plt.get_fignums()
    current = plt.gcf()
    for fn in (plot_reasons, plot_redaction_dates, plot_availability, plot_redaction_lag):
        assert fn(checked, ax=ax) is ax
    assert plt.get_fignums() == before
    assert plt.gcf() is current


def test_without_ax_a_new_figure_is_made(checked):
    ax = plot_reasons(checked)
    try:
        assert ax.figure is not None and bars(ax)
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


@pytest.mark.parametrize(
    ("plot", "axis"),
    [
        (plot_reasons, "x"),
        (plot_redaction_dates, "y"),
        (plot_availability, "y"),
        (plot_redaction_lag, "y"),
    ],
)
def test_count_axes_have_whole_number_ticks(checked, ax, plot, axis):
    plot(checked, ax=ax)
    ax.figure.canvas.draw()
    ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
    assert len(ticks) > 1
    assert all(float(t).is_integer() for t in ticks), ticks
