"""Both worlds, end to end against the sandbox: jobs whose upload and download URLs are
signed storage URLs (X's docs) or the API host's own routes (OpenAPI v2.168,
``Sandbox(transfer_urls="api")``), and jobs whose URLs point at a third host.

``check_compliance`` and ``apply_compliance_jsonl`` give the oracle's verdicts in both
worlds; the token goes to the API's routes (the sandbox refuses them without it) and never
to a third host (a second loopback server that forwards to the sandbox and records every
header it receives).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
import polars as pl
import pytest
import requests
from _faults_helpers import IDS, expected_rows, fast_sleep, joined_rows

from compliance_nb import UploadError
from compliance_nb.datasets import sample_collection
from compliance_nb.frames.check import check_compliance
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.results import read_results
from compliance_nb.jsonl.apply import apply_compliance_jsonl
from compliance_nb.sandbox import Sandbox

_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


class ThirdHost:
    """A second loopback server: forwards every request to ``target`` and records what it
    received (method, path, headers), so a test can say what a third host was sent."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[dict[str, Any]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host.seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                answer = requests.request(
                    self.command,
                    host.target + self.path,
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in _HOP},
                    allow_redirects=False,
                    timeout=30,
                )
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP and key.lower() != "content-encoding":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.content)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ThirdHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def tweet_ids(n: int) -> list[str]:
    return [str(1_265_324_480_517_361_664 + 7919 * i) for i in range(n)]


@pytest.fixture
def sb(transfer_urls: str) -> Iterator[Sandbox]:
    with Sandbox(processing_delay=0, transfer_urls=transfer_urls) as box:
        yield box
        assert box.auth_leaks == []


def routes_seen(sb: Sandbox) -> list[tuple[str, int | None]]:
    return [(r["route"], r["status"]) for r in sb.requests_log if r["route"] != "get"]


# -- both worlds ----------------------------------------------------------------------------
def test_the_jobs_hand_out_the_shape_asked_for(sb, transfer_urls):
    job = sb.client().create_job("tweets")
    assert job.upload_url and job.download_url
    if transfer_urls == "api":
        assert job.upload_url.startswith(f"{sb.url}/2/compliance/jobs/{job.id}/upload?token=")
        assert job.download_url.startswith(f"{sb.url}/2/compliance/jobs/{job.id}/download?token=")
    else:
        assert "/storage/" in job.upload_url and "X-Goog-Signature=" in job.upload_url


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_check_compliance_gives_the_oracles_verdicts(sb, transfer_urls, backend, tmp_path):
    ids = [str(i) for i in IDS]
    df = pl.DataFrame({"id": ids}) if backend == "polars" else pd.DataFrame({"id": ids})
    out = check_compliance(
        df, client=sb.client(sleep=fast_sleep), ledger_path=tmp_path / "l.sqlite3", cache=False
    )
    assert joined_rows(out) == expected_rows(sb, IDS)
    routes = [route for route, _ in routes_seen(sb)]
    assert routes == ["create", "upload", "download"]
    assert all(status == 200 for _, status in routes_seen(sb))


def test_the_upload_answer_updates_the_job(sb, transfer_urls):
    client = sb.client()
    job = client.create_job("tweets")
    after = client.upload(job, tweet_ids(20))
    if transfer_urls == "api":  # the route answers {"data": ComplianceJob}
        assert after.status == "in_progress" and after.id == job.id
    else:  # storage answers without a body: the job as it was
        assert after is job


def test_apply_compliance_jsonl_gives_the_oracles_verdicts(sb, transfer_urls, tmp_path):
    source = sample_collection(tmp_path / "in.jsonl", 8, seed=4)
    summary = apply_compliance_jsonl(
        source, tmp_path / "out.jsonl", client=sb.client(sleep=fast_sleep), progress=False
    )
    kept = {
        item["id"]
        for line in (tmp_path / "out.jsonl").read_text().splitlines()
        for item in (json.loads(line).get("data") or [])
    }
    given = {
        item["id"]
        for line in source.read_text().splitlines()
        for item in (json.loads(line).get("data") or [])
    }
    verdicts = sb.expected(sorted(given, key=int), "tweets")
    deleted = set(verdicts.filter(pl.col("reason") == "deleted")["id"].to_list())
    assert deleted and given - deleted >= kept and not (kept & deleted)
    kinds = sorted(r["route"] for r in sb.requests_log if r["route"] in ("upload", "download"))
    assert kinds == ["download", "download", "upload", "upload"]  # the Tweets and users jobs
    assert summary is not None


def test_resumable_run_in_both_worlds(sb, transfer_urls, tmp_path):
    ids = tweet_ids(40_000)  # ~800 KB: several 256 KiB chunks where sessions are used
    path = sb.client().run("tweets", ids, resumable=True, dest=tmp_path)
    got = collapse_results(read_results(path)).sort("id")
    want = sb.expected(ids, "tweets").filter(pl.col("action").is_not_null()).sort("id")
    assert got.equals(want)
    routes = [route for route, _ in routes_seen(sb)]
    if transfer_urls == "api":  # the default route takes no sessions: one PUT after a 405
        assert ("upload_start", 405) in routes_seen(sb) and "upload" in routes
    else:
        assert "upload_start" in routes and "upload_chunk" in routes


def test_an_api_route_that_speaks_the_resumable_protocol_gets_chunks(tmp_path):
    with Sandbox(processing_delay=0, transfer_urls="api", api_resumable="sessions") as box:
        client = box.client()
        job = client.create_job("tweets", resumable=True)
        after = client.upload(job, tweet_ids(40_000), chunk_size=256 * 1024)
        assert after.status == "in_progress"
        log = routes_seen(box)
        assert ("upload_start", 201) in log and [r for r, _ in log].count("upload_chunk") >= 3
        assert "upload" not in [r for r, _ in log]  # no whole-file PUT
        path = client.download(client.wait(job), tmp_path / "r.jsonl")
        assert path.stat().st_size == box.job_state(job.id)["results_bytes"]


# -- a third host -------------------------------------------------------------------------------
def assert_token_never_reached(third: ThirdHost, token: str) -> None:
    assert third.seen, "the third host was never asked"
    for request in third.seen:
        names = {k.lower() for k in request["headers"]}
        assert "authorization" not in names, request
        assert token not in json.dumps(request), request


def test_urls_on_a_third_host_never_get_the_token(transfer_urls, tmp_path):
    """The jobs' URLs point at a second loopback server (which asks for no token and passes
    the requests on to the sandbox): the whole run works and that host never sees it."""
    box = Sandbox(processing_delay=0, transfer_urls=transfer_urls, transfer_auth=False)
    with box, ThirdHost(box.url) as third:
        box.transfer_base_url = third.url
        client = box.client(sleep=fast_sleep)
        for resumable in (False, True):
            job = client.create_job("tweets", resumable=resumable)
            assert job.upload_url.startswith(third.url)
            client.upload(job, tweet_ids(3000), chunk_size=256 * 1024)
            path = client.download(client.wait(job), tmp_path / f"r{resumable}.jsonl")
            got = collapse_results(read_results(path))
            assert got.height == box.expected(tweet_ids(3000), "tweets")["action"].count()
        assert sorted({r["method"] for r in third.seen}) == ["GET", "POST", "PUT"]
        assert_token_never_reached(third, box.bearer_token)
        assert box.auth_leaks == []


def test_a_third_host_that_wants_the_token_gets_a_clear_error_not_the_token():
    box = Sandbox(processing_delay=0, transfer_urls="api")  # its routes want the token
    with box, ThirdHost(box.url) as third:
        box.transfer_base_url = third.url
        client = box.client(sleep=fast_sleep)
        job = client.create_job("tweets")
        with pytest.raises(UploadError, match="only ever sent to the API's own origin") as info:
            client.upload(job, tweet_ids(10))
        assert info.value.status == 401
        assert box.bearer_token not in str(info.value)
        assert_token_never_reached(third, box.bearer_token)


def test_the_sandbox_refuses_the_api_routes_without_the_token(sb, transfer_urls):
    """The check the tests above rely on: the API's routes do want the bearer token."""
    job = sb.client().create_job("tweets")
    upload = f"{sb.url}/2/compliance/jobs/{job.id}/upload?token={sb._urls.token(job.id, 'upload')}"
    answer = requests.put(upload, data=b"20\n", headers={"Content-Type": "text/plain"}, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
