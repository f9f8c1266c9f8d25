"""Unit tests of the HTTP side of the client: one API call through ApiSession.

The budget, the retries with back-off (and their ``retrying`` events), the 429 waits and
the token's place, with HTTP mocked by requests-mock.
"""

from __future__ import annotations

import pytest
import requests
from _client_helpers import API, JOBS, TOKEN, FakeClock, job_body

from compliance_nb import APIError, JobCancelledError, MissingTokenError
from compliance_nb._events import CancelToken
from compliance_nb.api.job import Job
from compliance_nb.api.session import ApiSession, BearerAuth, backoff_delay, token_from_env

JOB_ID = "1425543269983784962"


def make_session(clock: FakeClock, **kw) -> ApiSession:
    kw.setdefault("backoff", 0.5)
    return ApiSession(TOKEN, API, sleep=clock.sleep, clock=clock.time, **kw)


def test_5xx_and_connection_errors_on_get_are_retried_with_backoff(requests_mock):
    clock = FakeClock()
    events = []
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        [
            {"status_code": 503, "json": {"title": "Service Unavailable"}},
            {"exc": requests.ConnectionError("boom")},
            {"exc": requests.ReadTimeout("slow")},
            {"json": {"data": job_body(JOB_ID)}},
        ],
    )
    api = make_session(clock, backoff=1.0)
    body = api.request("GET", f"/2/compliance/jobs/{JOB_ID}", "r", progress=events.append)
    assert body["data"]["id"] == JOB_ID
    assert requests_mock.call_count == 4
    retry_events = [e for e in events if e.stage == "retrying"]
    assert len(retry_events) == 3
    # exponential back-off with jitter in [0.5, 1] x 1, 2, 4 seconds
    for event, base in zip(retry_events, (1.0, 2.0, 4.0), strict=True):
        assert 0.5 * base <= event.wait_seconds <= base
    assert clock.sleeps == [e.wait_seconds for e in retry_events]
    assert all(TOKEN not in e.message for e in retry_events)


def test_429_waits_until_the_reset_header_then_retries(requests_mock):
    clock = FakeClock()
    events = []
    reset = int(clock.now) + 40
    requests_mock.get(
        JOBS,
        [
            {
                "status_code": 429,
                "json": {"title": "Too Many Requests", "type": "about:blank", "status": 429},
                "headers": {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
            },
            {"json": {"data": [job_body("5")]}},
        ],
    )
    api = make_session(clock)
    jobs = api.request(
        "GET",
        "/2/compliance/jobs",
        "GET /2/compliance/jobs",
        params={"type": "tweets"},
        progress=events.append,
    )
    assert jobs["data"][0]["id"] == "5"
    assert clock.now >= reset  # nothing was sent before the reset
    assert requests_mock.request_history[1].headers["Authorization"] == f"Bearer {TOKEN}"
    waiting = [e for e in events if e.stage == "waiting"]
    assert waiting and waiting[0].wait_seconds >= 40


def test_a_non_idempotent_call_is_not_retried_and_says_it_may_have_arrived(requests_mock):
    requests_mock.post(JOBS, status_code=502, json={"title": "Bad Gateway"})
    with pytest.raises(APIError) as info:
        make_session(FakeClock()).request("POST", "/2/compliance/jobs", "r", idempotent=False)
    assert requests_mock.call_count == 1
    assert info.value.status == 502 and info.value.transient is True


def test_a_client_error_is_not_marked_transient(requests_mock):
    requests_mock.get(JOBS, status_code=400, json={"title": "Invalid Request"})
    with pytest.raises(APIError) as info:
        make_session(FakeClock()).request("GET", "/2/compliance/jobs", "r")
    assert not getattr(info.value, "transient", False)


def test_the_budget_holds_a_call_back_and_says_why(requests_mock):
    clock = FakeClock()
    events = []
    requests_mock.get(JOBS, json={"data": []})
    api = make_session(clock, rate_limit=1, rate_window=30.0)
    api.request("GET", "/2/compliance/jobs", "route", progress=events.append, kind="users")
    api.request("GET", "/2/compliance/jobs", "route", progress=events.append, kind="users")
    waiting = [e for e in events if e.stage == "waiting"]
    assert len(waiting) == 1 and waiting[0].kind == "users"
    assert "1 per 30 s" in waiting[0].message
    assert clock.sleeps and sum(clock.sleeps) >= 30.0


def test_pause_tags_the_retrying_event_with_the_job_and_honours_cancel():
    clock = FakeClock()
    events = []
    api = make_session(clock, backoff=2.0)
    job = Job(id="7", type="users", status="created", name="mine")
    api.pause(1, "PUT failed", events.append, None, job=job)
    (event,) = events
    assert (event.stage, event.kind, event.job_id, event.job_name) == (
        "retrying",
        "users",
        "7",
        "mine",
    )
    assert 1.0 <= event.wait_seconds <= 2.0 and "retry 1 of 5" in event.message
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(JobCancelledError):
        api.pause(2, "PUT failed", None, cancel)


def test_backoff_doubles_and_is_capped():
    assert backoff_delay(0.0, 4) == 0.0
    for attempt in range(1, 6):
        assert 0.5 * 2 ** (attempt - 1) <= backoff_delay(1.0, attempt) <= 2 ** (attempt - 1)
    assert 30.0 <= backoff_delay(1.0, 20) <= 60.0


def test_without_a_token_nothing_is_sent(requests_mock):
    with pytest.raises(MissingTokenError):
        ApiSession("  ", API).request("GET", "/2/compliance/jobs", "r")
    assert requests_mock.call_count == 0


def test_the_auth_never_shows_the_token():
    assert TOKEN not in repr(BearerAuth(TOKEN))


def test_token_from_env_takes_the_first_non_blank(monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "  ")
    monkeypatch.setenv("BEARER_TOKEN", "b1")
    assert token_from_env() == ("b1", "BEARER_TOKEN")
    monkeypatch.delenv("BEARER_TOKEN")
    assert token_from_env() == (None, None)
