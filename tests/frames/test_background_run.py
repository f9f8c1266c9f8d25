"""start_compliance / ComplianceRun: results, errors, cancel (locally and at the API), reattach."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest
from _check_helpers import without_source

from compliance_nb._events import ProgressEvent
from compliance_nb._exceptions import (
    APIError,
    InputError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
)
from compliance_nb.display.reporter import Reporter
from compliance_nb.frames.background import ComplianceRun, start_compliance


def _until(predicate, timeout: float = 20.0) -> None:
    """Poll ``predicate`` (no wall-clock assertion: only a generous safety limit)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


class Collect(Reporter):
    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []
        self.closed_with: list[BaseException | None] = []

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def close(self, error: BaseException | None = None) -> None:
        self.closed_with.append(error)


class FakeClient:
    def __init__(self, fail: bool = False) -> None:
        self.cancelled: list[str] = []
        self.fail = fail

    def cancel_job(self, job_id: str):
        self.cancelled.append(job_id)
        if self.fail:
            raise APIError("cannot cancel")


# -- the thread machinery, with a stand-in for check_compliance -----------------------------


def test_result_and_status_of_a_run_that_succeeds():
    release = threading.Event()

    def target(df, *, progress, cancel):
        progress(ProgressEvent("created", kind="tweets", job_id="1"))
        release.wait(10)
        return df + 1

    rep = Collect()
    run = ComplianceRun(target, progress=rep, args=(41,))
    assert run.status == "running" and not run.done()
    with pytest.raises(JobTimeoutError, match="still running"):
        run.result(timeout=0.01)
    assert "running" in run._repr_html_()
    release.set()
    assert run.result(timeout=10) == 42
    assert run.status == "done" and run.done()
    assert [j.id for j in run.jobs] == ["1"]
    assert rep.closed_with == [None]  # the display was closed once, without error


def test_an_error_is_re_raised_by_result():
    def target(df, *, progress, cancel):
        raise JobFailedError("Job 9 failed: bad file https://s/x?X-Goog-Signature=SECRETSIG")

    rep = Collect()
    run = ComplianceRun(target, progress=rep, args=(None,))
    with pytest.raises(JobFailedError, match="bad file"):
        run.result(timeout=10)
    assert run.status == "failed"
    assert isinstance(run.error, JobFailedError)
    assert rep.closed_with == [run.error]
    assert "SECRETSIG" not in run._repr_html_() and "SECRETSIG" not in repr(run)
    assert "failed" in run._repr_html_()


def test_cancel_stops_the_wait_and_cancels_only_unsettled_jobs_at_the_api():
    def target(df, *, progress, cancel):
        progress(ProgressEvent("created", kind="tweets", job_id="done-1"))
        progress(ProgressEvent("joined", kind="tweets", job_id="done-1"))
        progress(ProgressEvent("created", kind="users", job_id="busy-2"))
        progress(ProgressEvent("processing", kind="users", job_id="busy-2"))
        progress(ProgressEvent("waiting", kind="users", job_id="busy-2", wait_seconds=60))
        while True:
            cancel.sleep(0.05)  # raises JobCancelledError once cancelled

    client = FakeClient()
    run = ComplianceRun(target, progress=Collect(), client=client, args=(None,))
    _until(lambda: any(j.id == "busy-2" for j in run.jobs))
    assert run.cancel(timeout=10) is True
    assert run.status == "cancelled"
    assert client.cancelled == ["busy-2"]  # the joined job is left alone
    busy = next(j for j in run.jobs if j.id == "busy-2")
    assert busy.stage == "processing"  # a wait is not a stage of the job
    with pytest.raises(JobCancelledError):
        run.result()
    assert run.cancel() is True  # a second cancel is harmless
    assert client.cancelled == ["busy-2"]


def test_a_failing_remote_cancel_still_stops_the_run():
    def target(df, *, progress, cancel):
        progress(ProgressEvent("created", kind="tweets", job_id="7"))
        while True:
            cancel.sleep(0.05)

    run = ComplianceRun(target, progress=None, client=FakeClient(fail=True), args=(None,))
    _until(lambda: bool(run.jobs))
    assert run.cancel(timeout=10)
    assert run.status == "cancelled"
    assert len(run.cancel_errors) == 1


def test_bad_input_is_refused_before_anything_starts(sandbox):
    df = pl.DataFrame({"tweet": ["1"]})
    with pytest.raises(InputError, match="Column 'id'"):
        start_compliance(df, client=sandbox.client(), progress=False)
    with pytest.raises(InputError, match="kind"):
        start_compliance(df, "tweet", "posts", client=sandbox.client(), progress=False)
    assert sandbox.jobs_created == 0


# -- against the sandbox ---------------------------------------------------------------------


def _frame(n: int = 150) -> pl.DataFrame:
    from compliance_nb.datasets import sample_tweets

    return sample_tweets(n, seed=5, backend="polars")


def test_background_result_equals_the_blocking_call(sandbox):
    from compliance_nb.frames.check import check_compliance

    df = _frame()
    run = start_compliance(df, client=sandbox.client(), progress=False, cache=False)
    out = run.result(timeout=120)
    assert run.status == "done"
    blocking = check_compliance(df, client=sandbox.client(), progress=False, cache=False)
    assert without_source(out).equals(without_source(blocking))
    assert [j.kind for j in run.jobs] == ["tweets"]
    assert run.jobs[0].stage == "joined"


def test_cancel_ends_the_remote_job(sandbox):
    sandbox.faults.add("processing", "slow", seconds=120)
    run = start_compliance(_frame(), client=sandbox.client(), progress=False)
    _until(lambda: any(j.stage == "processing" for j in run.jobs))
    job_id = run.jobs[0].id
    assert sandbox.job_state(job_id)["status"] == "in_progress"
    assert run.cancel(timeout=20) is True
    assert run.status == "cancelled"
    assert sandbox.job_state(job_id)["status"] == "failed"
    with pytest.raises(JobCancelledError):
        run.result()
    assert "cancelled" in run._repr_html_()


def test_a_second_start_on_the_same_ids_reattaches(sandbox):
    sandbox.faults.add("processing", "slow", seconds=3)
    df = _frame()
    first = start_compliance(df, client=sandbox.client(), progress=False)
    _until(lambda: any(j.stage == "processing" for j in first.jobs))
    second = start_compliance(df, client=sandbox.client(), progress=False)
    a, b = first.result(timeout=120), second.result(timeout=120)
    assert sandbox.jobs_created == 1
    assert [j.id for j in second.jobs] == [j.id for j in first.jobs]
    assert without_source(a).equals(without_source(b))
