"""Malformed results lines and bad inputs: a clear error naming the line or the value
(before any job is created, for inputs), or a documented acceptance; never rows silently
dropped. Cases and what the user sees come from ``_faults_helpers.CASES``."""

from __future__ import annotations

import resource
from typing import Any

import pandas as pd
import polars as pl
import pytest
from _faults_helpers import IDS, expected_rows, fast_sleep, joined_rows
from _faults_helpers import case as get_case
from _faults_helpers import cases as group_cases

import compliance_nb._exceptions as exc_mod
from compliance_nb.frames.check import check_compliance
from compliance_nb.frames.joins import join_results
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.jobs.results import read_results
from compliance_nb.sandbox import Sandbox

RESULTS = [c for c in group_cases("Malformed results") if "line" in c.extra]
INPUTS = [c for c in group_cases("Bad inputs") if "values" in c.extra]
GOOD_LINE = (
    '{"id":"1800000000000000001","action":"delete","reason":"deleted",'
    '"created_at":"2020-01-01T00:00:00.000Z","redacted_at":"2021-01-01T00:00:00.000Z"}'
)
LAST_LINE = '{"id":"21","action":"delete","reason":"protected"}'


@pytest.mark.parametrize("c", RESULTS, ids=[c.id for c in RESULTS])
def test_malformed_results_line_is_named(c, tmp_path):
    """The sandbox has no fault that corrupts result lines, so these go through a results
    file: ``read_results`` (what the engine uses after a download) and ``join_results``."""
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join([GOOD_LINE, c.extra["line"], LAST_LINE]) + "\n")
    error = getattr(exc_mod, c.outcome)
    with pytest.raises(error, match="Line 2 ") as info:
        read_results(path)
    assert info.value.line_number == 2
    assert c.fragment in str(info.value)
    df = pl.DataFrame({"id": ["1800000000000000001", "21", "22"]})
    with pytest.raises(error, match="Line 2 "):
        join_results(df, path)


def test_results_corrupted_in_storage_fail_the_run_with_the_line(tmp_path):
    c = get_case("results-corrupted-in-storage")
    with Sandbox(processing_delay=0, rates={"tweets": {"deleted": 0.5}}) as sb:

        def corrupt(event: Any) -> None:  # truncate the stored results before the download
            if event.stage == "downloading" and not done:
                done.append(event.job_id)
                path = sb._results_path(event.job_id)
                data = path.read_bytes()
                path.write_bytes(data[: len(data) - 30])

        done: list[str] = []
        ledger_path = tmp_path / "ledger.sqlite3"
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            check_compliance(
                pl.DataFrame({"id": [str(i) for i in IDS]}),
                client=sb.client(sleep=fast_sleep),
                ledger_path=ledger_path,
                progress=corrupt,
            )
        n_lines = sb.job_state(done[0])["result_lines"]
        assert info.value.line_number == n_lines  # the last line, the truncated one
        assert c.fragment in str(info.value)
        rec = Ledger(ledger_path).get(done[0])
        assert not rec.has_results  # nothing stored that could be reused later
        assert sb.auth_leaks == []


def _object_frame(values: list[Any]) -> pd.DataFrame:
    if all(isinstance(v, float) for v in values):
        return pd.DataFrame({"id": pd.Series(values, dtype="float64")})
    return pd.DataFrame({"id": pd.Series(values, dtype=object)})


@pytest.mark.parametrize("c", INPUTS, ids=[c.id for c in INPUTS])
def test_bad_input_is_refused_before_any_request(c, sandbox, tmp_path):
    df = _object_frame(c.extra["values"])
    kw = dict(client=sandbox.client(sleep=fast_sleep), ledger_path=tmp_path / "l.sqlite3")
    if c.outcome == "recovers":
        out = check_compliance(df, progress=False, **kw)
        ids = [int(str(v).strip()) for v in c.extra["values"]]
        assert joined_rows(out) == expected_rows(sandbox, ids)
        assert sandbox.jobs_created == c.jobs
    else:
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            check_compliance(df, progress=False, **kw)
        assert c.fragment in str(info.value)
        assert sandbox.requests_log == [] and sandbox.jobs_created == 0
        assert not (tmp_path / "l.sqlite3").exists()  # nothing written either
    assert sandbox.auth_leaks == []


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_fifty_million_repeats_of_one_id_upload_one_id(sandbox, tmp_path):
    c = get_case("input-50M-repeats")
    n = c.extra["rows"]
    the_id = 1_800_000_000_000_000_001
    df = pl.DataFrame({"id": pl.repeat(the_id, n, dtype=pl.Int64, eager=True)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    out = check_compliance(
        df,
        client=sandbox.client(sleep=fast_sleep),
        ledger_path=tmp_path / "l.sqlite3",
        progress=False,
    )
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert out.height == n
    job = sandbox.job_state(sandbox.created_job_ids[0])
    assert job["n_lines"] == 1 and job["n_ids"] == 1  # deduplicated before the upload
    assert job["upload_bytes"] == len(str(the_id)) + 1
    verdict = expected_rows(sandbox, [the_id])[0]
    first_and_last = out[[0, n - 1]].select(
        "compliance_action", "compliance_reason", "compliance_created_at", "compliance_redacted_at"
    )
    assert first_and_last.rows() == [verdict, verdict]
    assert out["compliance_reason"].n_unique() == 1
    # the input is 400 MB; six added columns of 50 M rows are ~3.5 GB, and converting them
    # (polars -> Arrow -> polars in _frames.add_columns) about doubles that: measured 6.5 GB
    assert grown_mib < 8192, f"peak memory grew by {grown_mib:.0f} MiB"
    assert sandbox.auth_leaks == []
