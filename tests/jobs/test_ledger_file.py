"""The job ledger: where it lives, its mode, what it holds (no secrets), and what it is for
(reattach after a crash, results kept as Parquet)."""

from __future__ import annotations

import os
import stat
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from compliance_nb._exceptions import UploadError
from compliance_nb.api.job import Job
from compliance_nb.frames.check import check_compliance
from compliance_nb.jobs.ledger import Ledger, default_cache_dir

IDS = [str(1_800_000_000_000_000_001 + 15_485_863 * i) for i in range(50)]
RESULT_COLUMNS = [
    "compliance_action",
    "compliance_reason",
    "compliance_created_at",
    "compliance_redacted_at",
]


def fast_client(sb: Any, **kw: Any) -> Any:
    return sb.client(sleep=lambda s: time.sleep(min(s, 0.02)), **kw)


def _job(job_id: str = "1", status: str = "created") -> Job:
    now = datetime.now(timezone.utc)
    return Job(
        id=job_id,
        type="tweets",
        status=status,
        created_at=now,
        upload_url="https://storage.example/u?X-Goog-Signature=SECRETSIG",
        upload_expires_at=now + timedelta(minutes=15),
        download_url="https://storage.example/d?X-Goog-Signature=SECRETSIG2",
        download_expires_at=now + timedelta(days=7),
        name="n",
    )


def test_default_location_follows_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert Ledger().path == tmp_path / "c" / "ledger.sqlite3"


def test_file_mode_0600_and_no_signed_urls(tmp_path):
    ledger = Ledger(tmp_path / "sub" / "ledger.sqlite3")
    ledger.record_job(_job(), fingerprint="f" * 64, kind="tweets", base_url="https://api.x.com")
    mode = stat.S_IMODE(os.stat(ledger.path).st_mode)
    assert mode == 0o600
    data = ledger.path.read_bytes()
    assert b"SECRETSIG" not in data and b"storage.example" not in data
    rec = ledger.get("1")
    assert rec is not None and rec.status == "created" and rec.fingerprint == "f" * 64
    assert rec.download_expires_at is not None


def test_records_newest_first_and_status_updates(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite3")
    for jid in ("1", "2"):
        ledger.record_job(_job(jid), fingerprint="a", kind="tweets", base_url="u")
    ledger.update_status("1", "failed", error="boom")
    found = ledger.find("a")
    assert [r.job_id for r in found] == ["2", "1"]
    assert found[1].status == "failed" and found[1].error == "boom"
    assert ledger.find("b") == []


def test_results_stored_as_parquet_with_mode_0600(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.record_job(_job("7"), fingerprint="a", kind="tweets", base_url="u")
    results = pl.DataFrame({"id": ["20"], "reason": ["deleted"]})
    path = ledger.store_results("7", results)
    assert path.suffix == ".parquet"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rec = ledger.get("7")
    assert rec.status == "complete" and rec.has_results
    assert ledger.load_results(rec).equals(results)
    assert not list(path.parent.glob("*.tmp"))  # temp file renamed, nothing left over


def test_ledger_after_a_run_has_no_token_and_no_signature(sandbox, tmp_path):
    ledger_path = tmp_path / "ledger.sqlite3"
    check_compliance(
        pl.DataFrame({"id": IDS}),
        client=fast_client(sandbox),
        ledger_path=ledger_path,
        progress=False,
    )
    assert stat.S_IMODE(os.stat(ledger_path).st_mode) == 0o600
    job = sandbox.client().get_job(sandbox.created_job_ids[0])
    signature = job.download_url.split("?", 1)[1]
    for path in [ledger_path, *ledger_path.parent.rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert sandbox.bearer_token.encode() not in data, path
            assert signature.encode() not in data, path
    rec = Ledger(ledger_path).get(job.id)
    assert rec.status == "complete" and rec.kind == "tweets" and rec.n_ids == len(IDS)
    assert rec.base_url == sandbox.url


def test_job_recorded_before_upload_is_reattached_after_a_crash(sandbox, tmp_path):
    """A run that dies during the upload leaves the job in the ledger; the next run uploads
    to that same job instead of creating a second one."""
    ledger_path = tmp_path / "ledger.sqlite3"
    sandbox.faults.add("upload", "500", times=50)
    with pytest.raises(UploadError):
        check_compliance(
            pl.DataFrame({"id": IDS}),
            client=fast_client(sandbox, max_retries=0),
            ledger_path=ledger_path,
            progress=False,
        )
    assert sandbox.jobs_created == 1
    assert Ledger(ledger_path).get(sandbox.created_job_ids[0]).status == "created"
    sandbox.faults.clear()
    events: list[Any] = []
    out = check_compliance(
        pl.DataFrame({"id": IDS}),
        client=fast_client(sandbox),
        ledger_path=ledger_path,
        progress=events.append,
    )
    assert sandbox.jobs_created == 1
    assert "reattached" in [e.stage for e in events]
    want = sandbox.expected([int(v) for v in IDS], "tweets")
    assert out.select(RESULT_COLUMNS).rows() == want.drop("id").rows()


def test_unreadable_ledger_is_a_ledger_error(tmp_path):
    from compliance_nb._exceptions import LedgerError

    folder = tmp_path / "dir.sqlite3"
    folder.mkdir()  # a folder where the file should be
    with pytest.raises(LedgerError):
        Ledger(folder).find("a")


def test_temp_files_left_by_a_killed_writer_are_swept_but_fresh_ones_kept(tmp_path):
    import os
    import time

    import polars as pl

    from compliance_nb.jobs.ledger import STALE_TEMP_SECONDS, Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.results_dir.mkdir(parents=True)
    stale = ledger.results_dir / "abc.parquet.tmp"
    fresh = ledger.results_dir / "def.parquet.tmp"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"being written right now")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    results = pl.DataFrame({"id": ["1"], "action": ["delete"]})
    ledger.store_results("123", results)
    assert not stale.exists()
    assert fresh.exists()
    assert pl.read_parquet(ledger.results_dir / "123.parquet").equals(results)
