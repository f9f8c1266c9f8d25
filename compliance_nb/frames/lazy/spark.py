"""PySpark DataFrames: ``select(id).distinct()`` read with ``toLocalIterator`` (one
partition at a time); the results come in as a DataFrame of the same session, marked for
broadcast when small; the labels stay text (no categorical type).

>>> series_from_list(["7", None]).to_list()
['7', None]
>>> series_from_list([7, None]).to_list()
['7', None]
>>> series_from_list(["7", 7.0])
['7', 7.0]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .base import LazyBackend

__all__ = ["BROADCAST_ROWS", "SparkBackend", "series_from_list"]

#: Lookups up to this many rows are marked for broadcast (a copy on every executor).
BROADCAST_ROWS = 5_000_000


def series_from_list(values: list[Any]) -> pl.Series | list[Any]:
    """Values collected from Spark rows: text (integers as decimal text) as a String
    Series; anything else stays a list, validated value by value.

    Parameters
    ----------
    values
        The values of one batch.

    Returns
    -------
    pl.Series | list
        The batch.
    """
    if all(isinstance(v, str) or v is None for v in values):
        return pl.Series(values, dtype=pl.String)
    if all((isinstance(v, int) and not isinstance(v, bool)) or v is None for v in values):
        return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)
    return values


class SparkBackend(LazyBackend):
    """PySpark."""

    name = "pyspark"

    def batches(
        self, distinct: nw.LazyFrame[Any], batch_rows: int
    ) -> Iterator[pl.Series | list[Any]]:
        """The distinct values through ``toLocalIterator`` (one partition at a time),
        ``batch_rows`` at a time."""
        chunk: list[Any] = []
        for row in distinct.to_native().toLocalIterator():
            chunk.append(row[0])
            if len(chunk) >= batch_rows:
                yield series_from_list(chunk)
                chunk = []
        if chunk:
            yield series_from_list(chunk)

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """``table`` as a DataFrame of ``frame``'s session, broadcast when small."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        types = {
            pl.Int8: T.ByteType(),
            pl.Int16: T.ShortType(),
            pl.Int32: T.IntegerType(),
            pl.Int64: T.LongType(),
            pl.String: T.StringType(),
            pl.Boolean: T.BooleanType(),
            pl.Datetime("us", "UTC"): T.TimestampType(),
        }
        spark = frame.to_native().sparkSession
        schema = T.StructType([T.StructField(c, types[t], True) for c, t in table.schema.items()])
        rows = table.rows()
        if rows:
            sdf = spark.createDataFrame(rows, schema=schema)
        else:
            sdf = spark.createDataFrame([], schema)
        return F.broadcast(sdf) if table.height <= BROADCAST_ROWS else sdf
