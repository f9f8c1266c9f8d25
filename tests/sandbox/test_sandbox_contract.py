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
