"""Fault injection: the next N matching requests misbehave, then the sandbox is well again."""

from __future__ import annotations

import time

import pytest
import requests
from _sandbox_helpers import TEXT, auth, create, create_job, get_job, jobs_url, upload, wait_status

from compliance_nb.sandbox import Sandbox

BLOCK = 262_144


def test_429_fault_carries_a_near_reset_then_passes(sandbox):
    job = create_job(sandbox)
    sandbox.faults.add("get", "429", reset_after=3)
    limited = requests.get(jobs_url(sandbox, job["id"]), headers=auth(sandbox))
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-remaining"] == "0"
    reset = int(limited.headers["x-rate-limit-reset"])
    assert time.time() + 2 < reset <= time.time() + 5
    assert limited.json()["title"] == "Too Many Requests"
    assert requests.get(jobs_url(sandbox, job["id"]), headers=auth(sandbox)).status_code == 200


@pytest.mark.parametrize("fault", ["500", "503"])
def test_server_error_fault_on_create_applies_times_then_stops(sandbox, fault):
    sandbox.faults.add("create", fault, times=2)
    assert [create(sandbox).status_code for _ in range(3)] == [int(fault), int(fault), 200]
    assert sandbox.jobs_created == 1
    assert sandbox.faults.pending() == []


def test_status_override_and_storage_faults_answer_xml(sandbox):
    job = create_job(sandbox)
    sandbox.faults.add("upload", "500", status=502)
    failed = upload(job, "20\n")
    assert failed.status_code == 502 and "<Error>" in failed.text
    assert sandbox.job_state(job["id"])["status"] == "created"
    assert upload(job, "20\n").status_code == 200


def test_drop_closes_the_connection_without_an_answer(sandbox):
    job = create_job(sandbox)
    sandbox.faults.add("get", "drop")
    with pytest.raises(requests.ConnectionError):
        requests.get(jobs_url(sandbox, job["id"]), headers=auth(sandbox), timeout=5)
    assert get_job(sandbox, job["id"])["id"] == job["id"]
    assert sandbox.requests_log[1]["dropped"] is True


def test_drop_after_processing_loses_only_the_answer(sandbox):
    sandbox.faults.add("create", "drop", processed=True)
    with pytest.raises(requests.ConnectionError):
        create(sandbox)
    assert sandbox.jobs_created == 1  # the job exists although the client saw no answer
    assert create(sandbox).status_code == 409
    job = get_job(sandbox, sandbox.created_job_ids[0])
    sandbox.faults.add("upload", "drop", processed=True)
    with pytest.raises(requests.ConnectionError):
        upload(job, "20\n")
    assert sandbox.job_state(job["id"])["uploads"] == 1
    assert wait_status(sandbox, job["id"])["status"] == "complete"


def test_drop_mid_download_then_resume_with_range(sandbox):
    ids = [str(1265324480517361664 + 15485863 * i) for i in range(2000)]
    job = create_job(sandbox)
    upload(job, "\n".join(ids))
    wait_status(sandbox, job["id"])
    whole = requests.get(job["download_url"], timeout=10).content
    sandbox.faults.add("download", "drop", after_bytes=500)
    got = b""
    with (
        pytest.raises(requests.exceptions.ChunkedEncodingError),
        requests.get(job["download_url"], stream=True, timeout=10) as response,
    ):
        assert response.status_code == 200
        for piece in response.iter_content(100):
            got += piece
    assert got == whole[: len(got)] and 0 < len(got) <= 500
    rest = requests.get(job["download_url"], headers={"Range": f"bytes={len(got)}-"})
    assert got + rest.content == whole


def test_drop_mid_resumable_chunk_keeps_whole_blocks():
    body = b"".join(f"{1300000000000000000 + i}\n".encode() for i in range(40000))
    total = len(body)
    assert total > 3 * BLOCK
    with Sandbox(processing_delay=0) as sb:
        job = create_job(sb, resumable=True)
        start = requests.post(
            job["upload_url"], headers={**TEXT, "x-goog-resumable": "start"}, timeout=10
        )
        session = start.headers["Location"]
        sb.faults.add("upload_chunk", "drop", after_bytes=BLOCK + 1000)
        with pytest.raises(requests.ConnectionError):
            requests.put(
                session,
                data=body[: 3 * BLOCK],
                headers={"Content-Range": f"bytes 0-{3 * BLOCK - 1}/{total}"},
                timeout=10,
            )
        status = requests.put(
            session, data=b"", headers={"Content-Range": f"bytes */{total}"}, timeout=10
        )
        assert (status.status_code, status.headers["Range"]) == (308, f"bytes=0-{BLOCK - 1}")
        done = requests.put(
            session,
            data=body[BLOCK:],
            headers={"Content-Range": f"bytes {BLOCK}-{total - 1}/{total}"},
            timeout=10,
        )
        assert done.status_code == 200
        assert wait_status(sb, job["id"])["status"] == "complete"
        assert sb.job_state(job["id"])["n_ids"] == 40000


def test_processing_fail_fault(sandbox):
    sandbox.faults.add("processing", "fail", error="Upstream exploded")
    job = create_job(sandbox)
    upload(job, "20\n")
    failed = wait_status(sandbox, job["id"])
    assert (failed["status"], failed["error"]) == ("failed", "Upstream exploded")
    assert create(sandbox).status_code == 200  # a failed job blocks nothing


def test_processing_slow_fault(sandbox):
    sandbox.faults.add("processing", "slow", seconds=0.5)
    job = create_job(sandbox)
    upload(job, "20\n")
    assert get_job(sandbox, job["id"])["status"] == "in_progress"
    assert wait_status(sandbox, job["id"], timeout=5)["status"] == "complete"


def test_expire_upload_fault_on_upload(sandbox):
    job = create_job(sandbox)
    sandbox.faults.add("upload", "expire_upload")
    late = upload(job, "20\n")
    assert late.status_code == 400 and "ExpiredToken" in late.text
    assert get_job(sandbox, job["id"])["status"] == "expired"


def test_expire_upload_fault_on_create(sandbox):
    sandbox.faults.add("create", "expire_upload")
    job = create_job(sandbox)
    assert get_job(sandbox, job["id"])["status"] == "expired"
    assert upload(job, "20\n").status_code == 400


def test_bad_fault_plans_are_refused(sandbox):
    with pytest.raises(ValueError, match="unknown route"):
        sandbox.faults.add("uplaod", "500")
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.faults.add("get", "404")
    with pytest.raises(ValueError, match="processing"):
        sandbox.faults.add("get", "slow")
    with pytest.raises(ValueError, match="processing"):
        sandbox.faults.add("processing", "500")
    with pytest.raises(ValueError, match="expire_upload"):
        sandbox.faults.add("download", "expire_upload")
    with pytest.raises(ValueError, match="times"):
        sandbox.faults.add("get", "500", times=0)
    assert sandbox.faults.pending() == []
