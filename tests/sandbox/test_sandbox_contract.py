"""Contract test: every kind of sandbox job response validates against the official schemas.

The schemas are the project's copy in tests/sandbox/contract/batch_compliance_schemas.json (a subset
of X's OpenAPI document, descriptions removed). Format keywords (``date-time``, ``uri``) are
checked here by hand, since jsonschema skips them without optional packages.

Known difference: the 404 for an unknown job says ``resource_type: "compliance_job"``, which
is outside the ``ResourceNotFoundProblem`` enum (user, tweet, ...): the spec does not say what
the real API answers for an unknown job, so the 404 is checked against ``Problem`` plus the
fields ``ResourceNotFoundProblem`` requires.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from _sandbox_helpers import auth, create, create_job, jobs_url, upload, wait_status
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from compliance_nb.sandbox import Sandbox

CONTRACT = Path(__file__).parent / "contract" / "batch_compliance_schemas.json"
DOCUMENT = json.loads(CONTRACT.read_text())
REGISTRY = Registry().with_resource(
    "urn:contract", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
JOB_FIELDS = set(DOCUMENT["components"]["schemas"]["ComplianceJob"]["properties"])
# fields the spec's prose documents outside the schema: resumable (OAS167), error (failed
# jobs, API reference), estimated_completion (seen by twarc); and the sandbox's own mark
# of simulated results (compliance_nb.api.job.SIMULATED_MARK), which X's jobs never carry
EXTRA_FIELDS = {"resumable", "error", "estimated_completion", "compliance_nb_simulated"}


def validate(instance: object, schema_name: str) -> None:
    schema = {"$ref": f"urn:contract#/components/schemas/{schema_name}"}
    Draft202012Validator(schema, registry=REGISTRY).validate(instance)


def check_job(job: dict) -> None:
    assert set(job) <= JOB_FIELDS | EXTRA_FIELDS, set(job) - JOB_FIELDS
    for key in ("created_at", "upload_expires_at", "download_expires_at"):
        assert DATE_TIME.match(job[key])
    for key in ("upload_url", "download_url"):
        parts = urlsplit(job[key])
        assert parts.scheme in ("http", "https") and parts.netloc
    assert isinstance(job["resumable"], bool)


def check_job_response(response: requests.Response, schema: str) -> dict:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    validate(body, schema)
    check_job(body["data"])
    return body["data"]


def test_contract_file_is_the_projects_own_copy():
    assert "shared" not in CONTRACT.parts
    assert {"ComplianceJob", "Problem", "Get2ComplianceJobsResponse"} <= set(
        DOCUMENT["components"]["schemas"]
    )


def test_the_validator_is_not_toothless():
    job = {
        "id": "1",
        "type": "tweets",
        "status": "created",
        "created_at": "2021-08-11T19:42:55.000Z",
        "upload_url": "https://h/u",
        "upload_expires_at": "2021-08-11T19:57:55.000Z",
        "download_url": "https://h/d",
        "download_expires_at": "2021-08-18T19:42:55.000Z",
    }
    validate({"data": job}, "Get2ComplianceJobsIdResponse")
    with pytest.raises(ValidationError, match="is not one of"):
        validate({"data": {**job, "type": "posts"}}, "Get2ComplianceJobsIdResponse")
    with pytest.raises(ValidationError, match="does not match"):
        validate({"data": {**job, "id": "12345678901234567890"}}, "Get2ComplianceJobsIdResponse")
    with pytest.raises(ValidationError, match="'title' is a required property"):
        validate({"type": "about:blank"}, "Problem")


def test_create_and_get_in_every_status_validate():
    with Sandbox(processing_delay=0.4, upload_window=30) as sb:
        created = check_job_response(create(sb, name="contract"), "CreateComplianceJobResponse")
        assert created["status"] == "created"
        upload(created, "20\n21\n")
        get = requests.get(jobs_url(sb, created["id"]), headers=auth(sb))
        job = check_job_response(get, "Get2ComplianceJobsIdResponse")
        assert job["status"] == "in_progress"
        assert DATE_TIME.match(job["estimated_completion"])
        done = wait_status(sb, created["id"])
        assert done["status"] == "complete"
        get = requests.get(jobs_url(sb, created["id"]), headers=auth(sb))
        check_job_response(get, "Get2ComplianceJobsIdResponse")

        users = create_job(sb, "users", resumable=True)
        cancel = requests.delete(jobs_url(sb, users["id"]), headers=auth(sb))
        cancelled = check_job_response(cancel, "Get2ComplianceJobsIdResponse")
        assert cancelled["status"] == "failed" and cancelled["error"]

        broken = create_job(sb, "users")
        upload(broken, "not an id\n")
        assert wait_status(sb, broken["id"])["status"] == "failed"
        get = requests.get(jobs_url(sb, broken["id"]), headers=auth(sb))
        assert "error" in check_job_response(get, "Get2ComplianceJobsIdResponse")

        listed = requests.get(jobs_url(sb), params={"type": "users"}, headers=auth(sb))
        assert listed.status_code == 200
        validate(listed.json(), "Get2ComplianceJobsResponse")
        assert listed.json()["meta"]["result_count"] == 2
        for job in listed.json()["data"]:
            check_job(job)


def test_expired_job_and_empty_list_validate():
    with Sandbox(processing_delay=0, upload_window=0.2) as sb:
        empty = requests.get(jobs_url(sb), params={"type": "tweets"}, headers=auth(sb))
        validate(empty.json(), "Get2ComplianceJobsResponse")
        assert "data" not in empty.json()
        job = create_job(sb)
        time.sleep(0.3)
        get = requests.get(jobs_url(sb, job["id"]), headers=auth(sb))
        assert check_job_response(get, "Get2ComplianceJobsIdResponse")["status"] == "expired"


def _problem(response: requests.Response, status: int, schema: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    validate(body, "Problem")
    validate(body, schema)
    return body


def test_every_problem_validates():
    with Sandbox(processing_delay=0, rate_limit=3) as sb:
        body = _problem(
            requests.get(jobs_url(sb), params={"type": "tweets"}), 401, "GenericProblem"
        )
        assert body["type"] == "about:blank"

        bad = create(sb, "posts")
        body = _problem(bad, 400, "InvalidRequestProblem")
        assert body["type"].endswith("/2/problems/invalid-request")

        bad_id = requests.get(jobs_url(sb, "abc"), headers=auth(sb))
        _problem(bad_id, 400, "InvalidRequestProblem")

        create_job(sb)
        conflict = create(sb)
        body = _problem(conflict, 409, "ConflictProblem")
        assert body["type"].endswith("/2/problems/conflict")

        missing = requests.get(jobs_url(sb, "1234567890"), headers=auth(sb))
        body = _problem(missing, 404, "GenericProblem")
        assert body["type"].endswith("/2/problems/resource-not-found")
        required = DOCUMENT["components"]["schemas"]["ResourceNotFoundProblem"]["allOf"][1]
        assert set(required["required"]) <= set(body)

        limited = create(sb)
        body = _problem(limited, 429, "GenericProblem")
        assert body["title"] == "Too Many Requests"


# -- the API host's own transfer routes (OpenAPI v2.168) ------------------------------------
V2_168 = DOCUMENT["x-v2.168"]["paths"]


def _route(path: str, method: str) -> dict:
    return V2_168[path][method]


def _token_param(path: str, method: str) -> dict:
    return next(p for p in _route(path, method)["parameters"] if p["name"] == "token")


def test_the_v2_168_routes_are_in_the_contract():
    upload = _route("/2/compliance/jobs/{id}/upload", "put")
    download = _route("/2/compliance/jobs/{id}/download", "get")
    assert _token_param("/2/compliance/jobs/{id}/upload", "put")["required"] is True
    assert _token_param("/2/compliance/jobs/{id}/download", "get")["required"] is True
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert list(download["responses"]["200"]["content"]) == ["application/octet-stream"]
    assert upload["security"] == [{"BearerToken": []}]


def _job_urls_match_the_routes(job: dict) -> None:
    for key, direction in (("upload_url", "upload"), ("download_url", "download")):
        parts = urlsplit(job[key])
        assert parts.path == f"/2/compliance/jobs/{job['id']}/{direction}", job[key]
        query = dict(p.split("=", 1) for p in parts.query.split("&"))
        assert set(query) == {"token"} and len(query["token"]) >= 32


@pytest.mark.parametrize("body_type", ["application/octet-stream", "text/plain"])
def test_api_transfer_routes_answer_in_the_documented_shapes(body_type):
    with Sandbox(processing_delay=0, transfer_urls="api") as sb:
        created = check_job_response(create(sb), "CreateComplianceJobResponse")
        _job_urls_match_the_routes(created)
        answer = requests.put(
            created["upload_url"],
            data=b"20\n21\n",
            headers={**auth(sb), "Content-Type": body_type},
            timeout=10,
        )
        job = check_job_response(answer, "UploadComplianceJobResponse")
        assert job["id"] == created["id"] and job["status"] == "in_progress"
        assert {"x-rate-limit-limit", "x-rate-limit-remaining"} <= set(answer.headers)
        assert wait_status(sb, created["id"])["status"] == "complete"
        results = requests.get(created["download_url"], headers=auth(sb), timeout=10)
        assert results.status_code == 200
        assert results.headers["Content-Type"] == "application/octet-stream"
        assert results.content == sb._results_path(created["id"]).read_bytes()
        cancel = requests.delete(jobs_url(sb, create_job(sb, "users")["id"]), headers=auth(sb))
        check_job_response(cancel, "CancelComplianceJobResponse")


def test_api_transfer_routes_refuse_in_the_problem_format():
    with Sandbox(processing_delay=0, transfer_urls="api", rate_limit=3) as sb:
        job = create_job(sb)
        up, down = job["upload_url"], job["download_url"]
        text = {"Content-Type": "text/plain"}
        _problem(requests.put(up, data=b"20\n", headers=text), 401, "GenericProblem")
        wrong = up.replace("token=", "token=x")
        body = _problem(
            requests.put(wrong, data=b"20\n", headers={**auth(sb), **text}), 403, "GenericProblem"
        )
        assert "token" in body["detail"]
        swapped = f"{up.split('?')[0]}?{urlsplit(down).query}"  # the download token
        _problem(requests.put(swapped, data=b"", headers={**auth(sb), **text}), 403, "Problem")
        missing = up.replace(job["id"], "1234567890")
        body = _problem(requests.put(missing, headers={**auth(sb), **text}), 404, "GenericProblem")
        assert body["type"].endswith("/2/problems/resource-not-found")
        answers = [requests.get(down, headers=auth(sb)) for _ in range(4)]  # budget: 3
        early = _problem(answers[0], 404, "Problem")  # complete? not yet: nothing uploaded
        assert early["detail"].startswith(f"The results of job {job['id']}")
        limited = answers[3]
        assert _problem(limited, 429, "GenericProblem")["title"] == "Too Many Requests"
        assert limited.headers["x-rate-limit-remaining"] == "0"


def test_api_transfer_routes_switches():
    with Sandbox(
        processing_delay=0,
        transfer_urls="api",
        transfer_auth=False,
        transfer_rate_limit=False,
        rate_limit=1,
    ) as sb:
        job = create_job(sb, resumable=True)
        start = requests.post(job["upload_url"], headers={"x-goog-resumable": "start"})
        body = _problem(start, 405, "GenericProblem")  # api_resumable="single": one PUT
        assert start.headers["Allow"] == "PUT" and body["status"] == 405
        for _ in range(3):  # no bearer, no budget
            answer = requests.put(
                job["upload_url"], data=b"20\n", headers={"Content-Type": "text/plain"}
            )
            assert answer.status_code == 200
        bad_type = requests.put(
            job["upload_url"], data=b"20\n", headers={"Content-Type": "image/png"}
        )
        _problem(bad_type, 415, "Problem")
    with Sandbox(processing_delay=0, transfer_urls="api", api_resumable="sessions") as sb:
        job = create_job(sb, resumable=True)
        plain = requests.put(
            job["upload_url"], data=b"20\n", headers={**auth(sb), "Content-Type": "text/plain"}
        )
        assert _problem(plain, 400, "InvalidRequestProblem")["detail"].startswith(
            f"Job {job['id']}"
        )
        start = requests.post(
            job["upload_url"],
            headers={**auth(sb), "x-goog-resumable": "start", "Content-Type": "text/plain"},
        )
        assert start.status_code == 201
        session = start.headers["Location"]
        assert session.startswith(job["upload_url"] + "&upload_id=")
        done = requests.put(
            session,
            data=b"20\n21\n",
            headers={**auth(sb), "Content-Type": "text/plain", "Content-Range": "bytes 0-5/6"},
        )
        assert check_job_response(done, "UploadComplianceJobResponse")["status"] == "in_progress"
    for bad in ({"transfer_urls": "gcs"}, {"api_resumable": "chunks"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Sandbox(**bad)
