"""Step 2 of the lazy path: the collapsed results, joined on inside the frame's engine.

The results become a small lookup (:func:`lookup_table`), which the frame's backend
brings into its engine and joins on each row's key
(:meth:`~compliance_nb.frames.lazy.base.LazyBackend.join`);
:func:`finish_lazy` gives the added columns their final dtypes.

>>> import polars as pl
>>> lf = pl.LazyFrame({"id": [7, 8]})
>>> results = pl.DataFrame({"id": ["8"], "reason": ["deleted"]})
>>> out = join_lazy(nw.from_native(lf), "id", results, {"reason": "r"}, hit_name="h", key_name="k")
>>> out.collect().sort("id")["r"].to_list()
[None, 'deleted']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .base import KEY
from .engines import backend_for

__all__ = ["finish_lazy", "join_lazy", "lookup_table"]


def _key_dtype(frame: nw.LazyFrame[Any], column: str) -> Any:
    """The polars dtype of the lookup's key: the ID column's integer type, else String."""
    dtype = frame.collect_schema()[column]
    if dtype.is_integer():
        return getattr(pl, type(dtype).__name__)  # nw.Int64() -> pl.Int64, ...
    return pl.String


def lookup_table(
    results: pl.DataFrame,
    fields: Mapping[str, str],
    key_dtype: Any,
    hit_name: str,
    *,
    compact_text: bool,
) -> pl.DataFrame:
    """The results as the lookup the engine joins.

    One row per key: collapsed results already are; a copy is made only when two result
    IDs give the same key (e.g. "07" and "7").

    Parameters
    ----------
    results
        Collapsed results: ``id`` (text or integers) and the result fields.
    fields
        Result field -> the name it gets.
    key_dtype
        The key's polars dtype (the ID column's integer type, else String).
    hit_name
        A column added as True.
    compact_text
        Text fields (a handful of distinct values: actions, reasons) as ``Categorical``
        (4 bytes a row instead of 16 and more); the caller casts them back after the join.

    Returns
    -------
    pl.DataFrame
        :data:`~compliance_nb.frames.lazy.base.KEY`, the renamed fields, ``hit_name``.

    Examples
    --------
    >>> results = pl.DataFrame({"id": ["7", "07"], "reason": ["deleted", "protected"]})
    >>> lookup_table(results, {"reason": "r"}, pl.Int64, "hit", compact_text=False).rows()
    [(7, 'deleted', True)]
    """
    if results.schema["id"].is_integer():  # the job engine's results: IDs as numbers
        key = pl.col("id").cast(key_dtype)  # canonical decimal text for a text column
    else:
        key = pl.col("id").cast(pl.String)
        if key_dtype != pl.String:  # results' IDs came from this column: they fit its type
            key = key.cast(pl.UInt64).cast(key_dtype)
    # text fields: String, or already Categorical (the job engine's compact results)
    text = {new for f, new in fields.items() if results.schema[f] in (pl.String, pl.Categorical)}
    table = results.select(
        key.alias(KEY),
        *[
            pl.col(f).cast(pl.Categorical if compact_text else pl.String).alias(new)
            if new in text
            else pl.col(f).alias(new)
            for f, new in fields.items()
        ],
        pl.lit(True).alias(hit_name),
    )
    if table.get_column(KEY).n_unique() < table.height:
        table = table.unique(KEY, keep="first", maintain_order=True)
    return table


def join_lazy(
    frame: nw.LazyFrame[Any],
    id_column: str,
    results: pl.DataFrame,
    fields: Mapping[str, str],
    *,
    hit_name: str,
    key_name: str,
) -> nw.LazyFrame[Any]:
    """Left-join collapsed ``results`` onto ``frame`` by each row's ID, inside the engine.

    Parameters
    ----------
    frame
        The lazy frame.
    id_column
        Its ID column.
    results
        Collapsed results: ``id`` (text or UInt64) and the result fields.
    fields
        Result field -> the name of the column it adds.
    hit_name
        An added column: True where a result line exists, else null.
    key_name
        An added column: the row's key (see :func:`~compliance_nb.frames.lazy.base.row_key`),
        null when the ID is missing or invalid.

    Returns
    -------
    nw.LazyFrame
        ``frame`` with the added columns, of the same engine.

    Examples
    --------
    >>> lf = pl.LazyFrame({"id": ["7", "8"]})
    >>> results = pl.DataFrame({"id": ["7"], "reason": ["deleted"]})
    >>> frame = nw.from_native(lf)
    >>> out = join_lazy(frame, "id", results, {"reason": "r"}, hit_name="h", key_name="k")
    >>> out.collect().sort("id").rows()
    [('7', '7', 'deleted', True), ('8', '8', None, None)]
    """
    backend = backend_for(frame)
    table = lookup_table(
        results,
        fields,
        _key_dtype(frame, id_column),
        hit_name,
        compact_text=backend.compact_text,
    )
    return backend.join(frame, id_column, table, key_name)


def finish_lazy(
    frame: nw.LazyFrame[Any], *, added_bools: list[str], added_labels: list[str]
) -> nw.LazyFrame[Any]:
    """The added columns with the eager path's dtypes where the engine has them.

    polars gets ``Categorical`` for ``added_labels`` (actions, reasons, statuses); Dask
    (pandas) gets the nullable ``boolean`` dtype for ``added_bools`` and pandas' string
    dtype for the labels; engines without a categorical type (DuckDB, Spark) keep text.
    ``added_bools`` are Boolean everywhere.

    Parameters
    ----------
    frame
        The output frame.
    added_bools
        The added Boolean columns (``compliant``).
    added_labels
        The added label columns.

    Returns
    -------
    nw.LazyFrame
        The frame with those dtypes.

    Examples
    --------
    >>> lf = pl.LazyFrame({"status": ["available"], "ok": [True]})
    >>> out = finish_lazy(nw.from_native(lf), added_bools=["ok"], added_labels=["status"])
    >>> dict(out.collect_schema())
    {'status': Categorical, 'ok': Boolean}
    """
    return backend_for(frame).finish(frame, added_bools=added_bools, added_labels=added_labels)
