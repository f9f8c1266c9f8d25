"""Unit tests of the job routes of ComplianceClient (HTTP mocked with requests-mock)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
import requests
from _client_helpers import API, JOBS, TOKEN, FakeClock, all_text, job_body, make_client

from compliance_nb import (
    APIError,
    AuthenticationError,
    ConflictError,
    InputError,
    MissingTokenError,
    NotFoundError,
    RateLimitError,
)
from compliance_nb.api.client import ComplianceClient

JOB_ID = "1425543269983784962"


# -- token, base URL, repr ------------------------------------------------
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"X_BEARER_TOKEN": "x1", "TWITTER_BEARER_TOKEN": "t1", "BEARER_TOKEN": "b1"}, "x1"),
        ({"TWITTER_BEARER_TOKEN": "t1", "BEARER_TOKEN": "b1"}, "t1"),
        ({"BEARER_TOKEN": "b1"}, "b1"),
        ({"X_BEARER_TOKEN": "", "BEARER_TOKEN": "b1"}, "b1"),
    ],
)
def test_token_comes_from_the_environment_in_order(monkeypatch, requests_mock, env, expected):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID)})
    client = ComplianceClient(base_url=API)
    client.get_job(JOB_ID)
    assert requests_mock.last_request.headers["Authorization"] == f"Bearer {expected}"


def test_explicit_token_beats_the_environment(monkeypatch, requests_mock):
    monkeypatch.setenv("X_BEARER_TOKEN", "from-env")
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID)})
    ComplianceClient("explicit", base_url=API).get_job(JOB_ID)
    assert requests_mock.last_request.headers["Authorization"] == "Bearer explicit"


def test_missing_token_is_reported_at_the_first_call_not_at_construction(requests_mock):
    client = ComplianceClient(base_url=API)
    assert client.has_token is False
    with pytest.raises(MissingTokenError) as info:
        client.get_job(JOB_ID)
    for var in ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN"):
        assert var in str(info.value)
    with pytest.raises(MissingTokenError):
        client.create_job("tweets")
    with pytest.raises(MissingTokenError):
        client.run("tweets", ["20"])
    assert requests_mock.call_count == 0


def test_base_url_default_and_environment_override(monkeypatch):
    assert ComplianceClient("t").base_url == "https://api.x.com"
    monkeypatch.setenv("COMPLIANCE_NB_API_URL", "http://127.0.0.1:9/")
    assert ComplianceClient("t").base_url == "http://127.0.0.1:9"
    assert ComplianceClient("t", base_url="https://api.twitter.com").base_url == (
        "https://api.twitter.com"
    )


def test_repr_shows_url_and_masked_token_state_never_the_token():
    with_token = ComplianceClient(TOKEN, base_url=API)
    assert repr(with_token) == f"ComplianceClient(base_url={API!r}, token=set)"
    assert TOKEN not in with_token._repr_html_()
    assert "token=missing" in repr(ComplianceClient(base_url=API))


# -- input checks before any request ------------------------------------------------
@pytest.mark.parametrize("bad", ["abc", "", "12345678901234567890", "12 3", -5, 1.5, None])
def test_bad_job_ids_are_rejected_before_any_request(requests_mock, bad):
    client = make_client()
    with pytest.raises(InputError, match="job ID"):
        client.get_job(bad)
    with pytest.raises(InputError):
        client.cancel_job(bad)
    assert requests_mock.call_count == 0


def test_unknown_kind_names_both_kinds(requests_mock):
    with pytest.raises(InputError) as info:
        make_client().create_job("tweet")
    assert "'tweets'" in str(info.value) and "'users'" in str(info.value)
    with pytest.raises(InputError):
        make_client().list_jobs("posts")
    assert requests_mock.call_count == 0


def test_list_rejects_the_expired_filter_the_api_does_not_have(requests_mock):
    with pytest.raises(InputError, match="expired"):
        make_client().list_jobs("tweets", status="expired")
    assert requests_mock.call_count == 0


# -- the routes ------------------------------------------------
def test_create_job_sends_type_a_unique_name_and_resumable(requests_mock):
    def answer(request, context):
        sent = request.json()
        return {"data": job_body(JOB_ID, name=sent["name"], resumable=sent.get("resumable", False))}

    requests_mock.post(JOBS, json=answer)
    client = make_client()
    job = client.create_job("users", resumable=True)
    first = requests_mock.last_request
    job2 = client.create_job("users")
    sent = first.json()
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent["type"] == "users" and sent["resumable"] is True
    assert sent["name"].startswith("compliance_nb-")
    assert job.name == sent["name"] and job.resumable is True
    assert job2.name != job.name  # generated names are unique
    assert "resumable" not in requests_mock.last_request.json()


def test_create_job_with_name_and_too_long_name(requests_mock):
    requests_mock.post(JOBS, json={"data": job_body(JOB_ID, name="mine")})
    assert make_client().create_job("tweets", name="mine").name == "mine"
    assert requests_mock.last_request.json()["name"] == "mine"
    with pytest.raises(InputError, match="64"):
        make_client().create_job("tweets", name="x" * 65)


def test_get_job_keeps_unknown_fields_and_parses_both_timestamp_forms(requests_mock):
    body = job_body(JOB_ID, status="in_progress", colour="blue")
    body["created_at"] = "2021-08-11T19:42:55+00:00"
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": body})
    job = make_client().get_job(int(JOB_ID))
    assert job.id == JOB_ID and job.status == "in_progress"
    assert job.extra == {"colour": "blue"}
    assert job.created_at == datetime(2021, 8, 11, 19, 42, 55, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "body",
    [
        {
            "errors": [
                {
                    "value": JOB_ID,
                    "detail": f"Could not find job with id: [{JOB_ID}].",
                    "title": "Not Found Error",
                    "resource_type": "job",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ]
        },
        {
            "errors": [
                {
                    "title": "Not Found Error",
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }
            ]
        },
    ],
)
def test_not_found_returned_as_200_with_errors(requests_mock, body):
    requests_mock.get(f"{JOBS}/{JOB_ID}", json=body)
    with pytest.raises(NotFoundError) as info:
        make_client().get_job(JOB_ID)
    assert info.value.problem == "resource-not-found"
    assert "Not Found" in str(info.value)


def test_not_found_as_404_problem(requests_mock):
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        status_code=404,
        json={"title": "Not Found", "type": "about:blank", "status": 404, "detail": "Not Found"},
    )
    with pytest.raises(NotFoundError) as info:
        make_client().get_job(JOB_ID)
    assert info.value.status == 404


def test_list_without_data_is_empty_and_meta_is_optional(requests_mock):
    requests_mock.get(JOBS, json={"meta": {"result_count": 0}})
    assert make_client().list_jobs("tweets") == []
    requests_mock.get(JOBS, text="")
    assert make_client().list_jobs("tweets") == []
    requests_mock.get(JOBS, json={"data": [job_body("1"), job_body("2", status="complete")]})
    jobs = make_client().list_jobs("tweets", status="complete")
    assert [j.id for j in jobs] == ["1", "2"]
    assert requests_mock.last_request.qs == {"type": ["tweets"], "status": ["complete"]}


def test_list_with_data_and_partial_errors_keeps_the_data(requests_mock):
    requests_mock.get(
        JOBS,
        json={"data": [job_body("7")], "errors": [{"title": "Partial", "type": "about:blank"}]},
    )
    assert [j.id for j in make_client().list_jobs("users")] == ["7"]


def test_cancel_job_sends_delete_and_returns_the_failed_job(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID, status="in_progress")})
    requests_mock.delete(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID, status="failed")})
    job = make_client().cancel_job(JOB_ID)
    assert requests_mock.last_request.method == "DELETE"
    assert job.status == "failed"


# -- error bodies ------------------------------------------------
ERROR_CASES = [
    (
        401,
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        AuthenticationError,
        None,
    ),
    (
        403,
        {
            "title": "Unsupported Authentication",
            "detail": "Authenticating with OAuth 1.0a User Context is forbidden for this "
            "endpoint.  Supported authentication types are [OAuth 2.0 Application-Only].",
            "type": "https://api.twitter.com/2/problems/unsupported-authentication",
            "status": 403,
        },
        AuthenticationError,
        "unsupported-authentication",
    ),
    (
        403,
        {
            "client_id": "123",
            "required_enrollment": "Appropriate Level of API Access",
            "registration_url": "https://developer.x.com/en/portal/product",
            "title": "Client Forbidden",
            "detail": "This request must be made using an approved developer account that is "
            "enrolled in the requested endpoint.",
            "reason": "client-not-enrolled",
            "type": "https://api.x.com/2/problems/client-forbidden",
        },
        AuthenticationError,
        "client-forbidden",
    ),
    (
        400,
        {
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.x.com/2/problems/invalid-request",
            "errors": [{"parameters": {"type": ["foo"]}, "message": "bad type"}],
        },
        APIError,
        "invalid-request",
    ),
    (
        409,
        {
            "title": "Conflict",
            "detail": "You cannot create a new job if one is already in progress.",
            "type": "https://api.twitter.com/2/problems/conflict",
        },
        ConflictError,
        "conflict",
    ),
    (
        409,
        {"title": "Conflict", "type": "https://api.x.com/2/problems/conflict"},
        ConflictError,
        "conflict",
    ),
    (
        402,
        {
            "title": "Payment Required",
            "detail": "credits depleted",
            "type": "https://api.x.com/2/problems/credits-depleted",
        },
        APIError,
        "credits-depleted",
    ),
    (
        429,
        {
            "title": "UsageCapExceeded",
            "period": "Monthly",
            "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped",
        },
        RateLimitError,
        "usage-capped",
    ),
]


@pytest.mark.parametrize(("status", "body", "cls", "problem"), ERROR_CASES)
def test_error_bodies_become_the_matching_exception(requests_mock, status, body, cls, problem):
    requests_mock.post(JOBS, status_code=status, json=body)
    with pytest.raises(cls) as info:
        make_client().create_job("tweets")
    err = info.value
    assert type(err) is cls
    assert err.status == status
    assert err.problem == problem or (problem is None and err.type == "about:blank")
    assert err.title == body["title"]
    if "detail" in body:
        assert body["detail"] in str(err)
    assert TOKEN not in all_text(err)
    assert requests_mock.call_count == 1  # errors other than 5xx/429-with-reset: no retry


def test_conflict_message_says_what_to_do(requests_mock):
    requests_mock.post(JOBS, status_code=409, json=ERROR_CASES[4][1])
    with pytest.raises(ConflictError, match="cancel_job"):
        make_client().create_job("tweets")


def test_legacy_error_body(requests_mock):
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        status_code=400,
        json={"errors": [{"code": 214, "message": "Bad request body"}]},
    )
    with pytest.raises(APIError) as info:
        make_client().get_job(JOB_ID)
    assert info.value.status == 400
    assert "Bad request body" in str(info.value)


def test_non_json_error_body(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", status_code=400, text="<html>bad gateway</html>")
    with pytest.raises(APIError) as info:
        make_client().get_job(JOB_ID)
    assert info.value.status == 400


def test_a_token_echoed_by_the_server_is_masked_in_the_error(requests_mock):
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        status_code=401,
        json={"title": "Unauthorized", "detail": f"bad token {TOKEN}", "type": "about:blank"},
    )
    with pytest.raises(AuthenticationError) as info:
        make_client().get_job(JOB_ID)
    assert TOKEN not in str(info.value)


# -- retries ------------------------------------------------
def test_retries_are_bounded(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", status_code=500, json={"title": "Internal Error"})
    with pytest.raises(APIError) as info:
        make_client(max_retries=2).get_job(JOB_ID)
    assert info.value.status == 500
    assert requests_mock.call_count == 3


def test_connection_errors_are_bounded_and_named(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", exc=requests.ConnectionError(f"x {TOKEN}"))
    with pytest.raises(APIError, match="Could not reach the API") as info:
        make_client(max_retries=1).get_job(JOB_ID)
    assert requests_mock.call_count == 2
    assert TOKEN not in all_text(info.value)


def test_429_with_a_reset_beyond_the_cap_raises_rate_limit_error(requests_mock):
    clock = FakeClock()
    reset = int(clock.now) + 3600
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        status_code=429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"},
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(RateLimitError) as info:
        make_client(clock, max_rate_limit_wait=60).get_job(JOB_ID)
    assert info.value.reset_at == datetime.fromtimestamp(reset, tz=timezone.utc)
    assert info.value.status == 429
    assert requests_mock.call_count == 1
    assert clock.sleeps == []


# -- no duplicate jobs ------------------------------------------------
def _created_jobs_list(name: str, created: datetime | None = None):
    return {"data": [job_body("999", name="other"), job_body(JOB_ID, name=name, created=created)]}


@pytest.mark.parametrize(
    "failure",
    [{"exc": requests.ConnectionError("reset")}, {"status_code": 503, "json": {"title": "x"}}],
)
def test_create_after_a_lost_answer_finds_the_job_by_name(requests_mock, failure):
    requests_mock.post(JOBS, [failure, {"json": {"data": job_body("555", name="n")}}])
    requests_mock.get(JOBS, json=_created_jobs_list("mine"))
    events = []
    job = make_client().create_job("tweets", name="mine", progress=events.append)
    assert job.id == JOB_ID
    assert [r.method for r in requests_mock.request_history] == ["POST", "GET"]
    assert requests_mock.request_history[1].qs == {"type": ["tweets"]}
    assert "reattached" in [e.stage for e in events]


def test_create_with_generated_name_looks_up_that_name(requests_mock):
    seen = {}

    def listing(request, context):
        return _created_jobs_list(seen["name"])

    def create(request, context):
        seen["name"] = request.json()["name"]
        raise requests.ConnectionError("lost")

    requests_mock.post(JOBS, json=create)
    requests_mock.get(JOBS, json=listing)
    job = make_client().create_job("tweets")
    assert job.name == seen["name"] and job.id == JOB_ID
    assert requests_mock.call_count == 2


def test_create_retries_the_post_only_when_no_job_was_made(requests_mock):
    requests_mock.post(
        JOBS,
        [{"exc": requests.ConnectionError("x")}, {"json": {"data": job_body("42", name="mine")}}],
    )
    requests_mock.get(JOBS, json={"data": [job_body("999", name="other")]})
    job = make_client().create_job("tweets", name="mine")
    assert job.id == "42"
    assert [r.method for r in requests_mock.request_history] == ["POST", "GET", "POST"]


def test_an_old_job_with_the_same_name_is_not_taken_for_the_new_one(requests_mock):
    old = datetime.now(timezone.utc) - timedelta(days=2)
    requests_mock.post(
        JOBS, [{"exc": requests.ConnectionError("x")}, {"json": {"data": job_body("42")}}]
    )
    requests_mock.get(JOBS, json=_created_jobs_list("mine", created=old))
    assert make_client().create_job("tweets", name="mine").id == "42"


def test_create_is_never_retried_after_a_4xx(requests_mock):
    requests_mock.post(JOBS, status_code=400, json={"title": "Invalid Request"})
    with pytest.raises(APIError):
        make_client().create_job("tweets")
    assert requests_mock.call_count == 1


# -- secrets in logs ------------------------------------------------
def test_no_token_in_log_records(requests_mock, caplog):
    caplog.set_level(logging.DEBUG)
    requests_mock.get(
        f"{JOBS}/{JOB_ID}",
        [
            {"exc": requests.ConnectionError(f"conn {TOKEN}")},
            {"json": {"data": job_body(JOB_ID), "errors": [{"title": f"odd {TOKEN}"}]}},
        ],
    )
    make_client().get_job(JOB_ID)
    assert caplog.records  # the retry and the partial error were logged
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_the_bearer_token_wins_over_session_auth_and_headers(requests_mock):
    session = requests.Session()
    session.auth = ("user", "password")
    session.headers["Authorization"] = "Basic something"
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID)})
    make_client(session=session).get_job(JOB_ID)
    assert requests_mock.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_usage_cap_is_not_waited_for(requests_mock):
    clock = FakeClock()
    requests_mock.post(
        JOBS,
        status_code=429,
        json=ERROR_CASES[-1][1],
        headers={"x-rate-limit-reset": str(int(clock.now) + 5)},
    )
    with pytest.raises(RateLimitError):
        make_client(clock).create_job("tweets")
    assert requests_mock.call_count == 1 and clock.sleeps == []


def test_a_job_without_data_is_an_api_error(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"meta": {}})
    with pytest.raises(APIError, match="no 'data'"):
        make_client().get_job(JOB_ID)


def test_create_is_not_retried_when_the_lookup_fails_too(requests_mock):
    requests_mock.post(JOBS, exc=requests.ConnectionError("lost"))
    requests_mock.get(JOBS, status_code=503, json={"title": "Service Unavailable"})
    with pytest.raises(APIError, match="Could not reach"):
        make_client(max_retries=1).create_job("tweets", name="mine")
    assert [r.method for r in requests_mock.request_history].count("POST") == 1


def test_the_timeout_is_passed_to_api_requests(requests_mock):
    requests_mock.get(f"{JOBS}/{JOB_ID}", json={"data": job_body(JOB_ID)})
    make_client(timeout=3.0).get_job(JOB_ID)
    assert requests_mock.last_request.timeout == 3.0
