"""DuckDB relations: ``SELECT DISTINCT`` read through an Arrow record-batch reader; the
results come in as an Arrow table on the relation's own connection, joined in SQL.

>>> import duckdb
>>> import polars as pl
>>> from compliance_nb.frames.lazy.base import wrap
>>> rel = duckdb.connect().sql("SELECT * FROM (VALUES (2), (1), (2)) t(id)")
>>> frame = wrap(rel)
>>> batches = DuckDBBackend().batches(frame.unique(), 10)  # as many as DuckDB's threads give
>>> sorted(v for s in batches for v in s.to_list())
[1, 2]
>>> wrap(DuckDBBackend().lookup(frame, pl.DataFrame({"k": [1]}))).collect()["k"].to_list()
[1]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .base import LazyBackend, series_from_arrow

__all__ = ["DuckDBBackend"]


class DuckDBBackend(LazyBackend):
    """DuckDB: the engine computes the distinct IDs (spilling to disk when it must); the
    lookup is a relation on the same connection; the labels stay text (no categorical
    type)."""

    name = "duckdb"

    def batches(self, distinct: nw.LazyFrame[Any], batch_rows: int) -> Iterator[pl.Series]:
        """The distinct values through an Arrow record-batch reader."""
        reader = distinct.to_native().to_arrow_reader(batch_rows)
        for batch in reader:
            yield series_from_arrow(batch.column(0))

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """``table`` as a relation on ``frame``'s own connection."""
        compliance_nb_lookup = table.to_arrow()  # noqa: F841 - found by DuckDB by name
        # ``query`` runs on the relation's own connection; DuckDB finds the Arrow table
        # above by its variable name (a replacement scan) and keeps a reference to it.
        return frame.to_native().query("compliance_nb_rows", "SELECT * FROM compliance_nb_lookup")
