"""Unit tests of the rate budget and of ComplianceClient.wait (fake clock, mocked HTTP)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from _client_helpers import JOBS, FakeClock, job_body, make_client

from compliance_nb import (
    JobCancelledError,
    JobExpiredError,
    JobFailedError,
    JobTimeoutError,
)
from compliance_nb._events import CancelToken
from compliance_nb.api.ratelimit import RateBudget

JOB_ID = "1425543269983784962"


def max_in_any_window(times: list[float], window: float) -> int:
    """The largest number of timestamps inside any half-open window of ``window`` seconds."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# -- RateBudget ------------------------------------------------
def test_budget_never_exceeds_the_limit_in_any_window():
    clock = FakeClock(start=0.0)
    budget = RateBudget(150, 900.0, clock=clock.time)
    sent = []
    for _ in range(1000):
        budget.acquire("GET /2/compliance/jobs/:id", clock.sleep)
        sent.append(clock.now)
        clock.now += 0.5  # the request itself takes time
    assert max_in_any_window(sent, 900.0) == 150
    assert sent[149] == pytest.approx(149 * 0.5)  # the first 150 go out without waiting
    assert sent[150] == pytest.approx(900.0)  # the 151st waits for the first to age out


def test_budget_counts_routes_separately():
    clock = FakeClock(start=0.0)
    budget = RateBudget(2, 60.0, clock=clock.time)
    for route in ("a", "a", "b", "b"):
        budget.acquire(route, clock.sleep)
    assert clock.sleeps == []
    budget.acquire("a", clock.sleep)
    assert clock.sleeps == [60.0]


def test_budget_honours_remaining_zero_until_reset():
    clock = FakeClock(start=1000.0)
    budget = RateBudget(150, 900.0, clock=clock.time)
    budget.acquire("r", clock.sleep)
    budget.observe("r", {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1300"})
    budget.acquire("r", clock.sleep)
    assert clock.now == 1300.0


def test_budget_adopts_a_lower_remaining_count_from_the_server():
    clock = FakeClock(start=0.0)
    budget = RateBudget(10, 100.0, clock=clock.time)
    budget.acquire("r", clock.sleep)
    budget.observe("r", {"x-rate-limit-remaining": "2", "x-rate-limit-reset": "100"})
    assert budget.used("r") == 8
    budget.acquire("r", clock.sleep)
    budget.acquire("r", clock.sleep)
    assert clock.sleeps == []
    budget.acquire("r", clock.sleep)
    assert clock.sleeps  # the third would have exceeded what the server allows


def test_budget_ignores_garbage_headers():
    budget = RateBudget(5, 10.0, clock=lambda: 0.0)
    budget.observe("r", {"x-rate-limit-remaining": "lots", "x-rate-limit-reset": "soon"})
    assert budget.delay("r") == 0.0


# -- wait() ------------------------------------------------
def _status_sequence(requests_mock, clock, statuses, **job_fields):
    """GET answers with ``statuses`` in turn (the last repeats); records send times."""
    sent: list[float] = []
    it = iter(statuses)
    last = {"status": statuses[-1]}

    def answer(request, context):
        sent.append(clock.now)
        status = next(it, last["status"])
        fields = dict(job_fields)
        return {"data": job_body(JOB_ID, status=status, **fields)}

    requests_mock.get(f"{JOBS}/{JOB_ID}", json=answer)
    return sent


def test_wait_polls_until_complete_and_reports_processing(requests_mock):
    clock = FakeClock()
    events = []
    sent = _status_sequence(requests_mock, clock, ["created", "in_progress", "complete"])
    job = make_client(clock).wait(JOB_ID, on_update=events.append)
    assert job.status == "complete" and len(sent) == 3
    processing = [e for e in events if e.stage == "processing"]
    assert [e.job.status for e in processing] == ["created", "in_progress", "complete"]
    assert processing[0].wait_seconds == pytest.approx(0.25)  # a quick first look
    assert processing[1].elapsed_seconds == pytest.approx(0.25)
    assert processing[1].wait_seconds == pytest.approx(0.5)


def test_wait_polls_fast_first_then_backs_off_to_a_minute(requests_mock):
    clock = FakeClock()
    sent = _status_sequence(requests_mock, clock, ["in_progress"] * 200 + ["complete"])
    make_client(clock).wait(JOB_ID)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    first_minute = [g for a, g in zip(sent, gaps, strict=False) if a - sent[0] < 59]
    assert first_minute and max(first_minute) <= 1.0 + 1e-9
    assert max(gaps) == pytest.approx(60.0)
    assert gaps == sorted(gaps)  # never faster again once it slowed down
    assert max_in_any_window(sent, 900.0) <= 150


def test_wait_uses_the_estimated_completion(requests_mock):
    clock = FakeClock()
    eta = datetime.fromtimestamp(clock.now + 30, tz=timezone.utc)
    sent = _status_sequence(
        requests_mock,
        clock,
        ["in_progress", "complete"],
        estimated_completion=eta.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    make_client(clock).wait(JOB_ID)
    assert sent[1] - sent[0] == pytest.approx(30.0, abs=1.0)


def test_fast_fixed_polling_still_stays_inside_the_budget(requests_mock):
    clock = FakeClock()
    sent = _status_sequence(requests_mock, clock, ["in_progress"] * 400 + ["complete"])
    client = make_client(clock)
    # other calls on the same route count too
    for _ in range(20):
        client.get_job(JOB_ID)
    client.wait(JOB_ID, poll_interval=0.01)
    assert len(sent) == 401
    assert max_in_any_window(sent, 900.0) <= 150


def test_small_custom_budget_is_respected(requests_mock):
    clock = FakeClock()
    sent = _status_sequence(requests_mock, clock, ["in_progress"] * 30 + ["complete"])
    make_client(clock, rate_limit=5, rate_window=60.0).wait(JOB_ID, poll_interval=0.0)
    assert max_in_any_window(sent, 60.0) == 5


def test_wait_raises_job_failed_with_the_error_text(requests_mock):
    clock = FakeClock()
    _status_sequence(
        requests_mock, clock, ["in_progress", "failed"], error="File contains invalid IDs"
    )
    with pytest.raises(JobFailedError) as info:
        make_client(clock).wait(JOB_ID)
    assert info.value.error == "File contains invalid IDs"
    assert "File contains invalid IDs" in str(info.value)
    assert info.value.job.status == "failed"


def test_wait_raises_job_expired(requests_mock):
    clock = FakeClock()
    _status_sequence(requests_mock, clock, ["created", "expired"])
    with pytest.raises(JobExpiredError) as info:
        make_client(clock).wait(JOB_ID)
    assert info.value.job.status == "expired"


def test_wait_times_out_instead_of_looping_forever(requests_mock):
    clock = FakeClock()
    start = clock.now
    sent = _status_sequence(requests_mock, clock, ["in_progress"])
    with pytest.raises(JobTimeoutError) as info:
        make_client(clock).wait(JOB_ID, timeout=300)
    assert info.value.job.status == "in_progress"
    assert clock.now - start == pytest.approx(300.0)
    assert sent[-1] - start <= 300.0


def test_wait_stops_when_cancelled(requests_mock):
    clock = FakeClock()
    token = CancelToken()
    calls = []

    def answer(request, context):
        calls.append(1)
        if len(calls) == 3:
            token.cancel()
        return {"data": job_body(JOB_ID, status="in_progress")}

    requests_mock.get(f"{JOBS}/{JOB_ID}", json=answer)
    with pytest.raises(JobCancelledError):
        make_client(clock).wait(JOB_ID, cancel=token)
    assert len(calls) == 3


def test_cancel_token_sleep_is_used_without_a_sleep_seam(requests_mock):
    from compliance_nb.api.client import ComplianceClient

    token = CancelToken()
    token.cancel()
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID, status="in_progress")})
    client = ComplianceClient("t", base_url=JOBS.rsplit("/2/", 1)[0])
    with pytest.raises(JobCancelledError):
        client.wait(JOB_ID, cancel=token)  # returns at once: the token is already set
    assert requests_mock.call_count == 0


def test_wait_accepts_a_job_object(requests_mock):
    clock = FakeClock()
    _status_sequence(requests_mock, clock, ["complete"])
    from compliance_nb import Job

    created = datetime.now(timezone.utc) - timedelta(minutes=1)
    job = Job.from_api(job_body(JOB_ID, created=created))
    assert make_client(clock).wait(job).status == "complete"


def test_wait_gives_up_on_a_job_that_never_got_its_ids(requests_mock):
    clock = FakeClock()
    old = datetime.now(timezone.utc) - timedelta(minutes=25)
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID, created=old)})
    with pytest.raises(JobExpiredError, match="never received its IDs"):
        make_client(clock).wait(JOB_ID)
    assert requests_mock.call_count == 1
