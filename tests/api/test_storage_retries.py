"""The retry bookkeeping the transfers share (api/storage): what each transfer says when it
retries and when it gives up, and the shared send loop itself."""

from __future__ import annotations

import pytest
import requests
from _client_helpers import DOWNLOAD_URL, UPLOAD_URL, job_body, make_client

from compliance_nb import DownloadError, Job, UploadError
from compliance_nb.api.storage import TransferContext, retry, send_until_answered

JOB_ID = "1425543269983784962"
SESSION_URI = UPLOAD_URL + "&upload_id=SESSIONsecret"


def _retries(events: list) -> list[str]:
    return [e.message.split(";")[0] for e in events if e.stage == "retrying"]


def test_a_plain_upload_says_what_failed_and_gives_up_with_its_sentence(requests_mock):
    requests_mock.put(
        UPLOAD_URL,
        [{"exc": requests.ConnectionError("reset")}, {"status_code": 503}, {"status_code": 503}],
    )
    events: list = []
    with pytest.raises(UploadError) as info:
        make_client(max_retries=2).upload(
            Job.from_api(job_body(JOB_ID)), ["20"], progress=events.append
        )
    assert _retries(events) == [
        "upload interrupted (ConnectionError)",
        "the upload URL answered HTTP 503",
    ]
    assert str(info.value) == (
        "The upload failed after 2 retries: the upload URL answered HTTP 503. "
        "Check the network and try again (create a new job if the 15-minute window has passed)."
    )
    assert [e.bytes_done for e in events if e.stage == "uploading"] == [0, 0, 0]


def test_a_resumable_session_start_says_what_failed(requests_mock):
    requests_mock.post(
        UPLOAD_URL,
        [
            {"status_code": 429},
            {"exc": requests.ConnectionError("reset")},
            {"status_code": 201, "headers": {"Location": SESSION_URI}},
        ],
    )
    requests_mock.put(SESSION_URI, status_code=200)
    events: list = []
    make_client().upload(
        Job.from_api(job_body(JOB_ID, resumable=True)), ["20"], progress=events.append
    )
    assert _retries(events) == [
        "session start answered 429",
        "session start failed (ConnectionError)",
    ]


def test_a_download_says_what_failed_and_gives_up_with_its_sentence(requests_mock, tmp_path):
    requests_mock.get(
        DOWNLOAD_URL, [{"status_code": 500}, {"exc": requests.ConnectionError("reset")}]
    )
    events: list = []
    with pytest.raises(DownloadError) as info:
        make_client(max_retries=1).download(
            Job.from_api(job_body(JOB_ID, status="complete")),
            tmp_path / "r.jsonl",
            progress=events.append,
        )
    assert _retries(events) == ["download interrupted (HTTP 500)"]
    assert str(info.value).startswith(
        "The download failed after 1 retries (ConnectionError). Check the network"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__


def _ctx(max_retries: int, pauses: list) -> TransferContext:
    return TransferContext(
        session=requests.Session(),
        timeout=1.0,
        max_retries=max_retries,
        pause=lambda n, m: pauses.append((n, m)),
    )


def test_retry_counts_pauses_and_gives_up_past_max_retries():
    pauses: list = []
    ctx = _ctx(2, pauses)
    assert retry(ctx, 0, "a", UploadError("no")) == 1
    assert retry(ctx, 1, "b", UploadError("no")) == 2
    with pytest.raises(UploadError, match="no"):
        retry(ctx, 2, "c", UploadError("no"))
    assert pauses == [(1, "a"), (2, "b")]


class _Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_send_until_answered_retries_drops_and_transient_answers_only():
    answers: list = [requests.ConnectionError(), _Answer(503), _Answer(408), _Answer(404)]
    sent: list = []

    def send():
        answer = answers.pop(0)
        sent.append(answer)
        if isinstance(answer, Exception):
            raise answer
        return answer

    failures: list = []

    def on_failure(n: int, problem: str) -> int:
        failures.append((n, problem))
        return n + 1

    response, count = send_until_answered(
        _ctx(5, []), send, 1, on_failure, "dropped ({})", "answered {}"
    )
    assert response.status_code == 404 and not response.closed  # for the caller to judge
    assert count == 4
    assert failures == [(1, "dropped (ConnectionError)"), (2, "answered 503"), (3, "answered 408")]
    assert sent[1].closed and sent[2].closed  # transient answers are let go
