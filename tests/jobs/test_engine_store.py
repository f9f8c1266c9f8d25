"""The ledger's copy of the results is written in a thread: its outcome still reaches the caller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

import compliance_nb.jobs.engine as engine
from compliance_nb._exceptions import LedgerError
from compliance_nb.jobs.engine import run_compliance_ids
from compliance_nb.jobs.ledger import Ledger

IDS = pl.Series([1_800_000_000_000_000_001 + 104_729 * i for i in range(200)], dtype=pl.UInt64)


class BrokenStore(Ledger):
    def store_results(self, job_id: str, results: pl.DataFrame, **provenance: Any) -> Path:
        raise LedgerError("disk full (simulated)")


def test_results_are_stored_before_the_run_returns(sandbox: Any, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    res = run_compliance_ids(IDS, "tweets", client=sandbox.client(), ledger=ledger)
    (record,) = ledger.all()
    assert record.status == "complete" and record.has_results
    stored = ledger.load_results(record)
    assert sorted(stored["id"].cast(pl.UInt64).unique().to_list()) == sorted(
        res.results["id"].to_list()
    )


def test_a_failed_store_is_raised_by_the_run(sandbox: Any, tmp_path: Path) -> None:
    ledger = BrokenStore(tmp_path / "l.sqlite3")
    with pytest.raises(LedgerError, match="disk full"):
        run_compliance_ids(IDS, "tweets", client=sandbox.client(), ledger=ledger)


def test_an_error_while_collapsing_is_not_hidden_by_the_store(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_collapse(df: pl.DataFrame) -> pl.DataFrame:
        raise RuntimeError("collapse failed (simulated)")

    monkeypatch.setattr(engine, "collapse_results", broken_collapse)
    ledger = BrokenStore(tmp_path / "l.sqlite3")
    with pytest.raises(RuntimeError, match="collapse failed"):
        run_compliance_ids(IDS, "tweets", client=sandbox.client(), ledger=ledger)
