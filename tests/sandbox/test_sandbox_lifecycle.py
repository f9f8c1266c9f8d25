"""The sandbox's job API over real HTTP: lifecycle, list, cancel, conflicts and errors."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from _sandbox_helpers import (
    TEXT,
    auth,
    create,
    create_job,
    get_job,
    jobs_url,
    run_job,
    upload,
    wait_status,
)

from compliance_nb.sandbox import Sandbox

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
IDS = [str(1265324480517361664 + 7919 * i) for i in range(500)]


def test_create_returns_the_documented_job_fields(sandbox):
    response = create(sandbox, "tweets", name="my-job")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    job = response.json()["data"]
    assert set(job) == {
        "id",
        "type",
        "name",
        "status",
        "resumable",
        "created_at",
        "upload_url",
        "upload_expires_at",
        "download_url",
        "download_expires_at",
        "compliance_nb_simulated",  # the sandbox's mark: its results are simulated
    }
    assert job["compliance_nb_simulated"] is True
    assert re.fullmatch(r"[0-9]{19}", job["id"])
    assert (job["type"], job["name"], job["status"], job["resumable"]) == (
        "tweets",
        "my-job",
        "created",
        False,
    )
    for key in ("created_at", "upload_expires_at", "download_expires_at"):
        assert TIME.match(job[key]), job[key]
    assert "/twttr-tweet-compliance/" in job["upload_url"]
    assert "X-Goog-Expires=900&" in job["upload_url"]
    assert "X-Goog-SignedHeaders=content-type%3Bhost&" in job["upload_url"]
    assert "X-Goog-Expires=604800&" in job["download_url"]
    assert "X-Goog-SignedHeaders=host&" in job["download_url"]
    assert job["upload_url"].startswith(sandbox.url + "/storage/")
    assert sandbox.jobs_created == 1
    assert sandbox.created_job_ids == [job["id"]]


def test_name_is_left_out_when_not_set_and_users_use_their_own_bucket(sandbox):
    job = create_job(sandbox, "users")
    assert "name" not in job
    assert "/twttr-user-compliance/" in job["upload_url"]


def test_windows_follow_created_at(sandbox):
    job = create_job(sandbox)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    import datetime as dt

    created = dt.datetime.strptime(job["created_at"], fmt)
    assert dt.datetime.strptime(job["upload_expires_at"], fmt) - created == dt.timedelta(minutes=15)
    assert dt.datetime.strptime(job["download_expires_at"], fmt) - created == dt.timedelta(days=7)


def test_full_lifecycle_create_upload_poll_download(sandbox):
    job = create_job(sandbox)
    response = upload(job, "\n".join(IDS) + "\n")
    assert response.status_code == 200
    done = wait_status(sandbox, job["id"])
    assert done["status"] == "complete"
    assert "estimated_completion" not in done
    assert done["upload_url"] == job["upload_url"]  # URLs are fixed at creation
    results = requests.get(job["download_url"], timeout=10)
    assert results.status_code == 200
    lines = [json.loads(line) for line in results.text.splitlines()]
    expected = sandbox.expected(IDS, "tweets").drop_nulls("reason")
    assert {line["id"] for line in lines} == set(expected["id"].to_list())
    assert expected.height > 0
    state = sandbox.job_state(job["id"])
    assert (state["n_ids"], state["n_lines"], state["uploads"]) == (500, 500, 1)


def test_in_progress_shows_estimated_completion():
    with Sandbox(processing_delay=30) as sb:
        job = create_job(sb)
        assert upload(job, "20\n21\n").status_code == 200
        seen = get_job(sb, job["id"])
        assert seen["status"] == "in_progress"
        assert TIME.match(seen["estimated_completion"])
    with Sandbox(processing_delay=30, estimated_completion=False) as sb:
        job = create_job(sb)
        upload(job, "20\n")
        assert "estimated_completion" not in get_job(sb, job["id"])


def test_tolerant_upload_blank_lines_crlf_whitespace_duplicates(sandbox):
    body = "  20 \r\n\r\n21\r\n20\n\n   \n1265324480517361664\n"
    job = create_job(sandbox)
    assert upload(job, body).status_code == 200
    assert wait_status(sandbox, job["id"])["status"] == "complete"
    state = sandbox.job_state(job["id"])
    assert (state["n_lines"], state["n_ids"]) == (4, 3)


def test_garbage_lines_fail_the_job_with_an_error_text(sandbox):
    job = create_job(sandbox)
    assert upload(job, "20\nhello\n+5\n21\n").status_code == 200
    failed = wait_status(sandbox, job["id"])
    assert failed["status"] == "failed"
    assert "2 line(s)" in failed["error"] and "'hello'" in failed["error"]
    assert requests.get(job["download_url"], timeout=10).status_code == 404


def test_empty_upload_completes_with_an_empty_results_file(sandbox):
    job = create_job(sandbox)
    assert upload(job, b"").status_code == 200
    assert wait_status(sandbox, job["id"])["status"] == "complete"
    response = requests.get(job["download_url"], timeout=10)
    assert (response.status_code, response.content) == (200, b"")


def test_streamed_chunked_upload_is_accepted(sandbox):
    job = create_job(sandbox)

    def pieces():
        for id_ in IDS:
            yield f"{id_}\n".encode()

    response = requests.put(job["upload_url"], data=pieces(), headers=TEXT, timeout=10)
    assert response.status_code == 200
    wait_status(sandbox, job["id"])
    assert sandbox.job_state(job["id"])["n_ids"] == len(IDS)


def test_list_filters_by_type_and_status_newest_first(sandbox):
    first = create_job(sandbox, "tweets")
    upload(first, "20\n")
    assert wait_status(sandbox, first["id"])["status"] == "complete"
    second = create_job(sandbox, "tweets")
    response = requests.get(jobs_url(sandbox), params={"type": "tweets"}, headers=auth(sandbox))
    body = response.json()
    assert [j["id"] for j in body["data"]] == [second["id"], first["id"]]
    assert body["meta"] == {"result_count": 2}
    response = requests.get(
        jobs_url(sandbox), params={"type": "tweets", "status": "complete"}, headers=auth(sandbox)
    )
    assert [j["id"] for j in response.json()["data"]] == [first["id"]]


def test_list_without_jobs_leaves_data_out(sandbox):
    response = requests.get(jobs_url(sandbox), params={"type": "users"}, headers=auth(sandbox))
    assert response.status_code == 200
    assert response.json() == {"meta": {"result_count": 0}}


@pytest.mark.parametrize(
    "params",
    [{}, {"type": "posts"}, {"type": "tweets", "status": "expired"}, {"type": "tweets", "x": "1"}],
)
def test_list_rejects_bad_parameters(sandbox, params):
    response = requests.get(jobs_url(sandbox), params=params, headers=auth(sandbox))
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert problem["errors"][0]["message"]


def test_second_job_of_a_type_conflicts_while_one_is_open(sandbox):
    first = create_job(sandbox, "tweets")
    response = create(sandbox, "tweets")
    assert response.status_code == 409
    assert response.json()["type"] == "https://api.twitter.com/2/problems/conflict"
    assert first["id"] in response.json()["detail"]
    assert create(sandbox, "users").status_code == 200  # one job per type
    upload(first, "20\n")
    assert get_job(sandbox, first["id"])["status"] in ("in_progress", "complete")
    wait_status(sandbox, first["id"])
    assert create(sandbox, "tweets").status_code == 200
    assert sandbox.jobs_created == 3


def test_created_job_need_not_block_when_configured():
    with Sandbox(processing_delay=0, created_blocks_new_job=False) as sb:
        create_job(sb)
        assert create(sb).status_code == 200


def test_in_progress_job_blocks_even_when_created_does_not():
    with Sandbox(processing_delay=30, created_blocks_new_job=False) as sb:
        job = create_job(sb)
        upload(job, "20\n")
        assert create(sb).status_code == 409


def test_cancel_fails_the_job_and_frees_the_type(sandbox):
    job = create_job(sandbox)
    response = requests.delete(jobs_url(sandbox, job["id"]), headers=auth(sandbox))
    assert response.status_code == 200
    cancelled = response.json()["data"]
    assert cancelled["status"] == "failed"
    assert cancelled["error"] == "Job cancelled by the client"
    assert get_job(sandbox, job["id"])["status"] == "failed"
    assert create(sandbox).status_code == 200


def test_cancel_of_a_complete_job_changes_nothing(sandbox):
    done, _ = run_job(sandbox, ["20"])
    response = requests.delete(jobs_url(sandbox, done["id"]), headers=auth(sandbox))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "complete"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}]
)
def test_missing_or_wrong_token_is_401(sandbox, headers):
    response = requests.get(jobs_url(sandbox), params={"type": "tweets"}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert sandbox.bearer_token not in response.text
    assert response.headers["x-rate-limit-limit"] == "150"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        json.dumps({"type": "posts"}).encode(),
        json.dumps({}).encode(),
        json.dumps({"type": "tweets", "colour": "red"}).encode(),
        json.dumps({"type": "tweets", "name": "x" * 65}).encode(),
        json.dumps({"type": "tweets", "resumable": "yes"}).encode(),
    ],
)
def test_create_rejects_bad_bodies(sandbox, body):
    headers = {**auth(sandbox), "Content-Type": "application/json"}
    response = requests.post(jobs_url(sandbox), data=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["type"].endswith("/2/problems/invalid-request")
    assert sandbox.jobs_created == 0


def test_name_of_64_characters_is_fine(sandbox):
    assert create_job(sandbox, name="x" * 64)["name"] == "x" * 64


def test_bad_job_id_is_400_and_unknown_job_is_404(sandbox):
    bad = requests.get(jobs_url(sandbox, "12ab"), headers=auth(sandbox))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["parameters"] == {"id": ["12ab"]}
    too_long = requests.get(jobs_url(sandbox, "1" * 20), headers=auth(sandbox))
    assert too_long.status_code == 400
    missing = requests.get(jobs_url(sandbox, "1234567890123456789"), headers=auth(sandbox))
    assert missing.status_code == 404
    assert missing.json()["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert missing.json()["resource_id"] == "1234567890123456789"


def test_problem_host_is_configurable():
    with Sandbox(processing_delay=0, problem_host="https://api.x.com") as sb:
        response = requests.get(jobs_url(sb, "1"), headers=auth(sb))
        assert response.json()["type"] == "https://api.x.com/2/problems/resource-not-found"


def test_rate_limit_headers_and_429_per_route():
    with Sandbox(processing_delay=0, rate_limit=3, rate_window=60) as sb:
        seen = []
        for _ in range(4):
            response = requests.get(jobs_url(sb), params={"type": "tweets"}, headers=auth(sb))
            seen.append((response.status_code, response.headers["x-rate-limit-remaining"]))
            assert response.headers["x-rate-limit-limit"] == "3"
            reset = int(response.headers["x-rate-limit-reset"])
            assert time.time() < reset <= time.time() + 61
        assert seen == [(200, "2"), (200, "1"), (200, "0"), (429, "0")]
        assert response.json()["title"] == "Too Many Requests"
        # another route has its own budget
        other = requests.get(jobs_url(sb, "1"), headers=auth(sb))
        assert (other.status_code, other.headers["x-rate-limit-remaining"]) == (404, "2")


def test_rate_window_resets():
    with Sandbox(processing_delay=0, rate_limit=1, rate_window=0.5) as sb:
        params = {"type": "tweets"}
        assert requests.get(jobs_url(sb), params=params, headers=auth(sb)).status_code == 200
        assert requests.get(jobs_url(sb), params=params, headers=auth(sb)).status_code == 429
        time.sleep(0.6)
        assert requests.get(jobs_url(sb), params=params, headers=auth(sb)).status_code == 200


def test_created_job_expires_after_the_upload_window():
    with Sandbox(processing_delay=0, upload_window=0.3) as sb:
        job = create_job(sb)
        time.sleep(0.4)
        assert get_job(sb, job["id"])["status"] == "expired"
        late = upload(job, "20\n")
        assert late.status_code == 400
        assert "<Code>ExpiredToken</Code>" in late.text
        assert create(sb).status_code == 200  # an expired job blocks nothing


def test_complete_job_expires_only_when_configured():
    with Sandbox(processing_delay=0, download_window=0.5, expire_complete_jobs=True) as sb:
        done, _ = run_job(sb, ["20"])
        time.sleep(0.6)
        assert get_job(sb, done["id"])["status"] == "expired"
        late = requests.get(done["download_url"], timeout=10)
        assert late.status_code == 400 and "ExpiredToken" in late.text
    with Sandbox(processing_delay=0, download_window=0.5) as sb:
        done, _ = run_job(sb, ["20"])
        time.sleep(0.6)
        assert get_job(sb, done["id"])["status"] == "complete"


def test_keep_alive_session_reuses_one_connection(sandbox):
    with requests.Session() as session:
        for _ in range(5):
            response = session.get(
                jobs_url(sandbox), params={"type": "tweets"}, headers=auth(sandbox)
            )
            assert response.status_code == 200
    ports = {entry["client_port"] for entry in sandbox.requests_log}
    assert len(sandbox.requests_log) == 5 and len(ports) == 1


def test_requests_log_names_routes(sandbox):
    run_job(sandbox, ["20"])
    routes = [entry["route"] for entry in sandbox.requests_log]
    assert routes[0] == "create" and routes[1] == "upload" and routes[-1] == "download"
    assert all(entry["status"] == 200 for entry in sandbox.requests_log)


def test_public_url_is_used_in_handed_out_urls():
    with Sandbox(processing_delay=0, public_url="https://proxy.example/sb/") as sb:
        assert sb.url == "https://proxy.example/sb"
        # talk to the real port, as the proxy would
        direct = f"http://127.0.0.1:{sb.port}"
        response = requests.post(
            f"{direct}/2/compliance/jobs", json={"type": "tweets"}, headers=auth(sb)
        )
        job = response.json()["data"]
        assert job["upload_url"].startswith("https://proxy.example/sb/storage/")
        assert job["download_url"].startswith("https://proxy.example/sb/storage/")
        # a proxy that strips the prefix, and one that passes it on, both work
        stripped = job["upload_url"].replace("https://proxy.example/sb", direct)
        passed = job["upload_url"].replace("https://proxy.example", direct)
        assert requests.put(stripped, data=b"20\n", headers=TEXT).status_code == 200
        assert requests.put(passed, data=b"20\n", headers=TEXT).status_code == 200
        get = requests.get(f"{direct}/sb/2/compliance/jobs/{job['id']}", headers=auth(sb))
        assert get.status_code == 200


def test_stop_is_clean_and_idempotent():
    sb = Sandbox(processing_delay=0).start()
    url = sb.url
    sb.stop()
    sb.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/2/compliance/jobs", timeout=2)
