"""Faults on every kind of call, rate limits, the upload window and jobs that end badly:
each run either gives exactly the clean run's result or a clear error; never a wrong table.

Cases and what the user sees come from ``_faults_helpers.CASES`` (also docs/reliability.md).

The faults on transfers (uploads, resumable chunks, downloads, the upload window) run in
both worlds: with the signed storage URLs X documents, and with the API host's own upload
and download routes (``transfer_urls="api"``, whose upload route speaks the resumable
protocol here so that the chunk faults apply). The faults on the job routes alone (create,
get, list, the rate budget, jobs that end badly) run once: they do not touch the URLs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl
import pytest
from _faults_helpers import (
    IDS,
    expected_rows,
    fast_sleep,
    joined_rows,
    max_in_window,
    plan,
    timed_requests,
)
from _faults_helpers import case as get_case
from _faults_helpers import cases as group_cases

import compliance_nb._exceptions as exc_mod
from compliance_nb.frames.check import check_compliance
from compliance_nb.frames.joins import join_results
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.sandbox import Sandbox

TRANSIENT = group_cases("Transient errors")
CHUNKS = group_cases("Resumable upload chunks")
WINDOW = [c for c in group_cases("Upload window") if c.outcome == "recovers"]
TRANSFER_ROUTES = {"upload", "upload_start", "upload_chunk", "download"}
MODES = ("storage", "api")


def in_both_worlds(cases: list[Any]) -> list[Any]:
    """``(case, mode)`` params: the storage world for every case, the API routes' world
    too for the cases whose faults hit a transfer."""
    params = []
    for c in cases:
        for mode in MODES:
            if mode == "storage" or any(f[0] in TRANSFER_ROUTES for f in c.faults):
                params.append(pytest.param(c, mode, id=f"{c.id}-{mode}"))
    return params


def world(mode: str, **kw: Any) -> Sandbox:
    """A sandbox handing out ``mode``'s transfer URLs."""
    kw.setdefault("processing_delay", 0)
    return Sandbox(transfer_urls=mode, api_resumable="sessions", **kw)


def frame(ids: list[int] = IDS) -> pl.DataFrame:
    return pl.DataFrame({"id": [str(v) for v in ids]})


def run(sb: Any, tmp_path: Any, **kw: Any) -> tuple[Any, list[Any]]:
    events: list[Any] = []
    client = kw.pop("client", None) or sb.client(sleep=fast_sleep)
    out = check_compliance(
        kw.pop("df", frame()),
        client=client,
        ledger_path=tmp_path / "ledger.sqlite3",
        progress=events.append,
        cache=False,
        **kw,
    )
    return out, events


def assert_no_leak(sb: Any) -> None:
    assert sb.auth_leaks == [], "the bearer token reached a storage URL"


@pytest.mark.parametrize(("c", "mode"), in_both_worlds(TRANSIENT))
def test_transient_fault_gives_the_clean_result_and_one_job(c, mode, tmp_path):
    with world(mode) as sb:
        plan(sb, c)
        threshold = 0 if c.extra.get("resumable") else 10**9
        out, events = run(sb, tmp_path, resumable_threshold=threshold)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert out["compliant"].to_list() == [r[0] is None for r in expected_rows(sb, IDS)]
        assert sb.faults.pending() == [], "the planned fault never fired"
        assert sb.jobs_created == c.jobs  # no duplicate job
        stages = {e.stage for e in events}
        if c.id == "create-lost-answer":
            assert "reattached" in stages
        else:
            assert "retrying" in stages
        assert_no_leak(sb)


@pytest.mark.parametrize(("c", "mode"), in_both_worlds(CHUNKS))
def test_fault_on_one_chunk_of_a_resumable_upload_is_resumed(c, mode, tmp_path):
    """A 3-chunk resumable upload (256 KiB chunks); the fault hits chunk 1, 2 or 3."""
    ids = [1_500_000_000_000_000_000 + 7919 * i for i in range(30_000)]  # ~600 KB, 3 chunks
    with world(mode) as sb:
        client = sb.client(sleep=fast_sleep)
        job = client.create_job("tweets", resumable=True)
        chunk = c.extra["chunk"]
        (route, fault, times, params) = c.faults[0]
        if chunk == 1:
            sb.faults.add(route, fault, times=times, **params)
        done: list[int] = []

        def progress(event: Any) -> None:  # plan the fault once chunk-1 chunks are stored
            ready = event.stage == "uploading" and chunk > 1 and not done
            if ready and (event.bytes_done or 0) >= (chunk - 1) * 262_144:
                done.append(event.bytes_done)
                sb.faults.add(route, fault, times=times, **params)

        client.upload(job, ids, progress=progress, chunk_size=262_144)
        assert sb.faults.pending() == []
        fired = [f for f in sb.faults.fired if f.route == "upload_chunk"]
        assert fired, "the chunk fault never fired"
        path = client.download(client.wait(job), tmp_path / "results.jsonl")
        assert sb.job_state(job.id)["n_ids"] == len(ids)  # every ID arrived, once
        out = join_results(pl.DataFrame({"id": [str(i) for i in ids]}), path)
        assert joined_rows(out) == expected_rows(sb, ids)
        chunk_puts = [r for r in sb.requests_log if r["route"] == "upload_chunk"]
        assert len(chunk_puts) >= 4  # 3 chunks + the status query / resend
        assert_no_leak(sb)


STORAGE_429 = [c for c in group_cases("Rate limits") if c.id.startswith("storage-429")]


@pytest.mark.parametrize(("c", "mode"), in_both_worlds(STORAGE_429))
def test_storage_429_is_retried(c, mode, tmp_path):
    with world(mode) as sb:
        plan(sb, c)
        threshold = 0 if c.extra["resumable"] else 10**9
        out, events = run(sb, tmp_path, resumable_threshold=threshold)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.faults.pending() == []
        assert sb.jobs_created == c.jobs
        # the API's own routes name their reset: the client waits for it (a chunk PUT,
        # like any 429 from storage, is retried with back-off)
        waits = mode == "api" and c.faults[0][0] != "upload_chunk"
        stage = "waiting" if waits else "retrying"
        assert any(e.stage == stage and "429" in (e.message or "") for e in events)
        assert_no_leak(sb)


def test_429_storm_completes_within_the_budget_and_shows_its_waits(tmp_path):
    c = get_case("429-storm")
    with Sandbox(processing_delay=1.0, rate_limit=4, rate_window=2.0) as sb:
        with timed_requests(sb) as log:
            plan(sb, c)
            client = sb.client(sleep=fast_sleep, rate_limit=4, rate_window=2.0)
            out, events = run(sb, tmp_path, client=client)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.faults.pending() == []
        assert sb.jobs_created == 1
        waits = [e for e in events if e.stage == "waiting"]
        assert waits and all(e.wait_seconds and e.wait_seconds > 0 for e in waits)
        assert any("429" in (e.message or "") for e in waits)
        api = [r for r in log if r["route"] in ("create", "get", "list", "cancel")]
        injected = sum(1 for f in sb.faults.fired if f.fault == "429")
        assert sum(1 for r in api if r["status"] == 429) == injected  # none from the budget
        for route in {r["route"] for r in api}:
            times = [r["t"] for r in api if r["route"] == route]
            assert max_in_window(times, 2.0 - 0.15) <= 4, route
        assert_no_leak(sb)


def test_fast_polling_stays_inside_a_small_budget(tmp_path):
    """Polling as fast as the back-off allows: the client's budget holds it to 3 per second
    per route; the sandbox (same budget) never has to refuse a request."""
    assert get_case("budget").outcome == "recovers"
    with Sandbox(processing_delay=2.0, rate_limit=3, rate_window=1.0) as sb:
        with timed_requests(sb) as log:
            client = sb.client(sleep=fast_sleep, rate_limit=3, rate_window=1.0)
            out, events = run(sb, tmp_path, client=client)
        assert joined_rows(out) == expected_rows(sb, IDS)
        gets = [r["t"] for r in log if r["route"] == "get"]
        assert len(gets) >= 4  # it did poll hard enough to need the budget
        assert max_in_window(gets, 1.0 - 0.1) <= 3
        assert Counter(r["status"] for r in log)[429] == 0
        assert any(e.stage == "waiting" for e in events)
        assert_no_leak(sb)


@pytest.mark.parametrize(("c", "mode"), in_both_worlds(WINDOW))
def test_upload_window_over_before_the_upload_makes_a_new_job(c, mode, tmp_path):
    with world(mode) as sb:
        plan(sb, c)
        out, events = run(sb, tmp_path)
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.jobs_created == c.jobs
        told = [e for e in events if "window" in (e.message or "").lower()]
        assert told, "the user is not told that a new job was made"
        first = sb.created_job_ids[0]
        assert Ledger(tmp_path / "ledger.sqlite3").get(first).status == "expired"
        assert_no_leak(sb)


def test_upload_window_that_is_always_over_ends_in_a_bounded_error(tmp_path):
    """Every job's window is 1 ms: no upload can ever succeed -> a clear error after a
    bounded number of new jobs, each one recorded as expired."""
    c = get_case("window-always-closed")
    with Sandbox(processing_delay=0, upload_window=0.001) as sb:
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            run(sb, tmp_path)
        assert c.fragment in str(info.value)
        assert sb.jobs_created == c.jobs
        ledger = Ledger(tmp_path / "ledger.sqlite3")
        assert [ledger.get(j).status for j in sb.created_job_ids] == ["expired"] * c.jobs
        assert_no_leak(sb)


def _ledger_record(tmp_path: Any, sb: Any) -> Any:
    return Ledger(tmp_path / "ledger.sqlite3").get(sb.created_job_ids[0])


@pytest.mark.timeout(30)
def test_failed_job_is_a_clear_error_and_is_recorded(tmp_path):
    c = get_case("job-failed")
    with Sandbox(processing_delay=0) as sb:
        plan(sb, c)
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            run(sb, tmp_path)
        job_id = sb.created_job_ids[0]
        assert job_id in str(info.value) and c.fragment in str(info.value)
        assert info.value.error == "Injected: bad batch 42"
        rec = _ledger_record(tmp_path, sb)
        assert rec.status == "failed" and "Injected: bad batch 42" in (rec.error or "")
        assert not rec.has_results
        assert sb.jobs_created == 1
        assert_no_leak(sb)


@pytest.mark.timeout(30)
def test_job_cancelled_elsewhere_is_a_clear_error(tmp_path):
    c = get_case("job-cancelled-elsewhere")
    with Sandbox(processing_delay=1.5) as sb:
        other = sb.client()

        def progress(event: Any) -> None:
            if event.stage == "processing" and event.job_id and not cancelled:
                cancelled.append(other.cancel_job(event.job_id))

        cancelled: list[Any] = []
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            check_compliance(
                frame(),
                client=sb.client(sleep=fast_sleep),
                ledger_path=tmp_path / "ledger.sqlite3",
                progress=progress,
            )
        assert sb.created_job_ids[0] in str(info.value) and c.fragment in str(info.value)
        assert _ledger_record(tmp_path, sb).status == "failed"
        assert_no_leak(sb)


@pytest.mark.timeout(30)
def test_job_expired_before_download_is_a_clear_error(tmp_path):
    c = get_case("job-expired-before-download")
    with Sandbox(processing_delay=0.3, expire_complete_jobs=True, download_window=0.2) as sb:
        with pytest.raises(getattr(exc_mod, c.outcome)) as info:
            run(sb, tmp_path)
        assert sb.created_job_ids[0] in str(info.value) and c.fragment in str(info.value)
        rec = _ledger_record(tmp_path, sb)
        assert rec.status == "expired" and not rec.has_results
        assert sb.jobs_created == 1
        assert_no_leak(sb)


@pytest.mark.parametrize("mode", MODES)
def test_download_cut_halfway_is_resumed_with_range(mode, tmp_path):
    c = get_case("download-cut")
    # about 1.9 MB of results: the client keeps whole 1 MiB blocks, so the cut is past one
    ids = [1_600_000_000_000_000_000 + 15_485_863 * i for i in range(15_000)]
    with world(mode, rates={"tweets": {"deleted": 0.9}}) as sb:
        plan(sb, c)
        out, events = run(sb, tmp_path, df=frame(ids))
        assert joined_rows(out) == expected_rows(sb, ids)
        downloads = [r for r in sb.requests_log if r["route"] == "download"]
        assert [r["dropped"] for r in downloads] == [True, False]
        assert downloads[1]["status"] == 206  # the rest, by Range
        assert sb.job_state(sb.created_job_ids[0])["results_bytes"] > 1_100_000
        assert any(e.stage == "retrying" for e in events)
        assert_no_leak(sb)


def test_no_retry_loop_is_endless_when_the_api_stays_down(tmp_path):
    """Every GET fails: the run gives up with a clear error after max_retries."""
    with Sandbox(processing_delay=0) as sb:
        sb.faults.add("get", "503", times=1000)
        client = sb.client(sleep=fast_sleep, max_retries=3)
        with pytest.raises(exc_mod.APIError, match="503"):
            run(sb, tmp_path, client=client)
        gets = [r for r in sb.requests_log if r["route"] == "get"]
        assert len(gets) == 4  # 1 + 3 retries
        assert _ledger_record(tmp_path, sb).status != "complete"
        assert_no_leak(sb)
