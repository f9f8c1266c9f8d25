"""Several runs at once against one sandbox, in separate processes and in one process.

The sandbox enforces X's one running job per kind (a second job is refused with 409 while
one is ``created`` or ``in_progress``). Each worker process is a fresh interpreter
(``_concurrent_worker.py``) that reaches the sandbox over loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from compliance_nb._events import CancelToken
from compliance_nb._exceptions import ConflictError, JobCancelledError
from compliance_nb.frames.background import start_compliance
from compliance_nb.frames.check import check_compliance
from compliance_nb.sandbox import Sandbox

WORKER = Path(__file__).with_name("_concurrent_worker.py")
ROOT = Path(__file__).resolve().parents[2]

IDS_A = [str(1_800_000_000_000_000_001 + 104_729 * i) for i in range(60)]
IDS_B = [str(1_700_000_000_000_000_003 + 7_919 * i) for i in range(60)]
IDS_C = [str(1_600_000_000_000_000_007 + 3_571 * i) for i in range(60)]


def start_worker(tmp_path: Path, name: str, spec: dict[str, Any], cache_dir: Path) -> Any:
    spec = {**spec, "out": str(tmp_path / f"{name}.out.json")}
    path = tmp_path / f"{name}.spec.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COMPLIANCE_NB_CACHE_DIR": str(cache_dir)}
    proc = subprocess.Popen([sys.executable, str(WORKER), str(path)], env=env)
    proc.out = Path(spec["out"])  # type: ignore[attr-defined]
    return proc


def finish(proc: Any, timeout: float = 90) -> dict[str, Any]:
    assert proc.wait(timeout) == 0
    answer = json.loads(proc.out.read_text())
    assert "error" not in answer, answer.get("traceback")
    return answer


def oracle(sb: Any, ids: list[str]) -> list[list[str | None]]:
    return [
        [None if v is None else str(v) for v in row] for row in sb.expected(ids, "tweets").rows()
    ]


def check_spec(sb: Any, ids: list[str], ledger: Path, **extra: Any) -> dict[str, Any]:
    return {"url": sb.url, "token": sb.bearer_token, "ids": ids, "ledger": str(ledger), **extra}


def conflicts(sb: Any) -> int:
    return sum(1 for r in sb.requests_log if r["route"] == "create" and r["status"] == 409)


# -- separate processes ---------------------------------------------------------------------
def test_same_ids_in_two_processes_with_one_ledger_make_one_job(tmp_path):
    cache = tmp_path / "cache"
    ledger = cache / "ledger.sqlite3"
    with Sandbox(processing_delay=2) as sb:
        procs = [
            start_worker(tmp_path, name, check_spec(sb, IDS_A, ledger), cache) for name in "ab"
        ]
        answers = [finish(p) for p in procs]
        assert sb.jobs_created == 1
        for answer in answers:
            assert answer["rows"] == oracle(sb, IDS_A)


def wait_for_jobs(sb: Any, n: int, timeout: float = 60) -> None:
    """Until the sandbox has made ``n`` jobs (a process's start can take seconds on a busy
    machine: the other process is started only once the first one's job exists)."""
    deadline = time.monotonic() + timeout
    while sb.jobs_created < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sb.jobs_created >= n


def test_same_ids_in_two_processes_with_two_ledgers_make_one_job(tmp_path):
    with Sandbox(processing_delay=8) as sb:
        procs = []
        for name in "ab":  # another machine each: its own cache folder and ledger
            cache = tmp_path / f"cache-{name}"
            spec = check_spec(sb, IDS_A, cache / "ledger.sqlite3")
            procs.append(start_worker(tmp_path, name, spec, cache))
            wait_for_jobs(sb, 1)  # b starts while a's job runs
        answers = [finish(p) for p in procs]
        assert sb.jobs_created == 1  # the job's name, made from the IDs, found it
        for answer in answers:
            assert answer["rows"] == oracle(sb, IDS_A)
        assert answers[0]["jobs"] == answers[1]["jobs"] == sb.created_job_ids


def test_different_ids_in_two_processes_both_finish_one_after_the_other(tmp_path):
    cache = tmp_path / "cache"
    ledger = cache / "ledger.sqlite3"
    with Sandbox(processing_delay=6) as sb:
        # a short budget window: the waiting process polls every few tenths of a second
        fast = {"rate_limit": 150, "rate_window": 30.0}
        a = start_worker(tmp_path, "a", check_spec(sb, IDS_A, ledger, **fast), cache)
        wait_for_jobs(sb, 1)  # b starts while a's job runs
        b = start_worker(tmp_path, "b", check_spec(sb, IDS_B, ledger, **fast), cache)
        got_a, got_b = finish(a), finish(b)
        assert got_a["rows"] == oracle(sb, IDS_A)
        assert got_b["rows"] == oracle(sb, IDS_B)
        assert sb.jobs_created == 2
        # b found a's job running and said so while it waited
        assert "queued" in got_b["stages"] and "queued" not in got_a["stages"]
        text = " ".join(got_b["messages"])
        assert "waiting for tweets job" in text and "waited" in text


def test_raise_keeps_the_conflict_error_in_another_process(tmp_path):
    with Sandbox(processing_delay=0) as sb:
        blocking = sb.client().create_job("tweets")  # never uploaded: blocks the kind
        cache = tmp_path / "cache"
        spec = check_spec(sb, IDS_B, cache / "l.sqlite3", on_conflict="raise")
        proc = start_worker(tmp_path, "a", spec, cache)
        assert proc.wait(60) == 0
        answer = json.loads(proc.out.read_text())
        assert answer["error"] == "ConflictError"
        assert blocking.id in answer["message"]


def test_the_rate_budget_is_shared_by_two_processes(tmp_path):
    limit, window = 6, 4.0
    cache = tmp_path / "cache"
    with Sandbox(processing_delay=0, rate_limit=limit, rate_window=window) as sb:
        job = sb.client(rate_limit=limit, rate_window=window).create_job("tweets")
        spec = {
            "mode": "polls",
            "url": sb.url,
            "token": sb.bearer_token,
            "rate_limit": limit,
            "rate_window": window,
            "job_id": job.id,
            "n": 8,
            "start_at": time.time() + 4.0,  # after both interpreters have started
        }
        procs = [start_worker(tmp_path, name, spec, cache) for name in "ab"]
        for proc in procs:
            finish(proc, timeout=120)
        gets = [r for r in sb.requests_log if r["route"] == "get"]
        assert len(gets) == 16
        assert [r["status"] for r in gets].count(429) == 0
        # never more than `limit` requests in any `window` seconds, across both processes
        times = sorted(r["time"] for r in gets)
        for i in range(len(times) - limit):
            assert times[i + limit] - times[i] >= window - 0.05


# -- one process ------------------------------------------------------------------------------
def fast_client(sb: Any) -> Any:
    return sb.client(rate_window=30.0)


def test_three_runs_of_one_kind_queue_in_one_process(tmp_path):
    ledger = tmp_path / "l.sqlite3"
    with Sandbox(processing_delay=1) as sb:
        runs = []
        for ids in (IDS_A, IDS_B, IDS_C):
            events: list[Any] = []
            runs.append(
                start_compliance(
                    pl.DataFrame({"id": ids}),
                    client=fast_client(sb),
                    progress=events.append,
                    ledger_path=ledger,
                )
            )
            # the next one starts once this one has its place (a job, or a place in line)
            deadline = time.monotonic() + 20
            while not any(e.stage in ("creating", "queued") for e in events):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        outs = [run.result(timeout=90) for run in runs]
        for ids, out in zip((IDS_A, IDS_B, IDS_C), outs, strict=True):
            rows = out.select(
                "id",
                "compliance_action",
                "compliance_reason",
                "compliance_created_at",
                "compliance_redacted_at",
            ).rows()
            assert [[None if v is None else str(v) for v in r] for r in rows] == oracle(sb, ids)
        assert sb.jobs_created == 3
        assert conflicts(sb) == 0  # they took turns here, none was refused at X
        # in the order they were started
        order = [run.jobs[0].id for run in runs]
        assert order == sb.created_job_ids


def test_tweets_and_users_runs_still_run_side_by_side(tmp_path):
    with Sandbox(processing_delay=2) as sb:
        ledger = tmp_path / "l.sqlite3"
        tweets = start_compliance(
            pl.DataFrame({"id": IDS_A}), client=fast_client(sb), progress=False, ledger_path=ledger
        )
        users = start_compliance(
            pl.DataFrame({"id": IDS_B}),
            kind="users",
            client=fast_client(sb),
            progress=False,
            ledger_path=ledger,
        )
        tweets.result(timeout=60)
        users.result(timeout=60)
        routes = [r["route"] for r in sb.requests_log]
        # both jobs were created before either one's results were downloaded
        assert routes.count("create") == 2
        last_create = max(i for i, route in enumerate(routes) if route == "create")
        assert last_create < routes.index("download")
        assert conflicts(sb) == 0
        kinds = [sb.job_state(j)["type"] for j in sb.created_job_ids]
        assert sorted(kinds) == ["tweets", "users"]


@pytest.mark.parametrize("ending", ["failed", "expired"])
def test_the_waiting_run_goes_on_when_the_other_job_fails_or_expires(tmp_path, ending):
    with Sandbox(processing_delay=2, upload_window=3.0) as sb:
        other = sb.client().create_job("tweets")  # another tool's job
        if ending == "failed":
            sb.faults.add("processing", "fail")
            sb.client().upload(other, IDS_C)  # in_progress for 2 s, then failed
        # else: never uploaded, so it expires when its 3 s upload window closes
        events: list[Any] = []
        out = check_compliance(
            pl.DataFrame({"id": IDS_A}),
            client=fast_client(sb),
            ledger_path=tmp_path / "l.sqlite3",
            progress=events.append,
        )
        assert sb.job_state(other.id)["status"] == ending  # as it ended, not cancelled by us
        assert (
            out["compliance_reason"].to_list() == sb.expected(IDS_A, "tweets")["reason"].to_list()
        )
        queued = [e for e in events if e.stage == "queued"]
        assert queued and all(e.job_id is None for e in queued)
        assert f"job {other.id}" in (queued[0].message or "")
        assert sb.jobs_created == 2


def test_a_wait_is_stopped_by_cancel_and_never_cancels_the_other_job(tmp_path):
    with Sandbox(processing_delay=0) as sb:
        other = sb.client().create_job("tweets")  # blocks for its 15-minute upload window
        run = start_compliance(
            pl.DataFrame({"id": IDS_A}),
            client=fast_client(sb),
            progress=False,
            ledger_path=tmp_path / "l.sqlite3",
        )
        deadline = time.monotonic() + 20
        while conflicts(sb) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert conflicts(sb) >= 1  # it is waiting
        assert run.cancel(timeout=10)
        with pytest.raises(JobCancelledError):
            run.result(timeout=1)
        assert sb.job_state(other.id)["status"] == "created"  # untouched
        assert sb.jobs_created == 1


def test_on_conflict_is_checked_before_anything_is_sent(sandbox, tmp_path):
    with pytest.raises(ValueError, match="on_conflict='later'"):
        check_compliance(
            pl.DataFrame({"id": IDS_A}),
            client=sandbox.client(),
            ledger_path=tmp_path / "l.sqlite3",
            on_conflict="later",
        )
    with pytest.raises(ValueError, match="on_conflict"):
        start_compliance(pl.DataFrame({"id": IDS_A}), client=sandbox.client(), on_conflict=1)
    assert sandbox.requests_log == []


def test_a_cancel_token_stops_a_wait_in_check_compliance(sandbox, tmp_path):
    sandbox.client().create_job("tweets")
    token = CancelToken()
    import threading

    threading.Timer(1.0, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(JobCancelledError):
        check_compliance(
            pl.DataFrame({"id": IDS_A}),
            client=fast_client(sandbox),
            ledger_path=tmp_path / "l.sqlite3",
            progress=False,
            cancel=token,
        )
    assert time.monotonic() - started < 5


def test_raise_still_raises_at_once(sandbox, tmp_path):
    sandbox.client().create_job("tweets")
    with pytest.raises(ConflictError):
        check_compliance(
            pl.DataFrame({"id": IDS_A}),
            client=fast_client(sandbox),
            ledger_path=tmp_path / "l.sqlite3",
            progress=False,
            on_conflict="raise",
        )


def test_the_terminal_lines_say_which_job_the_run_waits_for(tmp_path, capsys):
    with Sandbox(processing_delay=0, upload_window=2.0) as sb:
        other = sb.client().create_job("tweets")  # expires in 2 s, never uploaded
        check_compliance(
            pl.DataFrame({"id": IDS_A}), client=fast_client(sb), ledger_path=tmp_path / "l"
        )
    err = capsys.readouterr().err  # progress="auto" outside a notebook: lines on stderr
    waits = [line for line in err.splitlines() if f"waiting for tweets job {other.id}" in line]
    assert waits, err
    assert f"job {other.id} (created)" in waits[0] and "waited 0 s" in waits[0]
    assert "next check in" in waits[0]


def test_ctrl_c_stops_a_waiting_process_and_leaves_the_other_job_alone(tmp_path):
    with Sandbox(processing_delay=0) as sb:
        other = sb.client().create_job("tweets")  # blocks for its 15-minute upload window
        cache = tmp_path / "cache"
        proc = start_worker(tmp_path, "a", check_spec(sb, IDS_A, cache / "l.sqlite3"), cache)
        deadline = time.monotonic() + 60
        while conflicts(sb) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert conflicts(sb) >= 1  # it is waiting for the other job
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        assert proc.wait(30) == 0
        assert time.monotonic() - stopped < 5
        assert json.loads(proc.out.read_text())["error"] == "KeyboardInterrupt"
        assert sb.job_state(other.id)["status"] == "created"  # untouched
        assert sb.jobs_created == 1
        assert not [r for r in sb.requests_log if r["route"] == "cancel"]


def test_the_cli_takes_on_conflict(tmp_path, monkeypatch, capsys):
    from compliance_nb.cli import main

    source = tmp_path / "ids.csv"
    source.write_text("id\n" + "\n".join(IDS_A[:5]) + "\n")
    with Sandbox(processing_delay=0) as sb:
        monkeypatch.setenv("X_BEARER_TOKEN", sb.bearer_token)
        blocking = sb.client().create_job("tweets")
        argv = ["check", str(source), "--id-column", "id", "-o", str(tmp_path / "out.csv")]
        rc = main([*argv, "--api-url", sb.url, "--on-conflict", "raise"])
        err = capsys.readouterr().err
        assert rc == 1
        # one line, in the shell's words: the job, the flag, the command that cancels it
        (error,) = [line for line in err.splitlines() if "error:" in line]
        assert error.startswith("compliance-nb: error: ")
        assert f"{blocking.id}, is running" in error and "--on-conflict raise" in error
        assert f"compliance-nb jobs cancel {blocking.id}" in error
        assert "ComplianceClient" not in err and "cancel_job(" not in err
        assert main([*argv, "--api-url", sb.url, "--on-conflict", "later"]) == 2


def test_apply_compliance_jsonl_checks_on_conflict_first(sandbox, tmp_path):
    from compliance_nb.jsonl.apply import apply_compliance_jsonl

    source = tmp_path / "raw.jsonl"
    source.write_text('{"data": {"id": "20", "author_id": "5"}}\n')
    with pytest.raises(ValueError, match="on_conflict='never'"):
        apply_compliance_jsonl(
            source, tmp_path / "out.jsonl", client=sandbox.client(), on_conflict="never"
        )
    assert sandbox.requests_log == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_inherit_a_turn_held_by_a_parent_thread(tmp_path):
    from compliance_nb.jobs import turns

    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with turns.kind_turn("http://api.test", "tweets", None, lambda *a: None):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5)
    try:
        pid = os.fork()
        if pid == 0:  # the child: its own turn comes at once
            code = 1
            try:
                token = CancelToken()
                threading.Timer(3, token.cancel).start()
                with turns.kind_turn("http://api.test", "tweets", token, lambda *a: None):
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        thread.join()


def test_a_run_queued_in_this_process_can_be_cancelled_and_the_queue_goes_on(tmp_path):
    ledger = tmp_path / "l.sqlite3"
    with Sandbox(processing_delay=2) as sb:
        events: list[Any] = []
        first = start_compliance(
            pl.DataFrame({"id": IDS_A}), client=fast_client(sb), progress=False, ledger_path=ledger
        )
        wait_for_jobs(sb, 1)
        second = start_compliance(
            pl.DataFrame({"id": IDS_B}),
            client=fast_client(sb),
            progress=events.append,
            ledger_path=ledger,
        )
        deadline = time.monotonic() + 10
        while not any(e.stage == "queued" for e in events) and time.monotonic() < deadline:
            time.sleep(0.02)
        queued = next(e for e in events if e.stage == "queued")
        assert queued.message.startswith("queued behind 1 other tweets run of this session")
        third = start_compliance(  # behind the second, which it passes once that is cancelled
            pl.DataFrame({"id": IDS_C}), client=fast_client(sb), progress=False, ledger_path=ledger
        )
        time.sleep(0.3)
        assert second.cancel(timeout=5)
        with pytest.raises(JobCancelledError):
            second.result(timeout=1)
        first.result(timeout=60)
        third.result(timeout=60)
        assert sb.jobs_created == 2  # the first and the third; the second never made one
        assert conflicts(sb) == 0


def test_results_stored_between_the_looks_are_reused_not_a_new_job(tmp_path, monkeypatch):
    """Another run for the same IDs stores its results in the background after its turn:
    here they land between this run's look at the ledger and its reattach(), which skips a
    job whose results are stored. The run must take them, not make a second job (a race
    seen with two processes on a loaded machine)."""
    from compliance_nb.jobs.part import PartRunner

    ledger = tmp_path / "ledger.sqlite3"
    df = pl.DataFrame({"id": IDS_A})
    with Sandbox(processing_delay=0) as sb:
        first = check_compliance(df, client=sb.client(), ledger_path=ledger, progress=False)
        looks: list[int] = []
        stored = PartRunner.cached

        def not_yet(self, max_age, since=None):  # the results are not there at the first looks
            looks.append(1)
            return None if len(looks) <= 2 else stored(self, max_age, since)

        monkeypatch.setattr(PartRunner, "cached", not_yet)
        again = check_compliance(df, client=sb.client(), ledger_path=ledger, progress=False)
        assert sb.jobs_created == 1
        assert len(looks) == 3
        assert again.drop("compliance_source").equals(first.drop("compliance_source"))
