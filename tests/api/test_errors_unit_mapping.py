"""Unit tests of compliance_nb.api.errors: an error answer becomes the matching exception."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from _client_helpers import TOKEN

from compliance_nb import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
)
from compliance_nb.api.errors import error_from_response, json_body

URL = "https://api.test.example/2/compliance/jobs"


def answer(requests_mock, status: int, **kw) -> requests.Response:
    requests_mock.get(URL, status_code=status, **kw)
    return requests.get(URL)


@pytest.mark.parametrize(
    ("status", "ptype", "cls"),
    [
        (404, "about:blank", NotFoundError),
        (400, "https://api.x.com/2/problems/resource-not-found", NotFoundError),
        (409, "about:blank", ConflictError),
        (400, "https://api.twitter.com/2/problems/conflict", ConflictError),
        (429, "about:blank", RateLimitError),
        (400, "https://api.x.com/2/problems/rate-limit", RateLimitError),
        (401, "about:blank", AuthenticationError),
        (403, "about:blank", AuthenticationError),
        (400, "https://api.x.com/2/problems/client-forbidden", AuthenticationError),
        (402, "https://api.x.com/2/problems/credits-depleted", APIError),
        (500, "about:blank", APIError),
    ],
)
def test_status_or_problem_type_chooses_the_class(requests_mock, status, ptype, cls):
    response = answer(requests_mock, status, json={"title": "T", "detail": "D", "type": ptype})
    err = error_from_response(response)
    assert type(err) is cls
    assert (err.status, err.type, err.title, err.detail) == (status, ptype, "T", "D")
    assert str(err).startswith(f"T: D (HTTP {status}).")


def test_an_entry_of_a_200_errors_list_takes_its_status_from_the_entry(requests_mock):
    response = answer(requests_mock, 200, json={})
    problem = {
        "title": "Not Found Error",
        "type": "https://api.x.com/2/problems/resource-not-found",
    }
    err = error_from_response(response, problem)
    assert type(err) is NotFoundError and err.status is None and err.body == problem
    assert "(HTTP 200 with errors)" in str(err)
    err = error_from_response(response, {**problem, "status": 404})
    assert err.status == 404 and "(HTTP 404)" in str(err)


def test_the_legacy_errors_list_is_read(requests_mock):
    response = answer(requests_mock, 400, json={"errors": [{"code": 214, "message": "Bad body"}]})
    err = error_from_response(response)
    assert type(err) is APIError
    assert (err.title, err.detail) == ("Error", "Bad body")


def test_a_body_that_is_not_json_still_gives_the_status(requests_mock):
    err = error_from_response(answer(requests_mock, 502, text="<html>bad gateway</html>"))
    assert err.status == 502 and "The API answered with an error (HTTP 502)." in str(err)


def test_a_rate_limit_error_says_when_the_limit_resets(requests_mock):
    response = answer(
        requests_mock,
        429,
        json={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": "1700000000"},
    )
    err = error_from_response(response)
    assert err.reset_at == datetime.fromtimestamp(1700000000, tz=timezone.utc)
    assert "resets at 22:13:20 UTC" in str(err)
    bad = answer(requests_mock, 429, json={"title": "x"}, headers={"x-rate-limit-reset": "soon"})
    assert error_from_response(bad).reset_at is None


def test_the_mask_is_applied_to_the_message(requests_mock):
    response = answer(requests_mock, 401, json={"title": "Unauthorized", "detail": TOKEN})
    err = error_from_response(response, mask=lambda text: text.replace(TOKEN, "***"))
    assert TOKEN not in str(err) and "***" in str(err)


def test_json_body_of_empty_list_and_broken_answers(requests_mock):
    assert json_body(answer(requests_mock, 200, text="  ")) == {}
    assert json_body(answer(requests_mock, 200, json=[1])) == {"data": [1]}
    with pytest.raises(APIError, match="not JSON") as info:
        json_body(answer(requests_mock, 200, text="{oops"))
    assert info.value.status == 200
