"""The upload file is sent while it is written: the upload's reads wait for the writer,
send exactly the file, and a writer that fails stops the upload with its own error."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import compliance_nb.jobs.idset as ids_module
import compliance_nb.jobs.part as part_module
from compliance_nb.api.idsource import UploadBody
from compliance_nb.jobs.engine import run_compliance_ids
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.jobs.written import NotWritten, WrittenBytes

# 30,000 IDs of 19 digits: 600,000 bytes, sent in reads of 64 KiB
IDS = pl.Series([1_800_000_000_000_000_001 + 7_919 * i for i in range(30_000)], dtype=pl.UInt64)


def test_reads_wait_for_the_writer_and_return_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    written = WrittenBytes()
    total = ids_module.id_file_size(IDS)

    def write() -> None:
        def slowly(n: int) -> None:
            written.advance(n)
            time.sleep(0.005)

        try:
            ids_module.write_id_file(IDS, path, slowly)
        finally:
            written.finish()

    writer = threading.Thread(target=write)
    path.touch()  # the reader opens the file before the first slice is in it
    body = UploadBody(size=total, count=len(IDS), path=path, wait_for=written.wait_for)
    with body.open() as f:
        writer.start()
        got = bytearray()
        while chunk := f.read(10_000):
            assert len(chunk) == min(10_000, total - len(got))  # never short, never empty early
            got += chunk
    writer.join()
    assert bytes(got) == path.read_bytes()
    assert len(got) == total


def test_a_reader_past_what_a_failed_writer_wrote_gets_an_error_not_a_hang() -> None:
    written = WrittenBytes()
    written.advance(100)
    written.wait_for(100)  # there: returns at once
    written.finish()  # the writer stopped (its error goes to the part, see below)
    with pytest.raises(NotWritten, match="stopped at 100 bytes"):
        written.wait_for(101)


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids_module, "_WRITE_SLICE", 1_000)  # 30 slices of 20 kB


def test_the_upload_starts_before_the_file_is_written(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = ids_module.id_file_size(IDS)
    seen: list[tuple[str, int]] = []  # ("read", bytes asked for) / ("written", bytes)

    class Recorded(WrittenBytes):
        def advance(self, n_bytes: int) -> None:
            seen.append(("written", n_bytes))
            super().advance(n_bytes)
            time.sleep(0.01)  # a slow disk: 30 slices take 0.3 s

        def wait_for(self, n_bytes: int) -> None:
            seen.append(("read", n_bytes))
            super().wait_for(n_bytes)

    monkeypatch.setattr(part_module, "WrittenBytes", Recorded)
    followed = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=Ledger(tmp_path / "a.sqlite3")
    )
    reads = [n for what, n in seen if what == "read"]
    last_write = max(i for i, (what, _) in enumerate(seen) if what == "written")
    assert seen[last_write] == ("written", total)
    # the upload asked for bytes before the last slice was written ...
    assert any(what == "read" for what, _ in seen[:last_write])
    assert reads[-1] == total  # ... and for the whole file in the end
    # the job got the same IDs as one uploaded from a finished file: the same results
    monkeypatch.setattr(part_module, "WrittenBytes", WrittenBytes)
    monkeypatch.setattr(ids_module, "_WRITE_SLICE", 1 << 19)
    whole = run_compliance_ids(
        IDS,
        "tweets",
        client=sandbox.client(),
        ledger=Ledger(tmp_path / "b.sqlite3"),
        cache=False,
    )
    assert followed.n_checked == whole.n_checked == len(IDS)
    assert followed.results.height > 0
    assert followed.results.equals(whole.results)


@pytest.mark.parametrize("resumable_threshold", [0, 64 * 1024 * 1024])
def test_a_writer_that_fails_mid_file_stops_the_upload_with_its_own_error(
    sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parts: list[Any],
    resumable_threshold: int,
) -> None:
    def failing(ids: pl.Series, path: Path, on_written: Any = None) -> int:
        path.write_bytes(b"1800000000000000001\n" * 1000)
        on_written(20_000)
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(part_module, "write_id_file", failing)
    started = time.monotonic()
    with pytest.raises(OSError, match="No space left on device"):
        run_compliance_ids(
            IDS,
            "tweets",
            client=sandbox.client(),
            ledger=Ledger(tmp_path / "l.sqlite3"),
            resumable_threshold=resumable_threshold,
        )
    assert time.monotonic() - started < 30  # no retries of a write that failed
    (part,) = parts
    assert not part.workdir.exists()
