"""compliance-nb check --no-wait, then the same command again: one job in all; jobs wait;
jobs list of both kinds. Real processes against a sandbox whose jobs take a few seconds."""

from __future__ import annotations

import json

import polars as pl
import pytest
from _cli_helpers import api_answer, cli, cli_answer, sample_ids

from compliance_nb.sandbox import Sandbox


@pytest.fixture
def slow():
    """Jobs stay in progress long enough for a command to leave one running."""
    with Sandbox(processing_delay=4) as sandbox:
        yield sandbox


def test_no_wait_then_the_same_command_reattaches_without_a_new_job(slow, tmp_path):
    ids = sample_ids(40, seed=21)
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    dest = tmp_path / "results.parquet"
    argv = ["check", "ids.txt", "-o", dest, "--name", "my-collection"]
    first = cli(*argv, "--no-wait", sandbox=slow, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (job_id,) = slow.created_job_ids
    assert first.stdout == f"{job_id}\n"  # the job ID alone: JOB=$(compliance-nb ...)
    assert "Run the same command again" in first.stderr
    assert "cancelled" not in first.stderr and "error" not in first.stderr
    assert slow.job_state(job_id)["status"] == "in_progress"  # left running at the API
    assert slow.job_state(job_id)["name"] == "my-collection"
    assert not dest.exists()

    again = cli(*argv, sandbox=slow, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert slow.jobs_created == 1  # reattached: one job in all
    assert f"reattached to job {job_id}" in again.stderr
    assert f"in job {job_id}" in again.stdout
    slow.processing_delay = 0
    assert cli_answer(dest).equals(api_answer(slow, ids, tmp_path))


def test_no_wait_with_authors_waits_until_both_jobs_are_processing(slow, tmp_path):
    from compliance_nb.datasets import sample_tweets

    tweets = sample_tweets(30, seed=5, backend="polars").drop_nulls("id")
    tweets.select("id", "author_id").write_csv(tmp_path / "t.csv")
    argv = ["check", "t.csv", "-o", "o.csv", "--user-id-column", "author_id"]
    first = cli(*argv, "--no-wait", "--quiet", sandbox=slow, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert sorted(first.stdout.split()) == sorted(slow.created_job_ids)
    assert len(slow.created_job_ids) == 2
    for job_id in slow.created_job_ids:
        assert slow.job_state(job_id)["status"] == "in_progress"
    again = cli(*argv, "--quiet", sandbox=slow, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert slow.jobs_created == 2
    out = pl.read_csv(tmp_path / "o.csv", schema_overrides={"id": pl.String})
    assert "user_compliance_reason" in out.columns and out.height == tweets.height


def test_jobs_wait_prints_the_final_status(slow):
    client = slow.client()
    job = client.create_job("tweets")
    client.upload(job, sample_ids(10, seed=2))
    proc = cli("jobs", "wait", job.id, sandbox=slow)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"Job {job.id} (tweets) is complete.\n"
    assert "processing" in proc.stderr  # progress while it waits
    done = cli("jobs", "wait", job.id, "--json", "--quiet", sandbox=slow)
    assert json.loads(done.stdout)["status"] == "complete" and done.stderr == ""
    failed = client.create_job("users")
    client.cancel_job(failed.id)  # the sandbox: cancelled jobs become failed
    proc = cli("jobs", "wait", failed.id, sandbox=slow)
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"Job {failed.id} (users) is failed")


def test_jobs_list_shows_both_kinds_newest_first(slow):
    client = slow.client()
    tweets = client.create_job("tweets", name="t-job")
    users = client.create_job("users", name="u-job")
    proc = cli("jobs", "list", sandbox=slow)
    assert proc.returncode == 0, proc.stderr
    header, _rule, *rows = proc.stdout.splitlines()
    assert header.split()[:3] == ["id", "type", "status"]
    assert {tuple(r.split()[:2]) for r in rows} == {(tweets.id, "tweets"), (users.id, "users")}
    only = cli("jobs", "list", "--kind", "users", "--json", sandbox=slow)
    assert [j["id"] for j in json.loads(only.stdout)] == [users.id]
