"""Where a checked frame's results came from travels with it, and simulated results say so.

Against a real sandbox on 127.0.0.1: the sandbox marks its jobs, so results are known to be
simulated however the client reached it (``connect()`` pointed at its URL with a token, not
only ``Sandbox.client()``); jobs keep when they were seen complete, also when their results
are reused from the ledger; applying simulated results warns.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from datetime import datetime, timezone

import pandas as pd
import polars as pl
import pytest

from compliance_nb import (
    ComplianceClient,
    Job,
    SimulatedResultsWarning,
    apply_compliance,
    apply_compliance_jsonl,
    check_compliance,
    compliance_report,
    connect,
)
from compliance_nb.datasets import sample_collection, sample_tweets
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.jobs.runinfo import SOURCE_SANDBOX, SOURCE_X, RunInfo, recall, remember


def _plain_client(sandbox, monkeypatch) -> ComplianceClient:
    """A client that does not know it talks to a sandbox: connect() with a token and the
    sandbox's URL, as a user pointing COMPLIANCE_NB_API_URL somewhere would get."""
    monkeypatch.setenv("X_BEARER_TOKEN", sandbox.bearer_token)
    monkeypatch.setenv("COMPLIANCE_NB_API_URL", sandbox.url)
    client = connect(verbose=False)
    assert client.is_sandbox is False and client.base_url == sandbox.url
    return client


def test_job_objects_carry_the_sandbox_mark_and_x_jobs_do_not():
    marked = Job.from_api({"id": "1", "type": "tweets", "status": "complete",
                           "compliance_nb_simulated": True})  # fmt: skip
    plain = Job.from_api({"id": "2", "type": "tweets", "status": "complete"})
    assert (marked.simulated, plain.simulated) == (True, False)
    assert "compliance_nb_simulated" not in marked.extra
    # only a true boolean marks: anything else X might ever send under that name does not
    odd = Job.from_api({"id": "3", "type": "users", "status": "complete",
                        "compliance_nb_simulated": "yes"})  # fmt: skip
    assert odd.simulated is False


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_results_reached_without_the_sandbox_client_are_still_simulated(
    sandbox, monkeypatch, backend
):
    client = _plain_client(sandbox, monkeypatch)
    checked = check_compliance(sample_tweets(60, backend=backend), client=client, progress=False)
    info = recall(checked)
    assert info is not None and info.sandbox is True
    source = checked["compliance_source"]
    first = source.iloc[0] if backend == "pandas" else source[0]
    assert first.startswith(SOURCE_SANDBOX + " {")
    report = compliance_report(checked)
    assert report.text.startswith("SIMULATED RESULTS")
    with pytest.warns(SimulatedResultsWarning, match="SIMULATED"):
        clean = apply_compliance(checked)
    with pytest.warns(SimulatedResultsWarning):
        bare = apply_compliance(checked, drop_compliance_columns=True)
    # the clean data still says where its cleaning came from
    assert recall(clean).sandbox is True and "compliance_source" in clean.columns
    # asked to drop the compliance columns, the source goes too; pandas keeps its attrs
    assert "compliance_reason" not in bare.columns and "compliance_source" not in bare.columns
    if backend == "pandas":
        assert recall(bare).sandbox is True
    else:
        assert recall(bare) is None


def test_completion_time_is_kept_and_reused_results_keep_it(sandbox, tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    df = sample_tweets(50, backend="polars")
    before = datetime.now(timezone.utc).replace(microsecond=0)  # kept to the second
    first = check_compliance(df, client=sandbox.client(), progress=False, ledger_path=ledger)
    after = datetime.now(timezone.utc)
    (job,) = recall(first).jobs
    assert job.reused is False and before <= job.completed_at <= after
    second = check_compliance(df, client=sandbox.client(), progress=False, ledger_path=ledger)
    (again,) = recall(second).jobs
    assert sandbox.jobs_created == 1
    assert (again.id, again.completed_at, again.reused) == (job.id, job.completed_at, True)
    text = compliance_report(second).text
    assert f"reused from this machine's stored results of job {job.id}" in text
    assert f"{job.completed_at:%H:%M} UTC" in text
    # the ledger holds both facts for the next run
    (record,) = Ledger(ledger).all()
    assert (record.completed_at, record.simulated) == (job.completed_at, True)


def test_a_ledger_from_before_keeps_working(tmp_path):
    """A ledger file written without the provenance columns gets them; its old rows read
    as not simulated, with no completion time."""
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, kind TEXT "
            "NOT NULL, base_url TEXT NOT NULL, name TEXT, part INTEGER NOT NULL DEFAULT 1, "
            "parts INTEGER NOT NULL DEFAULT 1, n_ids INTEGER, status TEXT NOT NULL, error TEXT,"
            " created_at TEXT, upload_expires_at TEXT, download_expires_at TEXT, recorded_at "
            "TEXT NOT NULL, updated_at TEXT NOT NULL, downloaded_at TEXT, results_path TEXT);"
            "CREATE INDEX jobs_fingerprint ON jobs (fingerprint);"
            "INSERT INTO jobs (job_id, fingerprint, kind, base_url, status, recorded_at, "
            "updated_at) VALUES ('9', 'f', 'tweets', 'u', 'complete', "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');"
        )
    conn.close()
    record = Ledger(path).get("9")
    assert record is not None and (record.completed_at, record.simulated) == (None, False)


def test_results_from_x_do_not_warn_and_say_x():
    frame = pl.DataFrame({"id": ["1", "2"], "compliance_reason": ["deleted", None],
                          "compliant": [False, True]})  # fmt: skip
    remember(frame, RunInfo(kinds=("tweets",), job_ids={"tweets": ("5",)}))
    assert frame["compliance_source"][0].startswith(SOURCE_X + " {")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimulatedResultsWarning)
        out = apply_compliance(frame)
    assert out["id"].to_list() == ["2"]
    assert "SIMULATED" not in compliance_report(frame).text


def test_apply_compliance_jsonl_warns_on_simulated_results(sandbox, tmp_path):
    raw = sample_collection(tmp_path / "raw.jsonl", n_lines=5)
    with pytest.warns(SimulatedResultsWarning, match="Tweets and users"):
        apply_compliance_jsonl(raw, tmp_path / "clean.jsonl", client=sandbox.client(),
                               progress=False)  # fmt: skip


def test_a_lazy_frame_and_a_concatenation_keep_their_provenance(sandbox, tmp_path):
    kw = {"client": sandbox.client(), "progress": False, "ledger_path": tmp_path / "l.db"}
    lazy = check_compliance(sample_tweets(30, seed=1, backend="polars").lazy(), **kw)
    assert recall(lazy).sandbox is True and recall(lazy.collect()).sandbox is True
    one = check_compliance(sample_tweets(30, seed=2, backend="pandas"), **kw)
    two = check_compliance(sample_tweets(30, seed=3, backend="pandas"), **kw)
    both = pd.concat([one, two], ignore_index=True)
    both.attrs = {}  # what a concatenation of different attrs may leave
    info = recall(both)
    assert info.job_ids["tweets"] == (
        *recall(one).job_ids["tweets"],
        *recall(two).job_ids["tweets"],
    )


def test_the_command_lines_outputs_carry_the_record(tmp_path, capsys):
    """The demo (the command line writes what check_compliance returns): its Parquet file
    holds the record in its metadata, its CSV in the source column."""
    from compliance_nb.cli import main

    assert main(["demo", "--out", str(tmp_path), "--n", "30", "--delay", "0"]) == 0
    record = json.loads(pl.read_parquet_metadata(tmp_path / "checked.parquet")["compliance_nb"])
    assert record["sandbox"] is True and record["job_ids"]["tweets"]
    back = pl.read_csv(tmp_path / "checked.csv", schema_overrides={"id": pl.String})
    assert recall(back).sandbox is True
    assert compliance_report(back).text.startswith("SIMULATED RESULTS")


def test_a_frame_with_no_ids_says_not_checked():
    out = check_compliance(pl.DataFrame({"id": [None, None]}, schema={"id": pl.String}),
                           progress=False)  # fmt: skip
    assert out["compliance_source"][0].startswith("not checked {")
    info = recall(out)
    assert info is not None and info.sandbox is False and info.jobs == ()


def test_several_jobs_are_all_named_with_the_last_completion(sandbox):
    checked = check_compliance(sample_tweets(50, backend="polars"), client=sandbox.client(),
                               progress=False, max_ids_per_job=20)  # fmt: skip
    jobs = recall(checked).jobs
    assert len(jobs) == 3 and all(j.completed_at is not None for j in jobs)
    text = compliance_report(checked).text
    latest = max(j.completed_at for j in jobs)
    assert f"jobs {', '.join(j.id for j in jobs)} (the last) completed on" in text
    assert f"{latest:%H:%M} UTC" in text
