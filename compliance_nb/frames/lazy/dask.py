"""Dask DataFrames: each partition is deduplicated on the workers (no shuffle) and the
partitions' values are merged here; the results come in as one pandas frame indexed by
key, which every partition looks its rows up in (a broadcast join that keeps the
partitions, their row order and the index); flags get pandas' nullable ``boolean``, labels
pandas' string dtype.

>>> import pandas as pd
>>> lookup = pd.DataFrame({"r": pd.Categorical(["deleted"])}, index=pd.Index([7]))
>>> part = pd.DataFrame({"key": pd.array([7, None], dtype="Int64")}, index=[10, 11])
>>> out = merge_keep_index(part, lookup, "key")
>>> out.index.tolist(), out["r"].tolist()
([10, 11], ['deleted', nan])
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ...rules.ids import MAX_ID
from .base import KEY, LazyBackend, series_from_arrow, wrap

__all__ = ["DaskBackend", "merge_keep_index", "to_pandas"]


def to_pandas(table: pl.DataFrame) -> Any:
    """polars -> pandas with nullable dtypes (text as str, booleans as ``"boolean"``).

    Examples
    --------
    >>> to_pandas(pl.DataFrame({"hit": [True, None]})).dtypes["hit"]
    BooleanDtype
    """
    pdf = table.to_pandas()
    bools = [c for c, t in table.schema.items() if t == pl.Boolean]
    return pdf.astype({c: "boolean" for c in bools}) if bools else pdf


def series_from_pandas(series: Any) -> pl.Series | list[Any]:
    """A pandas Series as a polars Series through Arrow, or its values as a list where
    Arrow cannot type them (a mixed object column: validated value by value).

    Examples
    --------
    >>> import pandas as pd
    >>> series_from_pandas(pd.Series(["7", None])).to_list()
    ['7', None]
    >>> series_from_pandas(pd.Series(["7", 7.5], dtype=object))
    ['7', 7.5]
    """
    import pyarrow as pa

    try:
        return series_from_arrow(pa.Array.from_pandas(series))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return series.tolist()


def merge_keep_index(part: Any, lookup: Any, key_name: str) -> Any:
    """pandas: the ``lookup`` row (indexed by a unique key) for each row of ``part``, as
    new columns (``category`` ones as text); same rows, order and index as ``part``.

    Parameters
    ----------
    part
        One partition, with its rows' keys in ``key_name``.
    lookup
        The lookup, indexed by key.
    key_name
        The keys' column.

    Returns
    -------
    pandas.DataFrame
        ``part`` with the lookup's columns.
    """
    import pandas as pd

    keys = part[key_name]
    if lookup.index.dtype.kind in "iu" and keys.dtype.kind in "iu":
        # nullable integers as the index's own numpy type, missing as 0 (never a key):
        # a target of another type would make pandas rebuild the lookup's hash table
        # for every partition
        keys = keys.to_numpy(dtype=lookup.index.dtype, na_value=0)
    found = lookup.reindex(pd.Index(keys))
    found.index = part.index
    for name, dtype in found.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):  # back to text: a take from the few
            codes = found[name].cat.codes.to_numpy()  # categories (-1: missing)
            text = dtype.categories.astype("str").array.take(codes, allow_fill=True)
            found[name] = pd.Series(text, index=found.index)
    return pd.concat([part, found], axis=1)


class DaskBackend(LazyBackend):
    """Dask."""

    name = "dask"
    distinct_in_engine = False  # Dask's drop_duplicates shuffles
    compact_text = True

    def batches(
        self, distinct: nw.LazyFrame[Any], batch_rows: int
    ) -> Iterator[pl.Series | list[Any]]:
        """Each partition's distinct values, computed by the workers a few partitions at
        a time (as many as there are cores here). A partition depends only on its own
        input partition, so nothing is computed twice and no shuffle is needed."""
        import dask

        native = distinct.to_native()
        deduped = native.map_partitions(type(native._meta).drop_duplicates, meta=native._meta)
        parts = deduped.to_delayed()
        step = max(2, os.cpu_count() or 2)
        for lo in range(0, len(parts), step):
            for pdf in dask.compute(*parts[lo : lo + step]):
                yield series_from_pandas(pdf[pdf.columns[0]])

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """``table`` as a one-partition Dask frame."""
        import dask.dataframe as dd

        return dd.from_pandas(to_pandas(table), npartitions=1)

    def with_key(self, frame: nw.LazyFrame[Any], column: str, key_name: str) -> nw.LazyFrame[Any]:
        """An integer column's key is computed in pandas' nullable integer type: the
        generic expression would turn a numpy ``int64`` column holding an invalid ID (0,
        negative) into ``float64``, where IDs above 2**53 are no longer exact. Text
        columns take the generic expression."""
        dtype = frame.collect_schema()[column]
        if not dtype.is_integer():
            return super().with_key(frame, column, key_name)
        native = frame.to_native()
        unsigned = dtype.is_unsigned_integer()
        ids = native[column].astype("UInt64" if unsigned else "Int64")  # exact: no float
        valid = (ids > 0).fillna(False)
        if unsigned:
            valid = valid & (ids <= MAX_ID).fillna(False)
        return wrap(native.assign(**{key_name: ids.where(valid)}))

    def join(
        self, frame: nw.LazyFrame[Any], column: str, table: pl.DataFrame, key_name: str
    ) -> nw.LazyFrame[Any]:
        """Each partition looks its keys up in the small lookup (one copy in the graph,
        indexed by key: its hash table is built once per worker process, not once per
        partition as a ``merge`` would), keeping the partitions, their row order and the
        index (a plain ``merge`` resets it). Text fields travel as pandas ``category``
        and are made text again per partition."""
        import dask

        left = self.with_key(frame, column, key_name).to_native()
        lookup = to_pandas(table).set_index(KEY)
        if lookup.index.dtype.kind in "iu" and len(lookup) and lookup.index.min() < 1:
            lookup = lookup[lookup.index > 0]  # never a row's key; 0 stands for "no key"
        meta = merge_keep_index(left._meta, lookup.iloc[:0], key_name)
        joined = left.map_partitions(
            merge_keep_index, dask.delayed(lookup), key_name, meta=meta, align_dataframes=False
        )
        return wrap(joined)

    def finish(
        self, frame: nw.LazyFrame[Any], *, added_bools: list[str], added_labels: list[str]
    ) -> nw.LazyFrame[Any]:
        """Flags as pandas' nullable ``boolean`` (plain ``bool`` cannot hold a null),
        labels as pandas' string dtype (a Dask ``category`` column would need its
        categories computed first)."""
        dtypes = {c: "boolean" for c in added_bools} | {c: "str" for c in added_labels}
        return wrap(frame.to_native().astype(dtypes))
