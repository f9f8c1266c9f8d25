"""The engine's temporary files (the upload file, the downloaded results) are removed in a
background thread, yet never left behind when the run returns or fails, and a failed
removal still reaches the caller."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from compliance_nb._exceptions import APIError, UploadError
from compliance_nb.jobs.engine import run_compliance_ids
from compliance_nb.jobs.idset import id_file_size, write_id_file
from compliance_nb.jobs.ledger import Ledger

IDS = pl.Series([1_800_000_000_000_000_001 + 104_729 * i for i in range(200)], dtype=pl.UInt64)


def test_the_temporary_folder_is_gone_when_the_run_returns(
    sandbox: Any, tmp_path: Path, parts: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tempfile.TemporaryDirectory.cleanup

    def slow(self: tempfile.TemporaryDirectory[str]) -> None:
        time.sleep(0.5)  # a slow disk: the run must still wait for the removal
        original(self)

    monkeypatch.setattr(tempfile.TemporaryDirectory, "cleanup", slow)
    res = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=Ledger(tmp_path / "l.sqlite3")
    )
    assert res.n_checked == len(IDS)
    (part,) = parts
    assert not part.workdir.exists()


def test_the_upload_file_is_removed_once_uploaded(
    sandbox: Any, tmp_path: Path, parts: list[Any]
) -> None:
    seen: dict[str, Any] = {}

    def progress(event: Any) -> None:
        if event.stage == "downloading" and "files" not in seen:
            (part,) = parts
            for task in part._background:  # tasks queued so far, done in order
                task.result()
            seen["files"] = sorted(p.name for p in part.workdir.iterdir())

    run_compliance_ids(
        IDS,
        "tweets",
        client=sandbox.client(),
        ledger=Ledger(tmp_path / "l.sqlite3"),
        progress=progress,
    )
    assert seen["files"] == []  # the job is done at the API; its upload file is gone


def test_a_failed_removal_is_raised_by_the_run(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tempfile.TemporaryDirectory.cleanup

    def broken(self: tempfile.TemporaryDirectory[str]) -> None:
        original(self)
        raise PermissionError("cannot remove the folder (simulated)")

    monkeypatch.setattr(tempfile.TemporaryDirectory, "cleanup", broken)
    with pytest.raises(PermissionError, match="simulated"):
        run_compliance_ids(
            IDS, "tweets", client=sandbox.client(), ledger=Ledger(tmp_path / "l.sqlite3")
        )


@pytest.mark.parametrize(
    ("route", "fault", "error"),
    [
        ("upload", "500", UploadError),
        # the upload file is written while the job is created; when the creation fails,
        # the write is waited for and the folder still removed before the error is raised
        ("create", "503", APIError),
    ],
)
def test_a_failed_run_removes_the_folder_before_raising(
    sandbox: Any, tmp_path: Path, parts: list[Any], route: str, fault: str, error: type
) -> None:
    sandbox.faults.add(route, fault, times=50)
    with pytest.raises(error):
        run_compliance_ids(
            IDS,
            "tweets",
            client=sandbox.client(max_retries=0),
            ledger=Ledger(tmp_path / "l.sqlite3"),
        )
    (part,) = parts
    assert not part.workdir.exists()


EDGE_IDS = [1, 9, 10, 99, 100, 999_999_999, 10**9, 10**18 - 1, 10**18, 2**63 - 1]


@pytest.mark.parametrize("ordered", [True, False])
def test_the_upload_file_size_is_known_before_it_is_written(tmp_path: Path, ordered: bool) -> None:
    ids = pl.Series(EDGE_IDS if ordered else EDGE_IDS[::-1], dtype=pl.UInt64)
    path = tmp_path / "ids.txt"
    write_id_file(ids, path)
    assert id_file_size(ids) == path.stat().st_size
    assert id_file_size(ids.slice(0, 0)) == 0
