"""Reattach, reuse, splitting and resumable uploads, through check_compliance and the engine,
against the sandbox."""

from __future__ import annotations

import threading
import time
from typing import Any

import polars as pl
import pytest
from _check_helpers import without_source

from compliance_nb._exceptions import ConflictError, JobFailedError
from compliance_nb.frames.check import check_compliance
from compliance_nb.jobs.engine import run_compliance_ids, run_kinds
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.sandbox import Sandbox

IDS = [1_800_000_000_000_000_001 + 104_729 * i for i in range(100)]


def fast_client(sb: Any) -> Any:
    return sb.client(sleep=lambda s: time.sleep(min(s, 0.02)))


def frame() -> pl.DataFrame:
    return pl.DataFrame({"id": [str(v) for v in IDS]})


def oracle_rows(sb: Any, ids: list[int], kind: str = "tweets") -> list[tuple[Any, ...]]:
    return sb.expected(ids, kind).select("action", "reason", "created_at", "redacted_at").rows()


RESULT_COLUMNS = [
    "compliance_action",
    "compliance_reason",
    "compliance_created_at",
    "compliance_redacted_at",
]


def test_second_call_waits_its_turn_and_uses_the_running_job(tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    with Sandbox(processing_delay=2) as sb:
        first: dict[str, Any] = {}

        def run_first() -> None:
            try:
                first["out"] = check_compliance(
                    frame(), client=fast_client(sb), ledger_path=ledger_path, progress=False
                )
            except BaseException as exc:  # surfaced by the assertion below
                first["error"] = exc

        thread = threading.Thread(target=run_first)
        thread.start()
        ledger = Ledger(ledger_path)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the job is uploaded and processing
            if ledger.path.exists() and any(r.status == "in_progress" for r in ledger.all()):
                break
            time.sleep(0.02)
        assert sb.jobs_created == 1
        events: list[Any] = []
        second = check_compliance(
            frame(), client=fast_client(sb), ledger_path=ledger_path, progress=events.append
        )
        thread.join(20)
        assert "error" not in first
        assert sb.jobs_created == 1  # no second job
        stages = [e.stage for e in events]
        # in one process, runs of a kind take turns: the second waits for the first, then
        # reattaches to its job, or takes its results if they were stored by then
        assert "queued" in stages
        assert "reattached" in stages or "cached" in stages
        assert second.select(RESULT_COLUMNS).rows() == oracle_rows(sb, IDS)
        assert without_source(second).equals(without_source(first["out"]))


def test_cached_results_are_reused_without_a_request(sandbox, tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    one = check_compliance(
        frame(), client=fast_client(sandbox), ledger_path=ledger_path, progress=False
    )
    n_requests = len(sandbox.requests_log)
    events: list[Any] = []
    two = check_compliance(
        frame(), client=fast_client(sandbox), ledger_path=ledger_path, progress=events.append
    )
    assert sandbox.jobs_created == 1
    assert len(sandbox.requests_log) == n_requests  # nothing sent at all
    assert "cached" in [e.stage for e in events]
    assert without_source(two).equals(without_source(one))


def test_same_ids_in_another_order_with_duplicates_reuse_the_cache(sandbox, tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    check_compliance(frame(), client=fast_client(sandbox), ledger_path=ledger_path, progress=False)
    shuffled = pl.DataFrame({"id": [IDS[5], *reversed(IDS), None]})
    out = check_compliance(
        shuffled, client=fast_client(sandbox), ledger_path=ledger_path, progress=False
    )
    assert sandbox.jobs_created == 1
    by_id = dict(zip([str(v) for v in IDS], oracle_rows(sandbox, IDS), strict=True))
    want = [by_id[str(v)] if v is not None else (None,) * 4 for v in shuffled["id"].to_list()]
    assert out.select(RESULT_COLUMNS).rows() == want


def test_cache_false_and_max_age_make_a_new_job(sandbox, tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    kw = {"client": fast_client(sandbox), "ledger_path": ledger_path, "progress": False}
    one = check_compliance(frame(), **kw)
    two = check_compliance(frame(), cache=False, **kw)
    assert sandbox.jobs_created == 2
    three = check_compliance(frame(), max_age=0, **kw)
    assert sandbox.jobs_created == 3
    one, two, three = (without_source(f) for f in (one, two, three))
    assert one.equals(two) and two.equals(three)


def test_failed_job_is_replaced_on_the_next_call(sandbox, tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    kw = {"client": fast_client(sandbox), "ledger_path": ledger_path, "progress": False}
    sandbox.faults.add("processing", "fail")
    with pytest.raises(JobFailedError):
        check_compliance(frame(), **kw)
    failed_id = sandbox.created_job_ids[0]
    assert Ledger(ledger_path).get(failed_id).status == "failed"
    out = check_compliance(frame(), **kw)
    assert sandbox.jobs_created == 2
    assert out.select(RESULT_COLUMNS).rows() == oracle_rows(sandbox, IDS)


def test_split_over_several_jobs_gives_the_same_answer(sandbox, tmp_path):
    events: list[Any] = []
    out = check_compliance(
        frame(),
        client=fast_client(sandbox),
        ledger_path=tmp_path / "l.sqlite3",
        max_ids_per_job=30,
        progress=events.append,
    )
    assert sandbox.jobs_created == 4
    sizes = sorted(sandbox.job_state(j)["n_ids"] for j in sandbox.created_job_ids)
    assert sizes == [10, 30, 30, 30]
    assert out.select(RESULT_COLUMNS).rows() == oracle_rows(sandbox, IDS)
    assert {e.parts for e in events if e.stage == "created"} == {4}


def test_resumable_upload_above_the_threshold(sandbox, tmp_path):
    out = check_compliance(
        frame(),
        client=fast_client(sandbox),
        ledger_path=tmp_path / "l.sqlite3",
        resumable_threshold=100,  # bytes; the file is ~2 KB
        progress=False,
    )
    state = sandbox.job_state(sandbox.created_job_ids[0])
    assert state["resumable"] is True
    assert state["n_ids"] == len(IDS)
    assert out.select(RESULT_COLUMNS).rows() == oracle_rows(sandbox, IDS)


def test_small_upload_is_not_resumable(sandbox, tmp_path):
    check_compliance(
        frame(), client=fast_client(sandbox), ledger_path=tmp_path / "l.sqlite3", progress=False
    )
    assert sandbox.job_state(sandbox.created_job_ids[0])["resumable"] is False


def test_conflict_with_a_foreign_job_names_it_and_how_to_cancel(sandbox, tmp_path):
    blocking = sandbox.client().create_job("tweets")
    with pytest.raises(ConflictError) as info:
        check_compliance(
            frame(),
            client=fast_client(sandbox),
            ledger_path=tmp_path / "l.sqlite3",
            progress=False,
            on_conflict="raise",
        )
    message = str(info.value)
    assert blocking.id in message
    assert f"cancel_job('{blocking.id}')" in message
    assert f"compliance-nb jobs cancel {blocking.id}" in message
    assert sandbox.bearer_token not in message


def test_error_in_one_kind_surfaces_and_cancels_the_other(tmp_path):
    with Sandbox(processing_delay=30) as sb:  # the users job would take 30 s
        sb.client().create_job("tweets")  # blocks the Tweets job only
        df = pl.DataFrame({"id": ["20", "21"], "author_id": ["5", "6"]})
        started = time.monotonic()
        with pytest.raises(ConflictError):
            check_compliance(
                df,
                user_id_column="author_id",
                client=fast_client(sb),
                ledger_path=tmp_path / "l.sqlite3",
                progress=False,
                on_conflict="raise",
            )
        # the users thread was told to stop rather than waiting for its job to finish
        assert time.monotonic() - started < 10


def test_run_kinds_runs_both_kinds(sandbox, tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite3")
    ids = pl.Series(IDS[:10], dtype=pl.UInt64)
    out = run_kinds({"tweets": ids, "users": ids}, client=fast_client(sandbox), ledger=ledger)
    assert set(out) == {"tweets", "users"}
    for kind, res in out.items():
        want = sandbox.expected(IDS[:10], kind).drop_nulls("action")
        assert res.results.schema["id"] == pl.UInt64  # compact: 8 bytes a result
        got = res.results.with_columns(pl.col("id").cast(pl.String))
        assert sorted(got.rows()) == sorted(want.rows())
        assert res.n_checked == 10 and not res.from_cache


def test_engine_result_for_no_ids_makes_no_job(sandbox, tmp_path):
    res = run_compliance_ids(
        pl.Series([], dtype=pl.UInt64),
        "tweets",
        client=fast_client(sandbox),
        ledger=Ledger(tmp_path / "l"),
    )
    assert res.results.height == 0 and sandbox.jobs_created == 0


def test_complete_job_whose_download_failed_is_downloaded_next_time(sandbox, tmp_path):
    from compliance_nb._exceptions import DownloadError

    ledger_path = tmp_path / "ledger.sqlite3"
    sandbox.faults.add("download", "500", times=50)
    with pytest.raises(DownloadError):
        check_compliance(
            frame(),
            client=sandbox.client(max_retries=0, sleep=lambda s: None),
            ledger_path=ledger_path,
            progress=False,
        )
    job_id = sandbox.created_job_ids[0]
    rec = Ledger(ledger_path).get(job_id)
    assert rec.status == "complete" and not rec.has_results
    sandbox.faults.clear()
    events: list[Any] = []
    out = check_compliance(
        frame(), client=fast_client(sandbox), ledger_path=ledger_path, progress=events.append
    )
    assert sandbox.jobs_created == 1
    assert [e.job_id for e in events if e.stage == "reattached"] == [job_id]
    assert out.select(RESULT_COLUMNS).rows() == oracle_rows(sandbox, IDS)


def test_cancel_stops_waiting_and_keeps_the_job_for_later(tmp_path):
    from compliance_nb._events import CancelToken
    from compliance_nb._exceptions import JobCancelledError

    ledger_path = tmp_path / "ledger.sqlite3"
    with Sandbox(processing_delay=30) as sb:
        token = CancelToken()
        events: list[Any] = []

        def on_event(event: Any) -> None:
            events.append(event)
            if event.stage == "processing":
                token.cancel()

        with pytest.raises(JobCancelledError):
            check_compliance(
                frame(),
                client=fast_client(sb),
                ledger_path=ledger_path,
                progress=on_event,
                cancel=token,
            )
        assert events[-1].stage == "cancelled"
        rec = Ledger(ledger_path).get(sb.created_job_ids[0])
        assert rec.status == "in_progress"  # still there to reattach to


def test_conflict_with_our_own_job_for_the_same_ids_reattaches(sandbox, tmp_path):
    """The ledger's status is out of date (e.g. another process raced us): the API refuses
    a new job, and the running one turns out to be ours for these IDs -> reattach."""
    from compliance_nb.jobs.idset import fingerprint

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    client = fast_client(sandbox)
    job = client.create_job("tweets")
    ids = pl.Series(IDS, dtype=pl.UInt64)
    ledger.record_job(
        job,
        fingerprint=fingerprint(ids, "tweets", client.base_url),
        kind="tweets",
        base_url=client.base_url,
    )
    ledger.update_status(job.id, "failed")  # stale: the API says it is still "created"
    events: list[Any] = []
    res = run_compliance_ids(ids, "tweets", client=client, ledger=ledger, progress=events.append)
    assert sandbox.jobs_created == 1
    assert [j.id for j in res.jobs] == [job.id]
    assert "reattached" in [e.stage for e in events]
    want = sandbox.expected(IDS, "tweets").drop_nulls("action")
    got = res.results.with_columns(pl.col("id").cast(pl.String))
    assert sorted(got.rows()) == sorted(want.rows())
