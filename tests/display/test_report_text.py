"""compliance_report: the numbers and the paragraph, from hand-made checked frames."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import polars as pl
import pytest

from compliance_nb import ComplianceReport, compliance_report
from compliance_nb._exceptions import InputError
from compliance_nb.jobs.runinfo import JobProvenance, RunInfo, remember

UTC = timezone.utc
CREATED = datetime(2020, 1, 1, tzinfo=UTC)


def frame(reasons: list[str | None], lags: list[float | None] | None = None) -> pl.DataFrame:
    """One row per ID "1", "2", ...; ``lags`` in days from creation to redaction."""
    lags = lags or [None] * len(reasons)
    return pl.DataFrame(
        {
            "id": [str(i + 1) for i in range(len(reasons))],
            "compliance_reason": reasons,
            "compliance_created_at": [CREATED if r else None for r in reasons],
            "compliance_redacted_at": [
                CREATED + timedelta(days=lag) if lag is not None else None for lag in lags
            ],
            "compliant": [r is None for r in reasons],
        },
        schema_overrides={
            "compliance_reason": pl.String,
            "compliance_created_at": pl.Datetime("us", "UTC"),
            "compliance_redacted_at": pl.Datetime("us", "UTC"),
        },
    )


def test_counts_shares_and_lag_quartiles():
    # 8 IDs: 5 available, 2 deleted, 1 protected; lags 10, 20, 40 days
    df = frame(
        [None, "deleted", None, "deleted", None, "protected", None, None],
        [None, 10, None, 20, None, 40, None, None],
    )
    rep = compliance_report(df)
    d = rep.to_dict()["kinds"]["tweets"]
    assert (d["checked"], d["available"], d["needing_action"]) == (8, 5, 3)
    assert d["reasons"] == {"deleted": 2, "protected": 1}
    # quartiles of [10, 20, 40] (linear): 15, 20, 30
    assert d["lag_days"] == {"q1": 15.0, "median": 20.0, "q3": 30.0, "n": 3}
    text = rep.text
    assert "Tweets: of 8 distinct Tweet IDs, 5 (62.5%) were still available" in text
    assert "3 (37.5%) required action: 2 deleted (25.0%), 1 protected (12.5%)." in text
    assert "median time from creation to redaction was 20 days (quartiles 15 and 30 days)" in text
    assert str(rep) == text
    json.dumps(rep.to_dict())  # plain data


def test_dates_are_the_jobs_completion_not_the_call_and_simulated_comes_first():
    df = frame([None, "suspended"]).to_pandas()
    remember(
        df,
        RunInfo(
            kinds=("tweets",),
            job_ids={"tweets": ("1460000000000000001",)},
            checked_at=datetime(2026, 11, 28, 1, 15, tzinfo=UTC),  # the call
            sandbox=True,
            jobs=(
                JobProvenance(
                    "tweets", "1460000000000000001", datetime(2026, 11, 28, 1, 2, tzinfo=UTC)
                ),
            ),
        ),
    )
    rep = compliance_report(df)
    assert rep.text.startswith("SIMULATED RESULTS")
    assert "produced by job 1460000000000000001 completed on 28 November 2026 at 01:02 UTC" in (
        rep.text
    )
    assert "01:15" not in rep.text  # the call's time is not when the results were produced
    assert rep.checked_at == datetime(2026, 11, 28, 1, 2, tzinfo=UTC)
    assert rep.sandbox is True
    html = rep._repr_html_()
    assert html.index("SIMULATED") < html.index("<p>")  # in the title, before the text


def test_reused_results_name_their_job_and_its_time():
    df = frame([None, "deleted"])
    done = datetime(2026, 11, 27, 21, 2, tzinfo=UTC)
    remember(
        df,
        RunInfo(
            kinds=("tweets",),
            job_ids={"tweets": ("77",)},
            checked_at=datetime(2026, 11, 27, 21, 4, tzinfo=UTC),
            jobs=(JobProvenance("tweets", "77", done, reused=True),),
        ),
    )
    text = compliance_report(df).text
    assert (
        "reused from this machine's stored results of job 77 completed on 27 November 2026 "
        "at 21:02 UTC; no new job ran" in text
    )
    assert "21:04" not in text


def test_every_label_used_is_explained_bounced_included():
    df = frame([None, "bounced", "deleted", "scrub_geo", "edited"])
    text = compliance_report(df).text
    labels = text[text.index("The labels: ") :]
    assert "bounced: the Tweet failed X's compliance check" in labels
    assert "deleted: the Tweet was deleted" in labels
    assert "geo_scrubbed: the Tweet's geo information was removed" in labels
    assert "edited: a reason X does not document" in labels
    assert "protected" not in labels  # only the labels the report uses


def test_real_api_run_does_not_claim_simulation():
    df = frame(["deleted"])
    remember(df, RunInfo(kinds=("tweets",), job_ids={"tweets": ("5",)}, sandbox=False))
    rep = compliance_report(df)
    assert "X's batch compliance API" in rep.text
    assert "SIMULATED" not in rep.text and "sandbox" not in rep.text


def test_jobs_argument_when_the_frame_forgot_its_run():
    rep = compliance_report(frame([None]), jobs=["11", "12"])
    assert "(v2), jobs 11, 12." in rep.text
    assert rep.to_dict()["job_ids"] == {"tweets": ["11", "12"]}
    assert "on " not in rep.text.split(".")[0]  # no date claimed when none is known


def test_duplicate_rows_and_null_ids_are_not_counted_twice():
    df = pl.DataFrame(
        {
            "id": ["1", "1", "2", None],
            "compliance_reason": ["deleted", "deleted", None, None],
            "compliant": [False, False, True, None],
        }
    )
    d = compliance_report(df).to_dict()["kinds"]["tweets"]
    assert (d["checked"], d["available"], d["reasons"]) == (2, 1, {"deleted": 1})


def test_per_kind_when_users_ran_too():
    df = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "author_id": ["7", "7", "8"],
            "compliance_reason": [None, "deleted", None],
            "compliant": [True, False, True],
            "user_compliance_reason": ["deactivated", "deactivated", None],
        }
    )
    remember(df, RunInfo(kinds=("tweets", "users"), user_id_column="author_id"))
    rep = compliance_report(df)
    users = rep.to_dict()["kinds"]["users"]
    assert (users["checked"], users["available"], users["reasons"]) == (2, 1, {"deactivated": 1})
    assert "Users: of 2 distinct user IDs, 1 (50.0%) were still available" in rep.text
    assert "user_deactivated" not in rep.text  # per kind: the users' own labels
    # each kind's labels mean what they mean for that kind
    assert "The labels for Tweet IDs: deleted: the Tweet was deleted." in rep.text
    assert "The labels for user IDs: deactivated: the account was deactivated." in rep.text
    assert "Tweet IDs and user IDs" in rep.text


def test_html_escapes_and_everything_available():
    rep = compliance_report(frame([None, None]))
    assert "none required action" in rep.text
    assert rep.to_dict()["kinds"]["tweets"]["lag_days"] is None
    html = rep._repr_html_()
    assert "<table>" in html and "available" in html
    assert isinstance(rep, ComplianceReport)


def test_a_frame_that_was_not_checked_is_refused():
    with pytest.raises(InputError, match="check_compliance"):
        compliance_report(pl.DataFrame({"id": ["1"]}))


def test_a_local_api_url_is_never_reported_as_xs_api():
    df = frame(["deleted"])
    remember(df, RunInfo(kinds=("tweets",), api_url="http://127.0.0.1:5000", sandbox=False))
    text = compliance_report(df).text
    assert "X's batch compliance API (v2)" not in text
    assert "http://127.0.0.1:5000" in text and "simulated" in text


def test_report_of_a_sandbox_run_with_users(sandbox):
    from compliance_nb.datasets import sample_tweets
    from compliance_nb.frames.check import check_compliance

    df = sample_tweets(200, seed=2, backend="polars")
    out = check_compliance(df, client=sandbox.client(), progress=False, user_id_column="author_id")
    rep = compliance_report(out).to_dict()
    # the oracle's verdicts, counted here from Sandbox.expected
    for kind, column in (("tweets", "id"), ("users", "author_id")):
        ids = df[column].drop_nulls().unique()
        exp = sandbox.expected(ids.to_list(), kind)
        reasons = (
            exp.drop_nulls("reason")
            .with_columns(pl.col("reason").replace({"scrub_geo": "geo_scrubbed"}))
            .group_by("reason")
            .len()
        )
        got = rep["kinds"][kind]
        assert got["checked"] == exp.height
        assert got["available"] == exp["action"].null_count()
        assert got["reasons"] == dict(reasons.iter_rows())
    text = rep["text"]
    assert all(j in text for ids in rep["job_ids"].values() for j in ids)
    assert rep["job_ids"].keys() == {"tweets", "users"}
    assert "simulated" in text.lower()  # never passed off as X's own results


def test_a_sandbox_client_marks_the_run_simulated(sandbox):
    from compliance_nb.frames.check import check_compliance

    client = sandbox.client()
    assert client.is_sandbox and "sandbox" in repr(client)
    out = check_compliance(
        pl.DataFrame({"id": ["1500000000000000000"]}), client=client, progress=False
    )
    report = compliance_report(out)
    assert report.to_dict()["sandbox"] is True
    assert "SIMULATED" in report.text


@pytest.mark.parametrize("not_a_frame", ["checked.csv", [1, 2, 3], None])
def test_something_that_is_not_a_frame_is_refused_with_a_clear_error(not_a_frame):
    from compliance_nb import plot_reasons

    for call in (compliance_report, plot_reasons):
        with pytest.raises(InputError, match="Expected a pandas or polars DataFrame"):
            call(not_a_frame)
