"""gather_rows gives exactly the rows a plain gather gives, whichever way it builds them."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import polars as pl
import pytest

import compliance_nb._frames as frames
from compliance_nb._frames import gather_rows

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
