"""A kernel killed mid-job: a separate process runs ``check_compliance`` against the sandbox
in this process and is SIGKILLed at a chosen point; then ``check_compliance`` runs again
with the same cache folder. It must reattach (one job) unless the job truly cannot be used
any more, give the right result, and the ledger must stay sound at every kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _faults_helpers import (
    IDS,
    REPO,
    expected_rows,
    fast_sleep,
    joined_rows,
    ledger_integrity,
)
from _faults_helpers import case as get_case

from compliance_nb.frames.check import check_compliance
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.sandbox import Sandbox

HELPER = REPO / "tests" / "_faults_helpers.py"
KILL_CASES = ["kill-created", "kill-uploading", "kill-processing", "kill-downloading"]


def _env(sb: Any, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # a killed child cannot remove its temporary folder: it makes it under the test's own
    tmp = cache.parent / "child-tmp"
    tmp.mkdir(exist_ok=True)
    env.update(
        X_BEARER_TOKEN=sb.bearer_token,
        COMPLIANCE_NB_API_URL=sb.url,
        COMPLIANCE_NB_CACHE_DIR=str(cache),
        TMPDIR=str(tmp),
    )
    return env


def _start_child(sb: Any, cache: Path, tmp_path: Path, kill_at: str) -> subprocess.Popen:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(str(i) for i in IDS))
    return subprocess.Popen(
        [sys.executable, str(HELPER), "child", str(ids_file), "-", kill_at],
        env=_env(sb, cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, prefix: str, timeout: float = 30.0) -> str:
    """Read the child's lines until one starts with ``prefix``; return it."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"child ended before {prefix!r}: {err[-2000:]}")
    raise AssertionError(f"child never printed {prefix!r}")


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _again(sb: Any, cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any]]:
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(cache))
    events: list[Any] = []
    out = check_compliance(
        pl.DataFrame({"id": [str(i) for i in IDS]}),
        client=sb.client(sleep=fast_sleep),
        progress=events.append,
    )
    return out, events


@pytest.mark.parametrize("case_id", KILL_CASES)
def test_kill_then_call_again_reattaches(case_id, tmp_path, monkeypatch):
    c = get_case(case_id)
    stage = case_id.split("-", 1)[1]
    cache = tmp_path / "cache"
    with Sandbox(processing_delay=1.0 if stage == "processing" else 0) as sb:
        child = _start_child(sb, cache, tmp_path, stage)
        try:
            at = _wait_for(child, "AT ")
        finally:
            _kill(child)
        assert at.startswith(f"AT {stage}")
        ledger_file = cache / "ledger.sqlite3"
        if ledger_file.exists():
            assert ledger_integrity(ledger_file) == "ok"
        out, events = _again(sb, cache, monkeypatch)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.jobs_created == c.jobs, f"jobs: {sb.created_job_ids}"
        assert "reattached" in [e.stage for e in events]
        assert ledger_integrity(ledger_file) == "ok"
        rec = Ledger(ledger_file).get(sb.created_job_ids[-1])
        assert rec is not None and rec.status == "complete" and rec.has_results
        assert sb.auth_leaks == []


def test_kill_during_upload_after_the_window_closed_makes_a_new_job(tmp_path, monkeypatch):
    c = get_case("kill-uploading+window")
    cache = tmp_path / "cache"
    with Sandbox(processing_delay=0, upload_window=1.5) as sb:
        child = _start_child(sb, cache, tmp_path, "uploading")
        try:
            _wait_for(child, "AT uploading")
        finally:
            _kill(child)
        first = sb.created_job_ids[0]
        deadline = time.monotonic() + 10
        while sb.job_state(first)["status"] != "expired" and time.monotonic() < deadline:
            time.sleep(0.1)
        out, _ = _again(sb, cache, monkeypatch)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.jobs_created == c.jobs
        ledger = Ledger(cache / "ledger.sqlite3")
        assert ledger.get(first).status == "expired"
        assert ledger.get(sb.created_job_ids[1]).status == "complete"
        assert ledger_integrity(ledger.path) == "ok"
        assert sb.auth_leaks == []


def test_ledger_survives_kills_in_the_middle_of_writes(tmp_path):
    """A process writes to the ledger without pause; SIGKILL it at 5 moments; after each
    kill the SQLite file passes integrity_check and every stored Parquet file reads."""
    path = tmp_path / "ledger.sqlite3"
    for round_ in range(5):
        proc = subprocess.Popen(
            [sys.executable, str(HELPER), "churn", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(proc, "CHURNING")
            time.sleep(0.05 + 0.07 * round_)
        finally:
            _kill(proc)
        assert ledger_integrity(path) == "ok"
        ledger = Ledger(path)
        records = ledger.all()
        assert records, "the child wrote nothing before the kill"
        for rec in records:
            if rec.has_results:
                assert ledger.load_results(rec).height == len(IDS)
        leftovers = list((tmp_path / "results").glob("*.parquet"))
        assert all(p.stat().st_size > 0 for p in leftovers)


def test_a_job_created_but_never_recorded_is_found_by_its_name(tmp_path, monkeypatch):
    """B2: the kernel died between the API's create answer and the ledger write. The job is
    at the API, named after its IDs, and in no ledger: the next call finds it by that name
    and finishes it (one job), instead of a ConflictError about 'other IDs'."""
    from compliance_nb.jobs.idset import fingerprint, normalise_base_url, unique_ids

    with Sandbox(processing_delay=0) as sb:
        client = sb.client(sleep=fast_sleep)
        ids = unique_ids(pl.Series(IDS, dtype=pl.UInt64))
        name = f"compliance_nb-{fingerprint(ids, 'tweets', normalise_base_url(sb.url))[:16]}"
        orphan = client.create_job("tweets", name=name)  # what the killed kernel left
        out, _ = _again(sb, tmp_path / "cache", monkeypatch)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.created_job_ids == [orphan.id]  # no second job
        assert sb.auth_leaks == []
