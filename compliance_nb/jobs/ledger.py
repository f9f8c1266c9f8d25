"""The job ledger: a small SQLite file that remembers every job this machine started.

It lets a second ``check_compliance`` call for the same IDs reattach to a job that is
still running (after a kernel restart, say) instead of starting another, and reuse
results that were already downloaded. Downloaded results are kept next to it as Parquet
files, so an expired download URL loses nothing.

Where: ``$COMPLIANCE_NB_CACHE_DIR/ledger.sqlite3``, else
``platformdirs.user_cache_dir("compliance_nb")/ledger.sqlite3`` (results in ``results/``).
The file is created with mode 0600 (the folder 0700).

What is stored per job (no secrets: no token, no signed URL; URLs are fetched again from
the API when needed): the fingerprint of the ID set (see
:func:`compliance_nb.jobs.idset.fingerprint`), kind, API base URL, job ID, name, part/parts,
number of IDs, status, timestamps (created, upload/download expiry, updated, downloaded)
and the path of the results Parquet file. Every write is one transaction; Parquet files
are written to a temporary name and renamed.

Durability: the file is in SQLite's WAL mode with ``synchronous=NORMAL`` (a ``-wal`` and a
``-shm`` file sit next to it, also 0600). A commit goes to the WAL without an ``fsync``:
it survives a crash or kill of the process (the operating system holds the data), but a
power loss or operating-system crash in the seconds after it can undo the last commits
(never corrupt the file). The ledger is there to survive kernel restarts, and at worst
such a loss costs one job created again. An ``fsync`` per commit also had to flush the
200 MB upload file just written (10M IDs), a quarter of a second each time.
Each process holds one idle connection per ledger file (closed at exit and before a
``fork``): the last connection to close would checkpoint the WAL, with an ``fsync``, and
every operation opens its own. Other processes use the file at the same time as before
(WAL: readers never wait, writers take turns). WAL needs shared memory, so a ledger on a
network file system must not be used from several machines at once (set
``COMPLIANCE_NB_CACHE_DIR`` to a local folder).

>>> import tempfile, pathlib
>>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite3")
>>> ledger.find("0" * 64)
[]
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .._cachedir import default_cache_dir
from .._exceptions import LedgerError

if TYPE_CHECKING:
    from ..api.job import Job

__all__ = ["Ledger", "LedgerRecord", "default_cache_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    base_url TEXT NOT NULL,
    name TEXT,
    part INTEGER NOT NULL DEFAULT 1,
    parts INTEGER NOT NULL DEFAULT 1,
    n_ids INTEGER,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT,
    upload_expires_at TEXT,
    download_expires_at TEXT,
    recorded_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    downloaded_at TEXT,
    results_path TEXT
);
CREATE INDEX IF NOT EXISTS jobs_fingerprint ON jobs (fingerprint);
"""


_TABLES = ("jobs", "jobs_fingerprint")


def _has_schema(conn: sqlite3.Connection) -> bool:
    """True when the table and its index exist (a read of the schema, no write)."""
    placeholders = ", ".join("?" * len(_TABLES))
    query = f"SELECT count(*) FROM sqlite_master WHERE name IN ({placeholders})"
    return conn.execute(query, _TABLES).fetchone()[0] == len(_TABLES)


def _use_wal(conn: sqlite3.Connection) -> bool:
    """Switch the file to WAL mode unless it is already (a setting kept in the file);
    True when it is in WAL mode. When another process keeps the switch from happening,
    the ledger works on in its rollback-journal mode, only with an ``fsync`` per commit."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return True
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    return mode == "wal"


# -- one idle connection per ledger file and process (see "Durability" above) -------------
_held: dict[str, tuple[tuple[int, int], sqlite3.Connection]] = {}
_held_lock = threading.Lock()
#: idle connections held at most (the oldest is closed first): three open files each
MAX_HELD = 8


def _open_file(path: Path) -> bool:
    """Make the ledger file ready for this process; True when it is in WAL mode.

    The first time per process and file: WAL mode, the schema if the file is new, and an
    idle connection kept open, so that the WAL is not checkpointed (with an ``fsync``)
    whenever an operation's own connection closes. Later calls cost one ``stat`` (a file
    replaced meanwhile, another inode, is opened again). At most :data:`MAX_HELD` files are
    held; a process that uses more closes the least recently used, which costs that ``fsync``."""
    stat = os.stat(path)
    identity = (stat.st_dev, stat.st_ino)
    key = os.path.abspath(path)
    with _held_lock:
        held = _held.pop(key, None)
        if held is not None and held[0] == identity:
            _held[key] = held  # now the most recently used
            return True
        stale = [held[1]] if held is not None else []
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            wal = _use_wal(conn)
            if not _has_schema(conn):  # a new file (a read of the schema, otherwise)
                conn.executescript(_SCHEMA)
            _add_provenance_columns(conn)
            if wal:
                conn.execute("PRAGMA synchronous=NORMAL")
                _start_wal(conn)
        except BaseException:
            conn.close()
            for old in stale:
                old.close()
            raise
        if wal:
            while len(_held) >= MAX_HELD:  # the least recently used goes
                stale.append(_held.pop(next(iter(_held)))[1])
            _held[key] = (identity, conn)
        else:
            conn.close()
    for old in stale:
        old.close()
    return wal


#: columns added after the first schema (a ledger written by an earlier version gets them):
#: when the job was seen complete, and whether the server marked its results simulated
_PROVENANCE_COLUMNS = {"completed_at": "TEXT", "simulated": "INTEGER"}


def _add_provenance_columns(conn: sqlite3.Connection) -> None:
    """Add the provenance columns a ledger file lacks (a read of the schema when it has them)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(jobs)").fetchall()}
    for name, sql_type in _PROVENANCE_COLUMNS.items():
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {sql_type}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise


def _start_wal(conn: sqlite3.Connection) -> None:
    """Write to the WAL now (a no-op change), before a large file may wait to be flushed:
    the first write into a new WAL file syncs its header, an ``fsync`` that also flushes
    what the file system holds unwritten (such as the upload file written next)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    conn.execute(f"PRAGMA user_version = {version}")


def _drop_held() -> None:
    """Close the idle connections and forget them (the caller holds ``_held_lock``); the
    last one to close checkpoints the WAL into the file."""
    connections = [conn for _, conn in _held.values()]
    _held.clear()
    for conn in connections:
        conn.close()


def _close_held() -> None:
    """Close the idle connections (at exit)."""
    with _held_lock:
        _drop_held()


def _close_held_before_fork() -> None:
    """A connection must not cross a ``fork``: close them; the lock stays held until the
    fork is done (released on both sides), so no thread opens one meanwhile."""
    _held_lock.acquire()
    try:
        _drop_held()
    except BaseException:
        _held_lock.release()
        raise


atexit.register(_close_held)
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(
        before=_close_held_before_fork,
        after_in_parent=_held_lock.release,
        after_in_child=_held_lock.release,
    )


#: a temp file this old was left by a process that died while writing it
STALE_TEMP_SECONDS = 3600.0


def _sweep_stale_temp_files(folder: Path) -> None:
    """Remove ``*.parquet.tmp`` files left behind by killed processes (older than an hour,
    so a write still under way in another process is never touched)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for tmp in folder.glob("*.parquet.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass  # gone already, or not ours to remove: harmless


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class LedgerRecord:
    """One row of the ledger (timestamps are aware UTC datetimes)."""

    job_id: str
    fingerprint: str
    kind: str
    base_url: str
    name: str | None
    part: int
    parts: int
    n_ids: int | None
    status: str
    error: str | None
    created_at: datetime | None
    upload_expires_at: datetime | None
    download_expires_at: datetime | None
    recorded_at: datetime
    updated_at: datetime
    downloaded_at: datetime | None
    results_path: str | None
    completed_at: datetime | None = None
    simulated: bool = False

    @property
    def has_results(self) -> bool:
        """True when the results Parquet file exists on disk."""
        return self.results_path is not None and Path(self.results_path).is_file()

    @classmethod
    def _from_row(cls, row: sqlite3.Row) -> LedgerRecord:
        values: dict[str, Any] = dict(row)
        for key in (
            "created_at",
            "upload_expires_at",
            "download_expires_at",
            "recorded_at",
            "updated_at",
            "downloaded_at",
        ):
            values[key] = _parse(values[key])
        values["completed_at"] = _parse(values.get("completed_at"))
        values["simulated"] = bool(values.get("simulated"))
        return cls(**{f.name: values[f.name] for f in fields(cls)})


class Ledger:
    """The job ledger (thread-safe: one short connection per operation).

    Parameters
    ----------
    path
        the SQLite file; default ``default_cache_dir() / "ledger.sqlite3"``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_dir() / "ledger.sqlite3"
        self.results_dir = self.path.parent / "results"
        self._lock = threading.Lock()
        self._ready = False
        self._wal = False

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- plumbing -----------------------------------------------------------------------
    def _create(self) -> None:
        """Create the file (0600, folder 0700) the first time; every time, make sure this
        process holds it open (see :func:`_open_file`: a ``stat`` once held; a ``fork``
        closes what was held)."""
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
                os.chmod(self.path, 0o600)
            self._wal = _open_file(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(
                f"Cannot open the job ledger at {self.path}: {exc}. Set "
                "COMPLIANCE_NB_CACHE_DIR, or pass ledger_path=..., to keep it somewhere else."
            ) from exc
        self._ready = True

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            if self._wal:  # no fsync per commit (see "Durability" in the module docstring)
                conn.execute("PRAGMA synchronous=NORMAL")
            with conn:  # one transaction: commit on success, roll back on error
                yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._create()
            try:
                with self._connect() as conn:
                    yield conn
            except sqlite3.Error as exc:
                raise LedgerError(f"The job ledger at {self.path} failed: {exc}") from exc

    # -- writes ---------------------------------------------------------------------------
    def record_job(
        self,
        job: Job,
        *,
        fingerprint: str,
        kind: str,
        base_url: str,
        part: int = 1,
        parts: int = 1,
        n_ids: int | None = None,
    ) -> None:
        """Record a job right after it was created (before the upload)."""
        now = _iso(_now())
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO jobs (job_id, fingerprint, kind, base_url, name, part,"
                " parts, n_ids, status, error, created_at, upload_expires_at,"
                " download_expires_at, recorded_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    fingerprint,
                    kind,
                    base_url,
                    job.name,
                    part,
                    parts,
                    n_ids,
                    job.status,
                    job.error,
                    _iso(job.created_at),
                    _iso(job.upload_expires_at),
                    _iso(job.download_expires_at),
                    now,
                    now,
                ),
            )

    def update_status(self, job_id: str, status: str, *, error: str | None = None) -> None:
        """Set a job's status (and error text, for failed jobs)."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, error = COALESCE(?, error), updated_at = ?"
                " WHERE job_id = ?",
                (status, error, _iso(_now()), job_id),
            )

    def store_results(
        self,
        job_id: str,
        results: pl.DataFrame,
        *,
        completed_at: datetime | None = None,
        simulated: bool = False,
    ) -> Path:
        """Keep a job's results as Parquet (temp file, then rename) and mark it complete,
        with when it was seen complete and whether its results are simulated (what a run
        that reuses them reports)."""
        try:
            self.results_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            _sweep_stale_temp_files(self.results_dir)
            fd, tmp = tempfile.mkstemp(dir=self.results_dir, suffix=".parquet.tmp")
            os.close(fd)
            # zstd level 1: half the time of the default level, about 5% larger
            results.write_parquet(tmp, compression="zstd", compression_level=1)
            os.chmod(tmp, 0o600)
            target = self.results_dir / f"{job_id}.parquet"
            os.replace(tmp, target)
        except OSError as exc:
            raise LedgerError(f"Cannot write results to {self.results_dir}: {exc}") from exc
        now = _iso(_now())
        with self._transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'complete', results_path = ?, downloaded_at = ?,"
                " updated_at = ?, completed_at = COALESCE(?, completed_at),"
                " simulated = ? WHERE job_id = ?",
                (str(target), now, now, _iso(completed_at), int(bool(simulated)), job_id),
            )
        return target

    def forget(self, job_id: str) -> None:
        """Remove a job's record and its results file."""
        record = self.get(job_id)
        with self._transaction() as conn:
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
        if record is not None and record.results_path:
            Path(record.results_path).unlink(missing_ok=True)

    # -- reads ------------------------------------------------------------------------------
    def get(self, job_id: str) -> LedgerRecord | None:
        """The record of one job, or None."""
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else LedgerRecord._from_row(row)

    def find(self, fingerprint: str) -> list[LedgerRecord]:
        """Every job recorded for this fingerprint, newest first."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM jobs WHERE fingerprint = ? ORDER BY recorded_at DESC, rowid DESC",
                (fingerprint,),
            ).fetchall()
        return [LedgerRecord._from_row(r) for r in rows]

    def all(self) -> list[LedgerRecord]:
        """Every job in the ledger, newest first."""
        with self._transaction() as conn:
            rows = conn.execute("SELECT * FROM jobs ORDER BY recorded_at DESC").fetchall()
        return [LedgerRecord._from_row(r) for r in rows]

    def load_results(self, record: LedgerRecord) -> pl.DataFrame:
        """The stored results of a job (raises :class:`LedgerError` if the file is gone)."""
        if not record.has_results:
            raise LedgerError(f"No stored results for job {record.job_id}.")
        try:
            return pl.read_parquet(record.results_path)  # type: ignore[arg-type]
        except Exception as exc:
            raise LedgerError(
                f"Cannot read the stored results of job {record.job_id}: {exc}"
            ) from exc
