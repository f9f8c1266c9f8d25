"""No secret leaks: the bearer token never reaches a storage URL, a repr, an error, a log
record, a widget, the CLI's output, the ledger or a notebook's saved output; signed-URL
signatures are masked wherever a URL is shown; the sandbox listens on loopback only."""

from __future__ import annotations

import io
import json
import logging
import stat
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _faults_helpers import IDS, expected_rows, fast_sleep, joined_rows, leaked, secrets_of

import compliance_nb._exceptions as exc_mod
from compliance_nb.api.client import ComplianceClient
from compliance_nb.cli import main as cli_main
from compliance_nb.display.lines import LineReporter
from compliance_nb.display.panel import ProgressPanel
from compliance_nb.display.reporter import Reporter
from compliance_nb.frames.check import check_compliance
from compliance_nb.sandbox import Sandbox

FAKE_TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeSecurityTestToken%2Fxyz0123456789abcdefSECRET"
SIGNATURE_VALUE = "X-Goog-Signature="


class Tee(Reporter):
    """Feeds a widget panel, terminal lines and a list with the same events."""

    def __init__(self) -> None:
        self.panel = ProgressPanel(display=False)
        self.stream = io.StringIO()
        self.lines = LineReporter(stream=self.stream)
        self.events: list[Any] = []
        self.closed_with: list[BaseException | None] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self.panel(event)
        self.lines(event)

    def close(self, error: BaseException | None = None) -> None:
        self.closed_with.append(error)
        self.panel.close(error)
        self.lines.close(error)


def widget_texts(widget: Any) -> list[str]:
    """Every text a widget tree shows (value, description, tooltip, placeholder...)."""
    out: list[str] = []
    for name in ("value", "description", "tooltip", "placeholder", "bar_style"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            out.append(value)
    for child in getattr(widget, "children", ()) or ():
        out += widget_texts(child)
    return out


def event_texts(events: list[Any]) -> list[str]:
    out = []
    for e in events:
        out += [repr(e), str(e.message or "")]
        if e.job is not None:
            out += [repr(e.job), str(e.job), e.job._repr_html_()]
    return out


def error_texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def assert_clean(texts: list[str], secrets: list[str], where: str) -> None:
    for text in texts:
        found = leaked(text, secrets)
        assert not found, f"{where}: secret {found[0][:12]}... in {text[:300]!r}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "compliance_nb"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [fmt.format(r) + (r.exc_text or "") for r in caplog.records]


def test_a_faulty_run_leaks_nothing_anywhere(tmp_path, debug_logs, transfer_urls):
    """Lost create answer, 503s, a dropped chunk of a resumable upload, a cut download:
    the run recovers, and no display of it holds the token or a signature (or, with the
    API's own transfer routes, their signed ``token``)."""
    ledger_path = tmp_path / "cache" / "ledger.sqlite3"
    with Sandbox(
        processing_delay=0.5,
        bearer_token=FAKE_TOKEN,
        transfer_urls=transfer_urls,
        api_resumable="sessions",
    ) as sb:
        sb.faults.add("create", "drop", processed=True)
        sb.faults.add("get", "503")
        sb.faults.add("upload_chunk", "drop")
        sb.faults.add("download", "drop", after_bytes=50)
        client = sb.client(sleep=fast_sleep)
        tee = Tee()
        out = check_compliance(
            pl.DataFrame({"id": [str(i) for i in IDS]}),
            client=client,
            ledger_path=ledger_path,
            progress=tee,
            resumable_threshold=0,
        )
        assert joined_rows(out) == expected_rows(sb, IDS)
        assert sb.faults.pending() == []
        assert sb.auth_leaks == []
        secrets = secrets_of(sb)
        assert len(secrets) >= 3  # the token, the two URL signatures (+ session IDs)
        job = client.get_job(sb.created_job_ids[0])
        key = SIGNATURE_VALUE if transfer_urls == "storage" else "token="
        assert job.upload_url and key in job.upload_url  # there is one to mask
        assert_clean([repr(client), client._repr_html_()], secrets, "client repr")
        assert_clean([repr(job), str(job), job._repr_html_()], secrets, "Job repr/HTML")
        assert f"{key}***" in repr(job)
        assert_clean(event_texts(tee.events), secrets, "progress events")
        assert_clean(widget_texts(tee.panel.widget), secrets, "widget")
        assert_clean([repr(tee.panel), tee.stream.getvalue()], secrets, "terminal lines")
        assert_clean(log_texts(debug_logs), secrets, "a log record")  # urllib3's included
        path = "/storage/" if transfer_urls == "storage" else "/upload?token="
        assert any(
            r.name.startswith("urllib3") and path in r.getMessage() for r in debug_logs.records
        ), "urllib3 debug logging was not on"
        assert_ledger_clean(ledger_path, secrets)


def assert_ledger_clean(ledger_path: Path, secrets: list[str]) -> None:
    # the ledger, its write-ahead log and shared-memory files (WAL mode), stored results
    sidecars = [ledger_path.with_name(ledger_path.name + x) for x in ("-wal", "-shm")]
    files = [
        ledger_path,
        *[p for p in sidecars if p.exists()],
        *sorted((ledger_path.parent / "results").glob("*")),
    ]
    assert len(files) >= 2, "no results were stored"
    for path in files:
        data = path.read_bytes()
        for secret in [*secrets, SIGNATURE_VALUE, "X-Goog-Credential"]:
            assert secret.encode() not in data, f"{path.name} holds {secret[:12]}..."
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is not 0600"


def test_errors_never_show_the_token_or_a_signature(tmp_path, debug_logs):
    errors: list[BaseException] = []
    with Sandbox(processing_delay=0, bearer_token=FAKE_TOKEN) as sb:
        df = pl.DataFrame({"id": [str(i) for i in IDS]})
        # a failed job, through the widget (which shows the error text)
        sb.faults.add("processing", "fail", error="Injected failure")
        tee = Tee()
        with pytest.raises(exc_mod.JobFailedError) as info:
            check_compliance(
                df, client=sb.client(sleep=fast_sleep), ledger_path=tmp_path / "l", progress=tee
            )
        errors.append(info.value)
        # the API down for good
        sb.faults.add("get", "503", times=100)
        client = sb.client(sleep=fast_sleep, max_retries=1)
        job = client.create_job("tweets")
        client.upload(job, IDS[:3])
        with pytest.raises(exc_mod.APIError) as api_info:
            client.wait(job)
        errors.append(api_info.value)
        sb.faults.clear()
        client.wait(job)
        # a tampered signature: the storage service refuses
        job2 = client.create_job("users")
        bad2 = replace(
            job2, upload_url=job2.upload_url.replace("X-Goog-Signature=", "X-Goog-Signature=00")
        )
        with pytest.raises(exc_mod.UploadError) as up_info:
            client.upload(bad2, IDS[:3])
        errors.append(up_info.value)
        done = client.wait(job)
        tampered = replace(
            done,
            download_url=done.download_url.replace("X-Goog-Signature=", "X-Goog-Signature=00"),
        )
        with pytest.raises(exc_mod.DownloadError) as down_info:
            client.download(tampered, tmp_path / "r.jsonl")
        errors.append(down_info.value)
        # a wrong token (itself a secret) and the right one must both stay out
        wrong = "AAAAAAAAAAAAAAAAAAAAAWrongTokenValue%2F0123456789"
        with pytest.raises(exc_mod.AuthenticationError) as auth_info:
            ComplianceClient(bearer_token=wrong, base_url=sb.url).list_jobs("tweets")
        errors.append(auth_info.value)
        secrets = [*secrets_of(sb), wrong]
        assert sb.auth_leaks == []
    for error in errors:
        assert_clean(error_texts(error), secrets, type(error).__name__)
    assert_clean(widget_texts(tee.panel.widget), secrets, "widget after a failure")
    assert any("Injected failure" in t for t in widget_texts(tee.panel.widget))
    assert_clean(tee.stream.getvalue().splitlines(), secrets, "terminal lines")
    assert_clean(log_texts(debug_logs), secrets, "a log record")


def test_cli_output_never_shows_the_token_or_a_signature(tmp_path, capsys, monkeypatch):
    with Sandbox(processing_delay=0, bearer_token=FAKE_TOKEN) as sb:
        monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
        monkeypatch.chdir(tmp_path)
        src = tmp_path / "ids.csv"
        src.write_text("id\n" + "\n".join(str(i) for i in IDS) + "\n")
        api = ["--api-url", sb.url]
        assert cli_main(["check", str(src), "--id-column", "id", "-o", "out.csv", *api]) == 0
        job_id = sb.created_job_ids[0]
        outputs = []
        for argv in (
            ["jobs", "list", "--kind", "tweets", *api],
            ["jobs", "list", "--kind", "tweets", "--json", *api],
            ["jobs", "get", job_id, *api],
            ["jobs", "get", job_id, "--json", *api],
            ["jobs", "download", job_id, "-o", "r.jsonl", *api],
            ["jobs", "get", "1234567", *api],  # an error: not found
        ):
            code = cli_main(argv)
            captured = capsys.readouterr()
            outputs.append((argv, code, captured.out + captured.err))
        secrets = secrets_of(sb)
        assert sb.auth_leaks == []
    for argv, _code, text in outputs:
        assert_clean([text], secrets, " ".join(argv[:3]))
    by_cmd = {tuple(a[:4]): (code, text) for a, code, text in outputs}
    shown = by_cmd[("jobs", "get", job_id, "--json")][1]
    data = json.loads(shown)
    assert data["download_url"].count("X-Goog-Signature=***") == 1  # shown, masked
    assert "X-Goog-Signature=***" in by_cmd[("jobs", "get", job_id, "--api-url")][1]
    assert by_cmd[("jobs", "get", "1234567", "--api-url")][0] == 1


def test_a_token_sent_to_storage_is_caught(sandbox):
    """The check every fault test ends with (``auth_leaks == []``) does catch a leak."""
    import requests

    job = sandbox.client().create_job("tweets")
    answer = requests.put(
        job.upload_url,
        data=b"20\n",
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {sandbox.bearer_token}"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert [leak["route"] for leak in sandbox.auth_leaks] == ["upload"]


def test_sandbox_listens_on_loopback_unless_told(monkeypatch):
    from compliance_nb.sandbox._cli import _parser

    with Sandbox(processing_delay=0) as sb:
        assert sb._server.server_address[0] == "127.0.0.1"
        assert sb.url.startswith("http://127.0.0.1:")
        assert sb.auth_leaks == []
    assert _parser().parse_args([]).host == "127.0.0.1"
    with Sandbox(processing_delay=0, host="::1") as sb6:  # told otherwise: honoured
        assert sb6._server.server_address[0] == "::1"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quickstart_notebook_outputs_hold_no_secret(tmp_path):
    """The quickstart, run with a (fake) token in the environment and
    COMPLIANCE_NB_SANDBOX=1 so it uses the sandbox: no saved output holds the token or
    an unmasked signature."""
    import nbformat
    from _notebooks_helpers import NOTEBOOKS, kernel_env
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / "01_quickstart.ipynb", as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "print(repr(client), client.list_jobs('tweets'))\n"
            "from compliance_nb.jobs.runinfo import recall\nprint(recall(checked))"
        )
    )
    work = tmp_path / "work"
    work.mkdir()
    env = kernel_env(tmp_path / "cache", X_BEARER_TOKEN=FAKE_TOKEN, COMPLIANCE_NB_SANDBOX="1")
    NotebookClient(
        nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(work)}}
    ).execute(env=env)
    saved = nbformat.writes(nb)
    assert "SIMULATED" in saved  # it did use the sandbox
    assert "X_BEARER_TOKEN" in saved  # and said the token is not used
    assert FAKE_TOKEN not in saved and FAKE_TOKEN[:30] not in saved
    assert "X-Goog-Signature=***" in saved  # the printed jobs show masked URLs
    for m in __import__("re").finditer(r"X-Goog-Signature=([^&\s'\"\\<]*)", saved):
        assert m.group(1) in ("***", "%2A%2A%2A"), f"unmasked signature: {m.group(0)[:40]}"
    ledger = tmp_path / "cache" / "ledger.sqlite3"
    assert FAKE_TOKEN.encode() not in ledger.read_bytes()
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
