"""One frame of Tweets and their authors, the same verdict per row everywhere.

The frame holds rows with a null Tweet ID and a removed author, rows with a null author,
repeated Tweets and authors, and Tweets and users of every reason (high rates in the
sandbox). The verdict expected for each row is worked out here by hand from the sandbox's
own expected results and the status rule as documented (docs/reference.md,
``compliance_status``), then held against every place that counts or acts on rows:

* the added columns of ``check_compliance`` (pandas, polars, a polars LazyFrame, DuckDB);
* the rows ``apply_compliance`` drops and the counts in its summary (eager and lazy);
* the command line's summary;
* the report's counts and the counts the reasons chart draws (distinct IDs per kind).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb
import matplotlib
import matplotlib.figure
import matplotlib.patches
import pandas as pd
import polars as pl
import pytest

from compliance_nb import apply_compliance, check_compliance, compliance_report, plot_reasons
from compliance_nb.cli import main as cli_main
from compliance_nb.datasets import sample_tweets
from compliance_nb.sandbox import Sandbox

RATES = {
    "tweets": {"deleted": 0.2, "protected": 0.1, "suspended": 0.05, "scrub_geo": 0.15,
               "bounced": 0.05},
    "users": {"deleted": 0.15, "protected": 0.1, "suspended": 0.1, "deactivated": 0.1},
}  # fmt: skip


def _label(reason: str | None, user: bool) -> str:
    """A result's label, written plainly (docs/reference.md)."""
    if reason in ("scrub_geo", "geo_scrubbed"):
        return "geo_scrubbed"
    return ("user_" if user else "") + (reason or "unknown")


def _status(tweet: str | None, tweet_reason: str | None, user_reason: str | None) -> str | None:
    """A row's status, written plainly: the Tweet's removal, else its author's, else any
    geo scrub, else available (None where the row has no Tweet ID)."""
    geo = ("scrub_geo", "geo_scrubbed")
    if tweet_reason is not None and tweet_reason not in geo:
        return _label(tweet_reason, user=False)
    if user_reason is not None and user_reason not in geo:
        return _label(user_reason, user=True)
    if tweet_reason is not None or user_reason is not None:
        return "geo_scrubbed"
    return "available" if tweet is not None else None


@pytest.fixture(scope="module")
def sb():
    with Sandbox(processing_delay=0, rates=RATES) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    df = sample_tweets(600, seed=11, backend="polars").select("id", "author_id", "geo_place_id")
    n = df.height
    ids = df["id"].to_list()
    authors = df["author_id"].to_list()
    for k in range(0, n, 9):  # a null Tweet ID with its author kept
        ids[k] = None
    for k in range(4, n, 23):  # a null author
        authors[k] = None
    ids[1] = ids[2]  # a repeated Tweet
    return df.with_columns(
        pl.Series("id", ids, dtype=pl.String),
        pl.Series("author_id", authors, dtype=pl.String),
        pl.int_range(n).alias("row"),
    )


@pytest.fixture(scope="module")
def verdicts(sb, frame) -> dict[str, Any]:
    """What every entry must agree with, from the sandbox's expected results."""

    def reasons(column: str, kind: str) -> dict[str, str]:
        ids = frame[column].drop_nulls().unique().to_list()
        table = sb.expected(ids, kind).filter(pl.col("reason").is_not_null())
        return dict(table.select("id", "reason").iter_rows())

    tweets, users = reasons("id", "tweets"), reasons("author_id", "users")
    statuses = [
        _status(t, tweets.get(t) if t else None, users.get(a) if a else None)
        for t, a in frame.select("id", "author_id").iter_rows()
    ]
    assert {"user_deactivated", "user_suspended", "geo_scrubbed", "deleted"} <= set(statuses)
    # a null Tweet ID with a removed author: the case the copies of the rule disagreed on
    assert any(
        s and s.startswith("user_") for s, t in zip(statuses, frame["id"], strict=True) if t is None
    )
    per_kind = {
        "tweets": Counter(_label(r, False) for r in tweets.values()),
        "users": Counter(_label(r, False) for r in users.values()),
    }
    return {"status": statuses, "per_kind": per_kind}


def _added(out: pl.DataFrame) -> pl.DataFrame:
    return out.sort("row").select(
        pl.col("compliance_status").cast(pl.String), pl.col("compliant").cast(pl.Boolean)
    )


def _compliant(status: str | None) -> bool | None:
    return None if status is None else status == "available"


def _native(frame: pl.DataFrame, entry: str) -> Any:
    if entry == "pandas":
        return frame.to_pandas()
    if entry == "polars-lazy":
        return frame.lazy()
    if entry == "duckdb":
        return duckdb.sql("SELECT * FROM frame")
    return frame


def _polars(out: Any) -> pl.DataFrame:
    if isinstance(out, pd.DataFrame):
        return pl.from_pandas(out)
    if isinstance(out, pl.LazyFrame):
        return out.collect()
    if isinstance(out, pl.DataFrame):
        return out
    return out.pl()


@pytest.mark.parametrize("entry", ["pandas", "polars", "polars-lazy", "duckdb"])
def test_added_columns_and_apply_agree_with_the_rule(sb, frame, verdicts, entry):
    checked = check_compliance(
        _native(frame, entry), client=sb.client(), user_id_column="author_id"
    )
    added = _added(_polars(checked))
    assert added["compliance_status"].to_list() == verdicts["status"]
    assert added["compliant"].to_list() == [_compliant(s) for s in verdicts["status"]]

    clean, summary = apply_compliance(checked, return_summary=True)
    removal = [s not in (None, "available", "geo_scrubbed") for s in verdicts["status"]]
    kept = sorted(_polars(clean)["row"].to_list())
    assert kept == [r for r, gone in enumerate(removal) if not gone]
    expected_removed = Counter(
        s for s, gone in zip(verdicts["status"], removal, strict=True) if gone
    )
    assert summary["removed"] == dict(expected_removed)
    assert summary["rows_removed"] == sum(removal)
    assert summary["rows_geo_scrubbed"] == verdicts["status"].count("geo_scrubbed")


def test_the_command_line_summary_counts_the_same(
    sb, frame, verdicts, tmp_path, capsys, monkeypatch
):
    src = tmp_path / "tweets.csv"
    frame.write_csv(src)
    dest = tmp_path / "checked.csv"
    monkeypatch.setenv("X_BEARER_TOKEN", sb.bearer_token)
    rc = cli_main(
        ["check", str(src), "--id-column", "id", "--user-id-column", "author_id",
         "-o", str(dest), "--api-url", sb.url]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert rc == 0, err
    action = Counter(s for s in verdicts["status"] if s not in (None, "available"))
    ranked = sorted(action.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = ", ".join(f"{s} {n:,}" for s, n in ranked)
    assert f"{sum(action.values()):,} need action ({parts})" in out + err
    assert "unknown" not in out + err
    saved = pl.read_csv(dest, schema_overrides={"id": pl.String, "author_id": pl.String})
    assert _added(saved)["compliance_status"].to_list() == verdicts["status"]


def test_the_report_and_the_chart_count_the_same(sb, frame, verdicts):
    checked = check_compliance(frame, client=sb.client(), user_id_column="author_id")
    report = compliance_report(checked).to_dict()["kinds"]
    for kind in ("tweets", "users"):
        expected = verdicts["per_kind"][kind]
        assert report[kind]["reasons"] == dict(expected), kind
    fig = matplotlib.figure.Figure()
    ax = fig.subplots()
    plot_reasons(checked, ax=ax, include_available=False)
    bars = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]
    drawn = {
        t.get_text().split(" ")[0] + " " + t.get_text().split(" ")[1]: p.get_width()
        for t, p in zip(ax.get_yticklabels(), bars, strict=True)
    }
    wanted = {
        f"{kind}: {label}": n
        for kind, counts in verdicts["per_kind"].items()
        for label, n in counts.items()
    }
    assert drawn == wanted
