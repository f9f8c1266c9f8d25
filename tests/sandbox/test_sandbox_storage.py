"""The sandbox's signed storage URLs: plain and resumable uploads, ranged downloads, refusals."""

from __future__ import annotations

import requests
from _sandbox_helpers import TEXT, create_job, run_job, upload, wait_status

BLOCK = 262_144


def _id_file(n_bytes: int) -> bytes:
    """Distinct IDs, one per line, at least ``n_bytes`` long."""
    lines = []
    size, i = 0, 0
    while size < n_bytes:
        line = f"{1300000000000000000 + i * 104729}\n"
        lines.append(line)
        size += len(line)
        i += 1
    return "".join(lines).encode()


def _start_session(job: dict) -> requests.Response:
    return requests.post(
        job["upload_url"],
        headers={**TEXT, "x-goog-resumable": "start", "Content-Length": "0"},
        timeout=10,
    )


def test_upload_with_wrong_or_missing_content_type_is_refused(sandbox):
    job = create_job(sandbox)
    for headers in ({"Content-Type": "application/octet-stream"}, {}):
        response = requests.put(job["upload_url"], data=b"20\n", headers=headers, timeout=10)
        assert response.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    assert sandbox.job_state(job["id"])["status"] == "created"


def test_tampered_signature_or_path_is_refused(sandbox):
    job = create_job(sandbox)
    url = job["upload_url"]
    signature = url.rsplit("X-Goog-Signature=", 1)[1]
    forged = url.replace(signature, "0" * len(signature))
    response = requests.put(forged, data=b"20\n", headers=TEXT, timeout=10)
    assert response.status_code == 403 and "SignatureDoesNotMatch" in response.text
    other = url.replace("X-Goog-Expires=900", "X-Goog-Expires=9000")
    assert requests.put(other, data=b"20\n", headers=TEXT, timeout=10).status_code == 403
    # the download URL cannot be used to upload, nor the reverse
    assert requests.put(job["download_url"], data=b"20\n", headers=TEXT).status_code == 404
    assert requests.get(job["upload_url"], timeout=10).status_code == 404


def test_any_storage_request_with_authorization_is_refused_and_recorded(sandbox):
    job = create_job(sandbox)
    leak = {**TEXT, "Authorization": f"Bearer {sandbox.bearer_token}"}
    response = requests.put(job["upload_url"], data=b"20\n", headers=leak, timeout=10)
    assert response.status_code == 403
    assert sandbox.bearer_token not in response.text
    assert sandbox.job_state(job["id"])["status"] == "created"
    assert upload(job, "20\n").status_code == 200
    wait_status(sandbox, job["id"])
    response = requests.get(job["download_url"], headers={"Authorization": "Bearer x"})
    assert response.status_code == 403
    assert [(leak["method"], leak["route"]) for leak in sandbox.auth_leaks] == [
        ("PUT", "upload"),
        ("GET", "download"),
    ]
    assert all("?" not in leak["path"] for leak in sandbox.auth_leaks)
    assert all(sandbox.bearer_token not in str(leak) for leak in sandbox.auth_leaks)


def test_download_before_complete_is_no_such_key(sandbox):
    job = create_job(sandbox)
    response = requests.get(job["download_url"], timeout=10)
    assert response.status_code == 404
    assert "<Code>NoSuchKey</Code>" in response.text


def test_second_upload_after_processing_started_changes_nothing(sandbox):
    job = create_job(sandbox)
    assert upload(job, "20\n21\n").status_code == 200
    wait_status(sandbox, job["id"])
    assert upload(job, "22\n").status_code == 200
    state = sandbox.job_state(job["id"])
    assert (state["uploads"], state["n_ids"], state["status"]) == (2, 2, "complete")


def test_ranged_download(sandbox):
    ids = [str(1265324480517361664 + 15485863 * i) for i in range(3000)]
    _, text = run_job(sandbox, ids)
    whole = text.encode()
    assert len(whole) > 1000
    job_id = sandbox.created_job_ids[0]
    url = requests.get(
        f"{sandbox.url}/2/compliance/jobs/{job_id}",
        headers={"Authorization": f"Bearer {sandbox.bearer_token}"},
    ).json()["data"]["download_url"]
    tail = requests.get(url, headers={"Range": "bytes=1000-"}, timeout=10)
    assert tail.status_code == 206
    assert tail.headers["Content-Range"] == f"bytes 1000-{len(whole) - 1}/{len(whole)}"
    assert tail.content == whole[1000:]
    middle = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert (middle.status_code, middle.content) == (206, whole[10:20])
    beyond = requests.get(url, headers={"Range": f"bytes={len(whole)}-"}, timeout=10)
    assert beyond.status_code == 416


def test_resumable_upload_in_chunks_with_status_query():
    from compliance_nb.sandbox import Sandbox

    body = _id_file(2 * BLOCK + 5000)
    total = len(body)
    with Sandbox(processing_delay=0) as sb:
        job = create_job(sb, resumable=True)
        assert job["resumable"] is True
        assert "content-length%3Bcontent-type%3Bhost%3Bx-goog-resumable" in job["upload_url"]
        # a plain PUT is not what this URL was signed for
        assert upload(job, body).status_code == 403
        start = _start_session(job)
        assert start.status_code == 201
        session = start.headers["Location"]
        assert session.startswith(job["upload_url"] + "&upload_id=")

        def status_query() -> requests.Response:
            return requests.put(
                session, data=b"", headers={"Content-Range": f"bytes */{total}"}, timeout=10
            )

        nothing = status_query()
        assert nothing.status_code == 308 and "Range" not in nothing.headers

        first = requests.put(
            session,
            data=body[:BLOCK],
            headers={"Content-Range": f"bytes 0-{BLOCK - 1}/{total}"},
            timeout=10,
        )
        assert first.status_code == 308
        assert first.headers["Range"] == f"bytes=0-{BLOCK - 1}"
        partial = status_query()
        assert (partial.status_code, partial.headers["Range"]) == (308, f"bytes=0-{BLOCK - 1}")
        assert sb.job_state(job["id"])["status"] == "created"

        # a non-final chunk that is not a multiple of 256 KiB is refused
        odd = requests.put(
            session,
            data=body[BLOCK : BLOCK + 1000],
            headers={"Content-Range": f"bytes {BLOCK}-{BLOCK + 999}/{total}"},
            timeout=10,
        )
        assert odd.status_code == 400

        rest = requests.put(
            session,
            data=body[BLOCK:],
            headers={"Content-Range": f"bytes {BLOCK}-{total - 1}/{total}"},
            timeout=10,
        )
        assert rest.status_code == 200
        assert status_query().status_code == 200
        done = wait_status(sb, job["id"])
        assert done["status"] == "complete"
        assert sb.job_state(job["id"])["upload_bytes"] == total
        lines = requests.get(job["download_url"], timeout=10).text.splitlines()
        uploaded = body.decode().split()
        expected = sb.expected(uploaded, "tweets").drop_nulls("reason")
        assert {line.split('"')[3] for line in lines} == set(expected["id"].to_list())


def test_resumable_whole_file_in_one_put_and_bad_start():
    from compliance_nb.sandbox import Sandbox

    with Sandbox(processing_delay=0) as sb:
        job = create_job(sb, "users", resumable=True)
        no_header = requests.post(job["upload_url"], headers=TEXT, timeout=10)
        assert no_header.status_code == 400
        wrong_type = requests.post(
            job["upload_url"],
            headers={"Content-Type": "application/json", "x-goog-resumable": "start"},
            timeout=10,
        )
        assert wrong_type.status_code == 403
        session = _start_session(job).headers["Location"]
        response = requests.put(session, data=b"783214\n12\n", headers=TEXT, timeout=10)
        assert response.status_code == 200
        assert wait_status(sb, job["id"])["status"] == "complete"
        unknown = job["upload_url"] + "&upload_id=nope"
        assert requests.put(unknown, data=b"1\n", timeout=10).status_code == 404
