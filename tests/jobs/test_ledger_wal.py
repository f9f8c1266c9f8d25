"""The ledger in WAL mode: no fsync per commit, yet every commit survives the kill of its
process; several processes share the file; an idle connection per process and file
keeps the WAL alive, and never crosses a fork."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import compliance_nb.jobs.ledger as ledger_module
from compliance_nb.api.job import Job
from compliance_nb.jobs.ledger import Ledger

SRC = str(Path(ledger_module.__file__).resolve().parents[2])


def _job(job_id: str) -> Job:
    now = datetime.now(timezone.utc)
    return Job(
        id=job_id,
        type="tweets",
        status="created",
        created_at=now,
        upload_url="https://storage.example/u?X-Goog-Signature=SECRETSIG",
        upload_expires_at=now + timedelta(minutes=15),
        download_expires_at=now + timedelta(days=7),
        name="n",
    )


def _record(ledger: Ledger, job_id: str) -> None:
    ledger.record_job(_job(job_id), fingerprint="f" * 64, kind="tweets", base_url="u")


def _python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


RECORD_MANY = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from compliance_nb.jobs.ledger import Ledger
    from compliance_nb.api.job import Job
    ledger = Ledger(sys.argv[1])
    now = datetime.now(timezone.utc)
    for i in range(int(sys.argv[3])):
        job = Job(id=f"{sys.argv[2]}-{i}", type="tweets", status="created", created_at=now)
        ledger.record_job(job, fingerprint=sys.argv[2], kind="tweets", base_url="u")
        ledger.update_status(job.id, "in_progress")
    print("done", flush=True)
""")


def _pragma(path: Path, pragma: str) -> object:
    """The first value ``PRAGMA <pragma>`` gives, on a connection of its own."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"PRAGMA {pragma}").fetchone()[0]


def test_the_file_is_in_wal_mode_and_its_side_files_are_0600(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    _record(ledger, "1")
    assert _pragma(ledger.path, "journal_mode") == "wal"
    side_files = [Path(f"{ledger.path}-wal"), Path(f"{ledger.path}-shm")]
    for path in [ledger.path, *side_files]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        data = path.read_bytes()
        assert b"SECRETSIG" not in data and b"storage.example" not in data, path
    assert b"f" * 64 in side_files[0].read_bytes()  # the record is in the WAL: it was read


def test_a_ledger_of_the_rollback_journal_kind_is_switched_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _record(Ledger(path), "1")
    ledger_module._close_held()  # as at the exit of the process that made it
    assert _pragma(path, "journal_mode=DELETE") == "delete"
    ledger = Ledger(path)
    assert ledger.get("1") is not None
    assert _pragma(path, "journal_mode") == "wal"


def test_a_commit_survives_the_kill_of_its_process(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    child = _python(RECORD_MANY + "import time; time.sleep(600)\n", str(path), "killed", "3")
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert Path(f"{path}-wal").exists()  # killed: the WAL was never checkpointed
    records = Ledger(path).find("killed")
    assert sorted(r.job_id for r in records) == ["killed-0", "killed-1", "killed-2"]
    assert {r.status for r in records} == {"in_progress"}
    assert _pragma(path, "integrity_check") == "ok"


def test_processes_write_to_one_ledger_at_the_same_time(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    here = Ledger(path)
    _record(here, "here")  # this process holds the file open meanwhile
    children = [_python(RECORD_MANY, str(path), f"p{n}", "40") for n in range(3)]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0 and out.strip() == "done", err
    for n in range(3):
        records = here.find(f"p{n}")
        assert len(records) == 40 and {r.status for r in records} == {"in_progress"}
    assert here.get("here") is not None


def test_a_ledger_file_replaced_in_the_same_process_gets_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _record(Ledger(path), "1")
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    fresh = Ledger(path)
    assert fresh.find("f" * 64) == []
    _record(fresh, "2")
    assert fresh.get("2") is not None


def test_at_most_max_held_files_are_held_open(tmp_path: Path) -> None:
    ledgers = [Ledger(tmp_path / f"l{n}.sqlite3") for n in range(ledger_module.MAX_HELD + 2)]
    for n, ledger in enumerate(ledgers):
        _record(ledger, str(n))
    held = [Path(p) for p in ledger_module._held]
    assert len(held) <= ledger_module.MAX_HELD
    assert ledgers[0].path.resolve() not in {p.resolve() for p in held}
    assert ledgers[-1].path.resolve() in {p.resolve() for p in held}
    for n, ledger in enumerate(ledgers):  # every one still works
        assert ledger.get(str(n)) is not None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_uses_the_ledger_and_the_parent_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    _record(ledger, "parent-before")
    assert os.path.abspath(path) in ledger_module._held
    pid = os.fork()
    if pid == 0:  # the child: nothing inherited is held open; it opens its own
        code = 1
        try:
            if not ledger_module._held:
                _record(Ledger(path), "child")
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    _record(ledger, "parent-after")
    assert os.path.abspath(path) in ledger_module._held  # held again after the fork
    assert {r.job_id for r in ledger.find("f" * 64)} == {"parent-before", "child", "parent-after"}
