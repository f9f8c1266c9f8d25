"""End-to-end tests of ComplianceClient against the real sandbox server on 127.0.0.1.

The tests on the ``sb`` fixture run twice: with the signed storage URLs X documents and
with the API host's own upload and download routes (``transfer_urls="api"``). Every test
checks that the sandbox saw no Authorization header on a storage URL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import polars as pl
import pytest
import requests

from compliance_nb import (
    ConflictError,
    JobCancelledError,
    JobFailedError,
    NotFoundError,
    UploadWindowExpiredError,
)
from compliance_nb._events import CancelToken
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.results import read_results
from compliance_nb.sandbox import Sandbox


def tweet_ids(n: int, start: int = 1_265_324_480_517_361_664, step: int = 7919) -> list[str]:
    return [str(start + i * step) for i in range(n)]


def assert_matches_oracle(sb, path, ids, kind) -> pl.DataFrame:
    got = collapse_results(read_results(path)).sort("id")
    want = sb.expected(ids, kind).filter(pl.col("action").is_not_null()).sort("id")
    assert want.height > 0  # the oracle flags some IDs, so the comparison means something
    assert got.equals(want), (got, want)
    return got


@pytest.fixture
def sb(transfer_urls) -> Iterator[Sandbox]:
    """A sandbox handing out each shape of transfer URL in turn (the API's upload route
    speaking the resumable protocol, so that the chunk faults apply); afterwards, no token
    may have reached storage."""
    with Sandbox(processing_delay=0, transfer_urls=transfer_urls, api_resumable="sessions") as box:
        yield box
        assert box.auth_leaks == []


@contextlib.contextmanager
def custom_sandbox(**kw) -> Iterator[Sandbox]:
    kw.setdefault("processing_delay", 0)
    with Sandbox(**kw) as box:
        yield box
        assert box.auth_leaks == []


def fast_client(sb, **kw):
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 10)
    return sb.client(**kw)


# -- the whole lifecycle ------------------------------------------------
def test_run_plain_upload_matches_the_oracle(sb, tmp_path):
    ids = [*tweet_ids(3000), "20", "20"]
    events = []
    path = fast_client(sb).run("tweets", ids, progress=events.append, dest=tmp_path)
    assert path.parent == tmp_path
    assert_matches_oracle(sb, path, ids, "tweets")
    stages = [e.stage for e in events]
    for stage in ("creating", "created", "uploading", "uploaded", "processing", "downloaded"):
        assert stage in stages
    assert stages.index("uploaded") < stages.index("processing") < stages.index("downloaded")
    assert sb.jobs_created == 1


def test_step_by_step_resumable_upload_from_a_file(sb, tmp_path):
    ids = [str(2_000_000_000 + i * 13) for i in range(60_000)]  # ~660 KB: 3 chunks
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n")
    client = fast_client(sb)
    job = client.create_job("users", resumable=True)
    assert job.resumable and job.status == "created"
    client.upload(job, source, chunk_size=256 * 1024)
    done = client.wait(job)
    assert done.status == "complete"
    path = client.download(done, tmp_path / "users.jsonl")
    assert_matches_oracle(sb, path, ids, "users")
    state = sb.job_state(job.id)
    assert state["status"] == "complete"


def test_upload_from_a_binary_file_object(sb, tmp_path):
    ids = tweet_ids(500)
    client = fast_client(sb)
    job = client.create_job("tweets")
    source = tmp_path / "ids.txt"
    source.write_bytes("\n".join(ids).encode())
    with open(source, "rb") as f:
        client.upload(job, f)
    path = client.download(client.wait(job), tmp_path)
    assert_matches_oracle(sb, path, ids, "tweets")


# -- faults: dropped connections, 5xx, rate limits ------------------------------------------------
def test_resumable_upload_resumes_after_a_dropped_connection(sb, tmp_path):
    ids = tweet_ids(60_000)
    sb.faults.add("upload_chunk", "drop", after_bytes=300_000)
    events = []
    client = fast_client(sb)
    job = client.create_job("tweets", resumable=True)
    client.upload(job, ids, progress=events.append, chunk_size=512 * 1024)
    assert "retrying" in [e.stage for e in events]
    assert sb.faults.pending() == []  # the fault really happened
    path = client.download(client.wait(job), tmp_path)
    assert_matches_oracle(sb, path, ids, "tweets")


def test_resumable_upload_resumes_after_a_503(sb, tmp_path):
    ids = tweet_ids(40_000)
    sb.faults.add("upload_chunk", "503")
    client = fast_client(sb)
    job = client.create_job("tweets", resumable=True)
    client.upload(job, ids, chunk_size=256 * 1024)
    path = client.download(client.wait(job), tmp_path)
    assert_matches_oracle(sb, path, ids, "tweets")


def test_plain_upload_retries_after_a_dropped_connection(sb, tmp_path):
    ids = tweet_ids(2000)
    sb.faults.add("upload", "drop")
    path = fast_client(sb).run("tweets", ids, dest=tmp_path)
    assert_matches_oracle(sb, path, ids, "tweets")


def test_download_resumes_after_a_dropped_connection(sb, tmp_path):
    ids = tweet_ids(5000)
    sb.faults.add("download", "drop", after_bytes=1000)
    events = []
    path = fast_client(sb).run("tweets", ids, dest=tmp_path, progress=events.append)
    assert "retrying" in [e.stage for e in events]
    assert sb.faults.pending() == []
    assert_matches_oracle(sb, path, ids, "tweets")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .part left


def test_api_5xx_and_drops_are_retried_without_a_duplicate_job(sb, tmp_path):
    ids = tweet_ids(300)
    sb.faults.add("create", "drop")
    sb.faults.add("create", "503")
    sb.faults.add("get", "500", times=2)
    path = fast_client(sb).run("tweets", ids, dest=tmp_path)
    assert_matches_oracle(sb, path, ids, "tweets")
    assert sb.jobs_created == 1


def test_a_429_waits_for_the_reset_and_goes_on(sb):
    sb.faults.add("get", "429", reset_after=0)
    events = []
    client = fast_client(sb)
    job = client.create_job("tweets")
    client.upload(job, tweet_ids(10))
    assert client.wait(job, on_update=events.append).status == "complete"
    waiting = [e for e in events if e.stage == "waiting"]
    assert waiting and waiting[0].wait_seconds > 0


def test_the_client_budget_keeps_below_the_server_limit():
    with custom_sandbox(rate_limit=4, rate_window=1.0) as box:
        client = fast_client(box, rate_limit=4, rate_window=1.0)
        job = client.create_job("tweets")
        for _ in range(6):
            client.get_job(job.id)
        statuses = [r["status"] for r in box.requests_log if r["route"] == "get"]
        assert len(statuses) == 6 and 429 not in statuses
        client.cancel_job(job.id)


def test_the_server_limit_is_honoured_when_the_client_budget_is_larger():
    with custom_sandbox(rate_limit=3, rate_window=1.0) as box:
        client = fast_client(box)
        job = client.create_job("tweets")
        for _ in range(5):
            assert client.get_job(job.id).id == job.id
        gets = [r for r in box.requests_log if r["route"] == "get"]
        # the remaining=0 header stops the client before the server has to say 429
        assert [r["status"] for r in gets].count(429) == 0
        client.cancel_job(job.id)


# -- job states: expiry, failure, conflict, cancel ------------------------------------------------
def test_upload_window_expired_is_caught_before_sending(sb):
    sb.faults.add("create", "expire_upload")
    client = fast_client(sb)
    job = client.create_job("tweets")
    with pytest.raises(UploadWindowExpiredError):
        client.upload(job, tweet_ids(5))
    assert not [r for r in sb.requests_log if r["route"] == "upload"]


def test_upload_window_expiring_at_the_storage_service(sb):
    client = fast_client(sb)
    job = client.create_job("tweets")
    sb.faults.add("upload", "expire_upload")
    with pytest.raises(UploadWindowExpiredError) as info:
        client.upload(job, tweet_ids(5))
    if sb.transfer_urls == "storage":
        assert info.value.code == "ExpiredToken"
    else:  # the API's route answers a problem document
        assert info.value.status == 403
    assert "Signature" not in str(info.value) or "***" in str(info.value)
    assert "token=" not in str(info.value) or "token=***" in str(info.value)


def test_a_failed_job_raises_with_its_error_text(sb):
    sb.faults.add("processing", "fail", error="The file could not be processed.")
    client = fast_client(sb)
    job = client.create_job("users")
    client.upload(job, ["12", "13"])
    with pytest.raises(JobFailedError) as info:
        client.wait(job)
    assert info.value.error == "The file could not be processed."
    assert "The file could not be processed." in str(info.value)


def test_conflict_then_cancel_frees_the_kind(sb):
    client = fast_client(sb)
    first = client.create_job("tweets")
    with pytest.raises(ConflictError) as info:
        client.create_job("tweets")
    assert info.value.problem == "conflict"
    assert client.create_job("users").type == "users"  # the other kind is independent
    cancelled = client.cancel_job(first.id)
    assert cancelled.status == "failed"
    second = client.create_job("tweets")
    assert second.id != first.id
    listed = {j.id: j.status for j in client.list_jobs("tweets")}
    assert listed[first.id] == "failed" and listed[second.id] == "created"
    assert [j.id for j in client.list_jobs("tweets", status="failed")] == [first.id]


def test_unknown_job_is_not_found(sb):
    with pytest.raises(NotFoundError):
        fast_client(sb).get_job("1234567890123456789")


def test_unknown_job_answered_200_with_errors_is_not_found_too():
    """X does not document whether an unknown job is a 404 or a 200 with ``errors``
    (as other v2 lookups answer); the sandbox can do either and the client takes both."""
    with Sandbox(processing_delay=0, unknown_job="200") as other:
        raw = requests.get(
            f"{other.url}/2/compliance/jobs/1234567890123456789",
            headers={"Authorization": f"Bearer {other.bearer_token}"},
            timeout=10,
        )
        assert raw.status_code == 200
        body = raw.json()
        assert "data" not in body
        assert body["errors"][0]["type"].endswith("/2/problems/resource-not-found")
        with pytest.raises(NotFoundError, match="1234567890123456789"):
            fast_client(other).get_job("1234567890123456789")
    with pytest.raises(ValueError, match="unknown_job"):
        Sandbox(unknown_job="410")


def test_cancelling_a_run_cancels_the_job_on_the_api(sb):
    sb.faults.add("processing", "slow", seconds=30)
    token = CancelToken()
    events = []

    def on_event(event):
        events.append(event)
        if event.stage == "processing":
            token.cancel()

    client = fast_client(sb)
    timer = threading.Timer(10, token.cancel)  # safety net only
    timer.start()
    try:
        with pytest.raises(JobCancelledError) as info:
            client.run("tweets", tweet_ids(20), progress=on_event, cancel=token)
    finally:
        timer.cancel()
    job_id = info.value.job.id
    assert sb.job_state(job_id)["status"] == "failed"
    assert events[-1].stage == "cancelled"


# -- secrets ------------------------------------------------
def test_the_token_goes_to_the_api_only(sb, tmp_path):
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sb.bearer_token}"  # a careless user session
    client = fast_client(sb, session=session)
    client.run("tweets", tweet_ids(100), dest=tmp_path, resumable=True)
    client.run("users", tweet_ids(100), dest=tmp_path)
    assert sb.auth_leaks == []
    assert sb.bearer_token not in repr(client)


def test_debug_logs_of_a_whole_run_hold_no_secret(sb, tmp_path, caplog):
    import logging
    from urllib.parse import parse_qs, urlsplit

    caplog.set_level(logging.DEBUG)
    events = []
    fast_client(sb).run("tweets", tweet_ids(50), dest=tmp_path, progress=events.append)
    job = next(e.job for e in events if e.job is not None)
    signatures = [
        value
        for url in (job.upload_url, job.download_url)
        for key, values in parse_qs(urlsplit(url).query).items()
        if key.lower() in ("x-goog-signature", "signature", "token")
        for value in values
    ]
    assert signatures  # the sandbox signs its URLs
    text = caplog.text + "".join(repr(e) for e in events)
    assert "urllib3" in caplog.text or "compliance_nb" in caplog.text
    for secret in [sb.bearer_token, *signatures]:
        assert secret not in text
