"""gather_rows gives exactly the rows a plain gather gives, whichever way it builds them."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import polars as pl
import pytest

import compliance_nb.frames.native as frames
from compliance_nb._dataframes import as_frame
from compliance_nb.frames.native import RowPlan, add_gathered, gather_rows

UTC = pl.Datetime("us", "UTC")


def _table() -> pl.DataFrame:
    """A lookup table like the join's: results, then a "no result" and a "no ID" row."""
    return pl.DataFrame(
        {
            "action": pl.Series(["delete", "delete", None, None], dtype=pl.Categorical),
            "reason": pl.Series(["deleted", "protected", None, None], dtype=pl.Categorical),
            "at": pl.Series(
                [datetime(2020, 1, 2, tzinfo=timezone.utc), None, None, None], dtype=UTC
            ),
            "compliant": [False, False, True, None],
            "status": pl.Series(["deleted", "protected", "available", None], dtype=pl.Categorical),
        }
    )


@pytest.fixture(autouse=True)
def small_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "_SCATTER_FROM", 8)  # the fast way from 8 rows on


@pytest.mark.parametrize(
    ("share_common", "common"),
    [(0.95, 2), (0.8, 0), (0.5, 2), (0.0, 2)],  # mostly "no result"; mostly a hit; spread
)
def test_the_rows_are_those_of_a_plain_gather(share_common: float, common: int) -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    rows = rng.integers(0, 4, size=n).astype(np.uint32)
    rows[rng.random(n) < share_common] = common
    table = _table()
    out = gather_rows(table, pl.Series(rows))
    expected = table.select(pl.all().gather(pl.Series(rows)))
    assert out.schema == table.schema
    assert out.equals(expected)
    # spelled out for a few rows, not only against polars' gather
    for i in (0, 1, n - 1):
        assert out.row(i) == table.row(int(rows[i]))


def test_every_row_the_same_and_short_inputs() -> None:
    table = _table()
    same = gather_rows(table, pl.Series(np.full(100, 3, dtype=np.uint32)))
    assert same.get_column("compliant").null_count() == 100
    assert same.get_column("status").null_count() == 100
    short = gather_rows(table, pl.Series([1, 0], dtype=pl.UInt32))  # below _SCATTER_FROM
    assert short.get_column("reason").to_list() == ["protected", "deleted"]
    assert gather_rows(table, pl.Series([], dtype=pl.UInt32)).height == 0


def _values(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column.astype(object)]


@pytest.mark.parametrize("shares", [(0.1, 0.8, 0.1), (0.4, 0.3, 0.3)], ids=["one-row", "spread"])
def test_pandas_columns_taken_per_row_match_the_gather_and_keep_the_frame(shares) -> None:
    rng = np.random.default_rng(11)
    n = 2_000
    rows = rng.choice(np.array([0, 2, 3], dtype=np.uint32), size=n, p=shares)
    table = _table()
    index = pd.Index([f"r{i % 7}" for i in range(n)], name="label")  # repeated labels
    pdf = pd.DataFrame({"x": np.arange(n)}, index=index)
    pdf.attrs["source"] = "survey"
    before = pdf.copy()
    out = add_gathered(as_frame(pdf), table, pl.Series(rows)).to_native()
    expected = table.select(pl.all().gather(pl.Series(rows)))
    assert list(out.columns) == ["x", *table.columns]
    assert out.index.equals(pdf.index) and out.attrs == {"source": "survey"}
    assert out["x"].tolist() == list(range(n))
    assert str(out["at"].dtype) == "datetime64[us, UTC]"
    assert str(out["compliant"].dtype) == "boolean"
    for name in ("action", "reason", "status"):
        assert str(out[name].dtype) == "category"
    assert "protected" not in list(out["reason"].cat.categories)  # row 1 is never taken
    for name in table.columns:
        assert _values(out[name]) == expected.get_column(name).to_list(), name
    pd.testing.assert_frame_equal(pdf, before)  # the input is not changed


@pytest.mark.parametrize("share_common", [0.9, 0.75, 0.5, 0.0])
def test_a_row_plan_gives_back_every_row(share_common: float) -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 50, size=10_000).astype(np.uint32)
    rows[rng.random(10_000) < share_common] = 7
    plan = RowPlan.of(rows)
    values = rng.integers(-(2**62), 2**62, size=50)
    assert plan.rows().tolist() == rows.tolist()
    assert plan.take(values).tolist() == values[rows].tolist()
    others = int((rows != 7).sum())
    if others <= len(rows) // 4:  # small: only the rows that are not the common one
        assert plan.common == 7 and len(plan.at) == others
    else:
        assert plan.common is None
