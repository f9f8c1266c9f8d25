"""Failing fast and saying what happened: an unreachable host, X's error details, and
cancelling a job that has already ended (the Python API and ``compliance-nb jobs cancel``)."""

from __future__ import annotations

import socket
import time
from typing import Any

import polars as pl
import pytest
import requests

from compliance_nb._exceptions import APIError, JobNotCancellableError
from compliance_nb.api.client import ComplianceClient
from compliance_nb.api.errors import error_from_response
from compliance_nb.cli import main
from compliance_nb.frames.check import check_compliance

#: a behaviour limit, not a measurement: the issue asks for the error within about 10 s
FAIL_FAST = 15.0


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        (f"http://127.0.0.1:{closed_port()}", "the connection was refused"),
        ("http://api.compliance-nb-test.invalid", "the host name cannot be resolved"),
    ],
    ids=["refused", "unresolvable"],
)
def test_an_unreachable_api_fails_within_seconds_and_says_so_at_once(tmp_path, base_url, why):
    client = ComplianceClient(bearer_token="AAAA-test-token", base_url=base_url)
    events: list[Any] = []
    seen_at: list[float] = []

    def progress(event: Any) -> None:
        events.append(event)
        seen_at.append(time.monotonic())

    started = time.monotonic()
    with pytest.raises(APIError) as info:
        check_compliance(
            pl.DataFrame({"id": ["20", "21"]}),
            client=client,
            ledger_path=tmp_path / "l.sqlite3",
            progress=progress,
        )
    took = time.monotonic() - started
    assert took < FAIL_FAST
    message = str(info.value)
    assert "Cannot reach the API" in message and why in message
    assert "AAAA-test-token" not in message
    retries = [e for e in events if e.stage == "retrying"]
    assert len(retries) == 3
    host = base_url.split("//", 1)[1]
    assert retries[0].message.startswith(f"cannot reach {host} ({why}), retrying (1 of 3) in ")
    assert seen_at[events.index(retries[0])] - started < 2.0  # shown at once


def test_timeouts_keep_the_patient_schedule(requests_mock):
    """A read timeout is not a connection-setup failure: it gets the usual retries."""
    url = "https://api.test.example/2/compliance/jobs/1"
    requests_mock.get(url, exc=requests.ReadTimeout("read timed out"))
    sleeps: list[float] = []
    client = ComplianceClient(
        bearer_token="AAAA-test-token",
        base_url="https://api.test.example",
        max_retries=4,
        sleep=sleeps.append,
    )
    with pytest.raises(APIError, match="Could not reach the API"):
        client.get_job("1")
    assert requests_mock.call_count == 5  # max_retries, not the 3 connection retries
    assert sleeps[-1] >= 4.0  # the back-off from 1 s, doubled: 8 s * (0.5 to 1)


def test_an_invalid_request_names_the_parameter():
    response = requests.Response()
    response.status_code = 400
    response._content = (
        b'{"title":"Invalid Request","detail":"One or more parameters to your request was '
        b'invalid.","type":"https://api.x.com/2/problems/invalid-request","errors":[{"parameters":'
        b'{"type":["foo"]},"message":"The `type` value [foo] is not one of [tweets,users]"}]}'
    )
    err = error_from_response(response)
    text = str(err)
    assert "The `type` value [foo] is not one of [tweets,users]" in text
    assert "parameter type=foo" in text
    assert text.startswith("Invalid Request: One or more parameters")


def test_the_sandbox_error_message_reaches_the_user(sandbox):
    client = sandbox.client()
    # a query parameter the route does not take: the sandbox answers like X, 400 + errors[]
    with pytest.raises(APIError) as info:
        client._api.request(
            "GET", "/2/compliance/jobs", "GET /2/compliance/jobs", params={"type": "tweets", "x": 1}
        )
    assert "[x] is not one of" in str(info.value)
    assert "parameter x=1" in str(info.value)


# -- cancelling a job that has ended ------------------------------------------------------------
def completed_job(sb: Any) -> Any:
    client = sb.client()
    job = client.create_job("tweets")
    client.upload(job, ["20", "21"])
    return client.wait(job)


def test_cancelling_a_complete_job_raises_and_changes_nothing(sandbox):
    job = completed_job(sandbox)
    with pytest.raises(JobNotCancellableError, match=f"Job {job.id} is already complete") as info:
        sandbox.client().cancel_job(job.id)
    assert info.value.job.status == "complete"
    assert sandbox.job_state(job.id)["status"] == "complete"
    assert not [r for r in sandbox.requests_log if r["route"] == "cancel"]  # no DELETE sent


def test_cancelling_a_cancelled_job_says_it_already_failed(sandbox):
    client = sandbox.client()
    job = client.create_job("tweets")
    assert client.cancel_job(job.id).status == "failed"
    with pytest.raises(JobNotCancellableError, match="already failed"):
        client.cancel_job(job.id)


def test_cli_jobs_cancel_of_a_complete_job_exits_1_with_the_message(sandbox, monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", sandbox.bearer_token)
    job = completed_job(sandbox)
    rc = main(["jobs", "cancel", job.id, "--api-url", sandbox.url])
    captured = capsys.readouterr()
    assert rc == 1
    assert f"Job {job.id} is already complete; nothing was cancelled." in captured.err
    assert "Cancelled job" not in captured.out


def test_the_terminal_lines_show_the_failed_connection(tmp_path, capsys):
    client = ComplianceClient(bearer_token="AAAA-test-token", base_url="http://127.0.0.1:1")
    with pytest.raises(APIError):
        check_compliance(
            pl.DataFrame({"id": ["20"]}), client=client, ledger_path=tmp_path / "l.sqlite3"
        )
    err = capsys.readouterr().err  # progress="auto" outside a notebook: lines on stderr
    lines = [line for line in err.splitlines() if "cannot reach 127.0.0.1:1" in line]
    assert len(lines) == 3
    assert "the connection was refused), retrying (1 of 3) in " in lines[0]
    assert "retrying in 0 s" not in err


def test_the_widget_shows_the_failed_connection(tmp_path):
    pytest.importorskip("ipywidgets", reason="the notebook panel needs ipywidgets")
    from compliance_nb.display.panel import ProgressPanel

    panel = ProgressPanel()
    shown: list[tuple[str, str]] = []

    def progress(event: Any) -> None:  # the panel, looked at as each retry is reported
        panel(event)
        if event.stage == "retrying":
            shown.extend((row.stage_label.value, row.detail.value) for row in panel.rows)

    client = ComplianceClient(bearer_token="AAAA-test-token", base_url="http://127.0.0.1:1")
    with pytest.raises(APIError):
        check_compliance(
            pl.DataFrame({"id": ["20"]}),
            client=client,
            ledger_path=tmp_path / "l.sqlite3",
            progress=progress,
        )
    want = "cannot reach 127.0.0.1:1 (the connection was refused), retrying (1 of 3) in "
    assert shown[0][0] == "cannot reach the API", shown
    assert shown[0][1].startswith(want), shown
    assert len(shown) == 3
