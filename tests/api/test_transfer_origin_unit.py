"""Unit tests of where the bearer token goes on uploads and downloads (requests-mock).

The rule (``compliance_nb/api/origin.py``): the token goes with a transfer only when its URL
is one of the API's own routes (the scheme, host and port of ``base_url``, a ``/2/`` path):
X's v2.168 routes ``/2/compliance/jobs/{id}/upload`` and ``.../download``. Signed storage
URLs, other hosts, other ports or schemes, and non-API paths on the API host get none.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from _client_helpers import API, TOKEN, job_body, make_client

from compliance_nb import Job, UploadError, UploadWindowExpiredError
from compliance_nb.api.origin import is_api_route
from compliance_nb.api.storage import TransferContext, storage_session

JOB_ID = "1425543269983784962"
API_UPLOAD = f"{API}/2/compliance/jobs/{JOB_ID}/upload?token=UPTOKENsecret"
API_DOWNLOAD = f"{API}/2/compliance/jobs/{JOB_ID}/download?token=DOWNTOKENsecret"
ELSEWHERE = [
    "https://storage.googleapis.com/twttr-tweet-compliance/1/submission/o?X-Goog-Signature=s",
    "https://api.test.example.evil.example/2/compliance/jobs/1/upload?token=t",
    "https://api.test.example@evil.example/2/compliance/jobs/1/upload?token=t",
    "https://api.test.example:8443/2/compliance/jobs/1/upload?token=t",
    "http://api.test.example/2/compliance/jobs/1/upload?token=t",
    "https://api.test.example/storage/bucket/1/submission/o?X-Goog-Signature=s",
    "https://upload.api.test.example/2/compliance/jobs/1/upload?token=t",
]
BEARER = f"Bearer {TOKEN}"


def job_with(upload_url: str, download_url: str, **kw) -> Job:
    body = job_body(JOB_ID, upload_url=upload_url, download_url=download_url, **kw)
    return Job.from_api(body)


def api_answer(status: str = "in_progress") -> dict:
    return {"data": job_body(JOB_ID, status=status, upload_url=API_UPLOAD)}


def test_the_rule_itself():
    assert is_api_route(API_UPLOAD, API)
    assert is_api_route(f"{API}:443/2/compliance/jobs/1/download", API)
    assert is_api_route(
        "http://127.0.0.1:8765/p/2/compliance/jobs/1/upload", "http://127.0.0.1:8765/p"
    )
    assert not is_api_route(
        "http://127.0.0.1:8765/2/compliance/jobs/1/upload", "http://127.0.0.1:8765/p"
    )
    for url in ELSEWHERE:
        assert not is_api_route(url, API), url
    assert not is_api_route(API_UPLOAD, "not a url")


def test_auth_for_is_the_bearer_on_api_routes_and_a_stripper_elsewhere():
    from compliance_nb.api.session import BearerAuth

    ctx = TransferContext(
        storage_session(), 1.0, 0, lambda a, m: None, api_url=API, bearer=BearerAuth(TOKEN)
    )
    request = requests.Request("PUT", API_UPLOAD, headers={"Authorization": "x"}).prepare()
    assert ctx.auth_for(API_UPLOAD)(request).headers["Authorization"] == BEARER
    for url in ELSEWHERE:
        request = requests.Request("PUT", url, headers={"Authorization": BEARER}).prepare()
        assert "Authorization" not in ctx.auth_for(url)(request).headers, url


def test_plain_upload_and_download_on_the_api_routes_carry_the_token(requests_mock, tmp_path):
    put = requests_mock.put(API_UPLOAD, json=api_answer(), status_code=200)
    get = requests_mock.get(
        API_DOWNLOAD,
        content=b'{"id":"20","action":"delete","reason":"deleted"}\n',
        headers={"Content-Type": "application/octet-stream"},
    )
    client = make_client()
    job = job_with(API_UPLOAD, API_DOWNLOAD)
    after = client.upload(job, ["20", "21"])
    assert put.call_count == 1
    sent = put.last_request
    assert sent.headers["Authorization"] == BEARER
    assert sent.headers["Content-Type"] == "application/octet-stream"
    assert sent.body is not None
    # the upload route's answer updates the job
    assert after.status == "in_progress" and after.id == job.id and job.status == "created"
    done = job_with(API_UPLOAD, API_DOWNLOAD, status="complete")
    path = client.download(done, tmp_path / "r.jsonl")
    assert get.last_request.headers["Authorization"] == BEARER
    assert path.read_bytes().count(b"\n") == 1


@pytest.mark.parametrize("url", ELSEWHERE)
def test_no_token_to_storage_or_any_other_host(requests_mock, tmp_path, url):
    down = url.replace("upload", "download").replace("submission", "delivery")
    put = requests_mock.put(url, status_code=200)
    get = requests_mock.get(down, content=b"")
    client = make_client(session=requests.Session())
    client._api.session.headers["Authorization"] = BEARER  # a careless session default
    job = job_with(url, down)
    assert client.upload(job, ["20"]) == job  # storage answers without a job: unchanged
    assert "Authorization" not in put.last_request.headers
    assert put.last_request.headers["Content-Type"] == "text/plain"
    client.download(job_with(url, down, status="complete"), tmp_path / "r.jsonl")
    assert "Authorization" not in get.last_request.headers
    for request in requests_mock.request_history:
        assert TOKEN not in str(request.headers)


def test_resumable_job_on_the_api_host_falls_back_to_one_put(requests_mock):
    start = requests_mock.post(API_UPLOAD, status_code=405, json={"title": "Method Not Allowed"})
    put = requests_mock.put(API_UPLOAD, json=api_answer(), status_code=200)
    client = make_client()
    after = client.upload(job_with(API_UPLOAD, API_DOWNLOAD, resumable=True), ["20", "21"])
    assert start.call_count == 1 and start.last_request.headers["Authorization"] == BEARER
    assert put.call_count == 1 and "Content-Range" not in put.last_request.headers
    assert put.last_request.headers["Authorization"] == BEARER
    assert after.status == "in_progress"


def test_resumable_job_on_the_api_host_uses_sessions_when_offered(requests_mock):
    session_uri = API_UPLOAD + "&upload_id=SESSIONsecret"
    start = requests_mock.post(API_UPLOAD, status_code=201, headers={"Location": session_uri})
    chunk = requests_mock.put(session_uri, json=api_answer(), status_code=200)
    client = make_client()
    after = client.upload(job_with(API_UPLOAD, API_DOWNLOAD, resumable=True), ["20", "21"])
    assert start.last_request.headers["x-goog-resumable"] == "start"
    assert chunk.last_request.headers["Content-Range"].startswith("bytes 0-")
    assert chunk.last_request.headers["Authorization"] == BEARER
    assert after.status == "in_progress"


def test_a_resumable_storage_url_refusing_the_session_is_not_retried_as_a_put(requests_mock):
    url = ELSEWHERE[0].replace("X-Goog-Signature", "X-Goog-SignedHeaders=x-goog-resumable&Sig")
    requests_mock.post(url, status_code=400, text="<Error><Code>InvalidArgument</Code></Error>")
    put = requests_mock.put(url, status_code=200)
    with pytest.raises(UploadError, match="InvalidArgument"):
        make_client().upload(job_with(url, url, resumable=True), ["20"])
    assert put.call_count == 0  # a 400 falls back on the API's own route only


def test_a_host_that_takes_no_post_gets_one_put_without_the_token(requests_mock):
    url = ELSEWHERE[-1]
    requests_mock.post(url, status_code=405)
    put = requests_mock.put(url, status_code=200)
    make_client().upload(job_with(url, url, resumable=True), ["20"])
    assert put.call_count == 1 and "Authorization" not in put.last_request.headers


def test_refusals_of_the_api_routes_are_clear_and_hold_no_secret(requests_mock):
    client = make_client()
    job = job_with(API_UPLOAD, API_DOWNLOAD)
    requests_mock.put(
        API_UPLOAD,
        status_code=403,
        json={"title": "Forbidden", "detail": "The provided token has expired.", "status": 403},
        headers={"Content-Type": "application/problem+json"},
    )
    with pytest.raises(UploadWindowExpiredError) as info:
        client.upload(job, ["20"])
    assert info.value.status == 403
    requests_mock.put(
        API_UPLOAD,
        status_code=401,
        json={"title": "Unauthorized", "type": "about:blank", "status": 401},
        headers={"Content-Type": "application/problem+json"},
    )
    with pytest.raises(UploadError, match="refused the bearer token") as info401:
        client.upload(job, ["20"])
    for error in (info.value, info401.value):
        assert TOKEN not in str(error) and "UPTOKENsecret" not in str(error)


def test_a_401_from_another_host_says_the_token_stays_with_the_api(requests_mock):
    other = "https://upload.x.example/2/compliance/jobs/1/upload?token=OTHERsecret"
    requests_mock.put(other, status_code=401, json={"title": "Unauthorized"})
    created = datetime.now(timezone.utc) - timedelta(seconds=5)
    job = job_with(other, other, created=created)
    with pytest.raises(UploadError, match="only ever sent to the API's own origin") as info:
        make_client().upload(job, ["20"])
    assert "OTHERsecret" not in str(info.value)
    assert "Authorization" not in requests_mock.last_request.headers


def test_a_redirect_from_the_api_route_to_storage_drops_the_token(requests_mock, tmp_path):
    """Should X's download route answer with a redirect to a signed storage URL, the token
    stays behind (requests drops Authorization when the host changes)."""
    storage = (
        "https://storage.googleapis.com/twttr-tweet-compliance/1/delivery/o?X-Goog-Signature=s"
    )
    requests_mock.get(API_DOWNLOAD, status_code=302, headers={"Location": storage})
    get = requests_mock.get(storage, content=b'{"id":"20","action":"delete","reason":"deleted"}\n')
    done = job_with(API_UPLOAD, API_DOWNLOAD, status="complete")
    path = make_client().download(done, tmp_path / "r.jsonl")
    assert path.read_bytes().endswith(b"\n")
    first, second = requests_mock.request_history[-2:]
    assert first.headers["Authorization"] == BEARER
    assert second.url == storage and "Authorization" not in second.headers
    assert get.call_count == 1
