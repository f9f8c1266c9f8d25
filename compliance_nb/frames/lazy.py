"""Lazy and distributed frames: polars ``LazyFrame``, DuckDB relations, Dask and PySpark.

The eager path pulls the ID column into memory and attaches the new columns by position.
A lazy frame may hold billions of rows, so here:

1. **IDs out, nothing else**: only the ID column is selected, its distinct values are
   computed *by the frame's own engine* (``SELECT DISTINCT``), and those are streamed to
   this process in batches (polars: streaming ``collect_batches``; DuckDB: an Arrow
   record-batch reader; Dask: one partition at a time; Spark: ``toLocalIterator``).
   Each batch is validated by :func:`compliance_nb.frames.ids.parse_ids`, the eager path's
   own rules, and collected by :class:`compliance_nb.frames.spill.DistinctIds` (beyond a few
   million IDs it spills them to temporary files and deduplicates file by file), so this
   process holds the distinct valid IDs once (8 bytes each) and little else. The other
   columns are never read.
2. **results in**: the collapsed results (one row per ID that needs action, usually far
   fewer rows) become a small frame of the same engine (a polars LazyFrame, a relation on
   the same DuckDB connection, a one-partition Dask frame, a broadcast Spark frame) and
   are joined on *inside the engine*, by a key computed per row in the engine. The
   result is lazy again, of the input's type. The lookup is kept compact (text fields
   as categories in polars and Dask, made text again per row) and, in polars, is always
   the hash join's build side.

Rows: lazy engines do not promise an order; the output has the same rows as the input,
not necessarily in the same order. Sort by a key of your own when order matters.

IDs: each row's ID is checked by the engine with the expressions of
:mod:`compliance_nb.rules.ids`, the same rule as for eager frames.

>>> import polars as pl
>>> is_lazy(pl.LazyFrame({"id": [1]})), is_lazy(pl.DataFrame({"id": [1]}))
(True, False)
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .._exceptions import IDColumnTypeError, InputError
from ..rules.ids import MAX_ID, RULE, id_problem, integer_id_key, text_id_key
from .ids import parse_ids
from .spill import DistinctIds

__all__ = [
    "LazyIds",
    "as_lazy",
    "backend_name",
    "distinct_query",
    "is_lazy",
    "join_lazy",
    "lookup_frame",
    "row_key",
    "unique_lazy_ids",
]

#: Rows per batch streamed out of the engine (distinct ID values only).
BATCH_ROWS = 1_000_000
_KEY = "__compliance_nb_key"
_HIT = "__compliance_nb_hit"
_EXAMPLES = 5
_INVALID_CAP = 1_000_000
#: polars: make the (small) lookup the hash join's build side, where polars can be told.
_BUILD_RIGHT: dict[str, Any] = (
    {"build_side": "force_right"}
    if "build_side" in inspect.signature(pl.LazyFrame.join).parameters
    else {}
)


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """narwhals warns that its Dask support moves to a separate package; not for users."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Dask support is moving", category=FutureWarning
        )
        yield


def _wrap(df: Any) -> Any:
    if isinstance(df, (nw.LazyFrame, nw.DataFrame)):
        return df
    with _quiet_dask():
        return nw.from_native(df, pass_through=True)


def is_lazy(df: Any) -> bool:
    """True for a lazy frame narwhals supports (polars LazyFrame, DuckDB relation, Dask,
    PySpark, ...), False for eager frames and anything else."""
    return isinstance(_wrap(df), nw.LazyFrame)


def as_lazy(df: Any) -> nw.LazyFrame[Any]:
    """Wrap a native lazy frame for narwhals (see :func:`is_lazy`)."""
    frame = _wrap(df)
    if not isinstance(frame, nw.LazyFrame):  # pragma: no cover - callers check is_lazy
        raise InputError(f"Expected a lazy frame, got {type(df).__qualname__}.")
    return frame


def backend_name(frame: nw.LazyFrame[Any]) -> str:
    """``"polars"``, ``"duckdb"``, ``"dask"``, ``"pyspark"``, ... for a wrapped lazy frame."""
    impl = frame.implementation
    if impl.is_polars():
        return "polars"
    if impl.is_duckdb():
        return "duckdb"
    if impl.is_dask():
        return "dask"
    if impl.is_pyspark():
        return "pyspark"
    return str(impl.value)


# -- 1. the distinct IDs, streamed out of the engine -------------------------------------


@dataclass(frozen=True)
class LazyIds:
    """What :func:`unique_lazy_ids` returns.

    Attributes:
        ids: the distinct valid IDs, sorted (polars ``UInt64``).
        text: whether the column holds text (else integers).
        n_invalid: distinct *values* that were not valid IDs (0 with ``errors="raise"``).
        invalid_examples: up to five of them, as ``repr`` strings.
    """

    ids: pl.Series
    text: bool
    n_invalid: int = 0
    invalid_examples: tuple[str, ...] = ()


def _check_dtype(dtype: Any, column: str, kind_label: str) -> bool:
    """True for a text column, False for integers; raise for anything else (as the eager
    path does: the same error class and advice)."""
    if dtype.is_integer():
        return False
    if dtype in (nw.String, nw.Categorical) or isinstance(dtype, nw.Enum):
        return True
    if dtype == nw.Unknown:
        return True  # e.g. Dask object columns: validated value by value
    sample: Any = None
    if dtype.is_float():
        sample = pl.Float32 if dtype == nw.Float32 else pl.Float64
    elif dtype.is_decimal():
        sample = pl.Decimal(38, 9)
    elif dtype == nw.Binary:
        sample = pl.Binary
    if sample is not None:  # parse_ids raises the eager path's own error for these
        parse_ids(pl.Series(column, [], dtype=sample), column=column, kind_label=kind_label)
    raise IDColumnTypeError(
        f"Column {column!r} has type {dtype}, which cannot hold {kind_label}s. Use a column "
        "of integers or of decimal text (cast it in the query, e.g. CAST(id AS VARCHAR))."
    )


def row_key(frame: nw.LazyFrame[Any], column: str) -> nw.Expr:
    """The engine-side expression giving each row's ID, or null where the ID is null or
    invalid: integer columns keep their type (an integer join is cheaper); text becomes
    canonical decimal text (no leading zeros)."""
    dtype = frame.collect_schema()[column]
    if dtype.is_integer():
        return integer_id_key(nw.col(column), unsigned=dtype.is_unsigned_integer())
    return text_id_key(nw.col(column).cast(nw.String))


def _key_dtype(frame: nw.LazyFrame[Any], column: str) -> Any:
    """The polars dtype of the lookup's key: the ID column's integer type, else String."""
    dtype = frame.collect_schema()[column]
    if dtype.is_integer():
        return getattr(pl, type(dtype).__name__)  # nw.Int64() -> pl.Int64, ...
    return pl.String


def _batches_polars(native: Any) -> Iterator[pl.Series]:
    batches = native.collect_batches(
        chunk_size=BATCH_ROWS, maintain_order=False, engine="streaming"
    )
    for batch in batches:
        yield batch.to_series(0).unique()


def _batches_duckdb(native: Any) -> Iterator[pl.Series]:
    reader = native.to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield _series_from_arrow(batch.column(0))


def _batches_dask(native: Any) -> Iterator[pl.Series | list[Any]]:
    """Each partition's distinct values, computed by the workers a few partitions at a
    time (as many as there are cores here). A partition depends only on its own input
    partition, so nothing is computed twice and no shuffle is needed; the partitions'
    values are merged here (8 bytes per ID)."""
    import dask

    deduped = native.map_partitions(type(native._meta).drop_duplicates, meta=native._meta)
    parts = deduped.to_delayed()
    step = max(2, os.cpu_count() or 2)
    for lo in range(0, len(parts), step):
        for pdf in dask.compute(*parts[lo : lo + step]):
            yield _series_from_pandas(pdf[pdf.columns[0]])


def _batches_pyspark(native: Any) -> Iterator[pl.Series | list[Any]]:
    chunk: list[Any] = []
    for row in native.toLocalIterator():  # one partition at a time
        chunk.append(row[0])
        if len(chunk) >= BATCH_ROWS:
            yield _series_from_list(chunk)
            chunk = []
    if chunk:
        yield _series_from_list(chunk)


def _series_from_arrow(array: Any) -> pl.Series:
    out = pl.from_arrow(array)
    assert isinstance(out, pl.Series)
    return out


def _series_from_pandas(series: Any) -> pl.Series | list[Any]:
    import pyarrow as pa

    try:
        return _series_from_arrow(pa.Array.from_pandas(series))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed object column: value by value
        return series.tolist()


def _series_from_list(values: list[Any]) -> pl.Series | list[Any]:
    if all(isinstance(v, str) or v is None for v in values):
        return pl.Series(values, dtype=pl.String)
    if all((isinstance(v, int) and not isinstance(v, bool)) or v is None for v in values):
        return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)
    return values


def distinct_query(frame: nw.LazyFrame[Any], column: str) -> nw.LazyFrame[Any]:
    """The engine's query for the values of ``column``: only that column is selected, so
    the engine reads nothing else (projection pushdown: Parquet readers read that one
    column; other computed columns are not computed). Distinct values, except in polars,
    whose ``unique`` holds everything in memory, and Dask, whose ``drop_duplicates``
    shuffles: there each batch (partition) is deduplicated on its own and merged by
    :func:`unique_lazy_ids`."""
    selected = frame.select(nw.col(column))
    return selected if backend_name(frame) in ("polars", "dask") else selected.unique()


def _distinct_batches(frame: nw.LazyFrame[Any], column: str) -> Iterator[pl.Series | list[Any]]:
    distinct = distinct_query(frame, column)
    native = distinct.to_native()
    backend = backend_name(frame)
    if backend == "polars":
        yield from _batches_polars(native)
    elif backend == "duckdb":
        yield from _batches_duckdb(native)
    elif backend == "dask":
        yield from _batches_dask(native)
    elif backend == "pyspark":
        yield from _batches_pyspark(native)
    else:  # another lazy backend narwhals supports: collect the distinct values at once
        collected = distinct.collect()
        yield _series_from_arrow(collected.to_arrow().column(0))


def _valid_ids(
    batch: pl.Series | list[Any],
    column: str,
    kind_label: str,
    invalid: set[str],
    examples: list[Any],
) -> pl.Series:
    """One batch's IDs (``UInt64``, null where the value is missing or invalid); the
    invalid values are added to ``invalid`` (as ``repr``, up to a cap) and ``examples``."""
    with warnings.catch_warnings():  # counted by the caller, reported once
        warnings.simplefilter("ignore", UserWarning)
        parsed = parse_ids(batch, column=column, errors="coerce", kind_label=kind_label)
    ids = parsed.ids
    if isinstance(batch, list):
        present = pl.Series([v is not None for v in batch], dtype=pl.Boolean)
        source = pl.Series(column, batch, dtype=pl.Object)
    else:
        present, source = batch.is_not_null(), batch
    bad = present & ids.is_null()
    if bad.any():
        shown = source.filter(bad).to_list()
        for value in shown[:_EXAMPLES]:
            if len(examples) < _EXAMPLES and repr(value) not in invalid:
                examples.append(value)
                invalid.add(repr(value))
        if len(invalid) < _INVALID_CAP:
            invalid.update(repr(v) for v in shown[:_INVALID_CAP])
    return ids


def unique_lazy_ids(
    frame: nw.LazyFrame[Any], column: str, *, errors: str = "raise", kind_label: str = "ID"
) -> LazyIds:
    """Validate a lazy frame's ID column and return its distinct valid IDs, sorted.

    Only ``column`` is read. DuckDB and Spark compute its distinct values (in the
    engine, spilling or distributed as they do); polars streams the column (its in-memory
    ``unique`` would need several times the IDs' size) and Dask dedupes each partition on
    its workers (no shuffle); their batches are merged here. Each batch is checked by
    :func:`~compliance_nb.frames.ids.parse_ids`.

    Raises:
        IDColumnTypeError: a float (or other non-integer, non-text) column.
        InputError: invalid values with ``errors="raise"`` (counted as distinct values).

    >>> import polars as pl
    >>> lf = pl.LazyFrame({"id": ["20", " 20", "007", None], "text": ["a", "b", "c", "d"]})
    >>> unique_lazy_ids(nw.from_native(lf), "id").ids.to_list()
    [7, 20]
    """
    if errors not in ("raise", "coerce"):
        raise InputError(f"errors={errors!r}: use errors='raise' or errors='coerce'.")
    text = _check_dtype(frame.collect_schema()[column], column, kind_label)
    seen = DistinctIds()  # spills to temporary files beyond a few million IDs
    invalid: set[str] = set()  # distinct invalid values (as repr), counted up to a cap
    examples: list[Any] = []
    try:
        for batch in _distinct_batches(frame, column):
            ids = _valid_ids(batch, column, kind_label, invalid, examples)
            seen.add(ids.drop_nulls().cast(pl.UInt64).to_numpy())
            del batch, ids
        if invalid:
            _report_invalid(column, kind_label, errors, invalid, examples)
        distinct = seen.result()
    finally:
        seen.close()  # the temporary files go now (also on an error), not when collected
    return LazyIds(
        ids=distinct,
        text=text,
        n_invalid=len(invalid),
        invalid_examples=tuple(repr(v) for v in examples),
    )


def _report_invalid(
    column: str, kind_label: str, errors: str, invalid: set[str], examples: list[Any]
) -> None:
    """Raise (``errors="raise"``) or warn about the invalid values found."""
    count = f"more than {_INVALID_CAP}" if len(invalid) >= _INVALID_CAP else str(len(invalid))
    message = (
        f"Column {column!r} has {count} distinct value(s) that are not valid "
        f"{kind_label}s (e.g. {'; '.join(f'{v!r}: {id_problem(v)}' for v in examples)}). "
        f"{RULE}."
    )
    if errors == "raise":
        raise InputError(
            message + " Fix or filter those rows in the query, or pass errors='coerce' "
            "to give them null results."
        )
    warnings.warn(
        message + " Their rows get null results (errors='coerce').", UserWarning, stacklevel=4
    )


# -- 2. the results, joined inside the engine --------------------------------------------


def lookup_frame(frame: nw.LazyFrame[Any], table: pl.DataFrame) -> nw.LazyFrame[Any]:
    """``table`` (small, polars) as a lazy frame of ``frame``'s engine, joinable with it:
    polars -> LazyFrame; DuckDB -> a relation on the same connection; Dask -> one
    partition (merged by broadcast); Spark -> a DataFrame of the same session, marked
    for broadcast when it is small."""
    backend = backend_name(frame)
    native = frame.to_native()
    if backend == "polars":
        out: Any = table.lazy()
    elif backend == "duckdb":
        compliance_nb_lookup = table.to_arrow()  # noqa: F841 - found by DuckDB by name
        # ``query`` runs on the relation's own connection; DuckDB finds the Arrow table
        # above by its variable name (a replacement scan) and keeps a reference to it.
        out = native.query("compliance_nb_rows", "SELECT * FROM compliance_nb_lookup")
    elif backend == "dask":
        import dask.dataframe as dd

        out = dd.from_pandas(_to_pandas(table), npartitions=1)
    elif backend == "pyspark":
        out = _spark_frame(native.sparkSession, table)
    else:
        raise InputError(
            f"Lazy frames of {backend} are not supported yet: use a polars LazyFrame, a "
            "DuckDB relation, a Dask or a PySpark DataFrame, or collect it first."
        )
    return _wrap(out)


def _to_pandas(table: pl.DataFrame) -> Any:
    """polars -> pandas with nullable dtypes (text as str, booleans as "boolean")."""
    pdf = table.to_pandas()
    bools = [c for c, t in table.schema.items() if t == pl.Boolean]
    return pdf.astype({c: "boolean" for c in bools}) if bools else pdf


def _spark_frame(spark: Any, table: pl.DataFrame) -> Any:
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
    schema = T.StructType([T.StructField(c, types[t], True) for c, t in table.schema.items()])
    rows = table.rows()
    sdf = spark.createDataFrame(rows, schema=schema) if rows else spark.createDataFrame([], schema)
    return F.broadcast(sdf) if table.height <= 5_000_000 else sdf


def _lookup_table(
    results: pl.DataFrame,
    fields: Mapping[str, str],
    key_dtype: Any,
    hit_name: str,
    *,
    compact_text: bool,
) -> pl.DataFrame:
    """The results as the lookup the engine joins: the key (``key_dtype``), the fields
    renamed, and ``hit_name`` (True). With ``compact_text`` the text fields (a handful of
    distinct values: actions, reasons) are ``Categorical``, 4 bytes a row instead of 16
    and more; the caller casts them back after the join. One row per key: collapsed
    results already are; a copy is made only when two result IDs give the same key
    (e.g. "07" and "7")."""
    if results.schema["id"].is_integer():  # the job engine's results: IDs as numbers
        key = pl.col("id").cast(key_dtype)  # canonical decimal text for a text column
    else:
        key = pl.col("id").cast(pl.String)
        if key_dtype != pl.String:  # results' IDs came from this column: they fit its type
            key = key.cast(pl.UInt64).cast(key_dtype)
    # text fields: String, or already Categorical (the job engine's compact results)
    text = {new for f, new in fields.items() if results.schema[f] in (pl.String, pl.Categorical)}
    table = results.select(
        key.alias(_KEY),
        *[
            pl.col(f).cast(pl.Categorical if compact_text else pl.String).alias(new)
            if new in text
            else pl.col(f).alias(new)
            for f, new in fields.items()
        ],
        pl.lit(True).alias(hit_name),
    )
    if table.get_column(_KEY).n_unique() < table.height:
        table = table.unique(_KEY, keep="first", maintain_order=True)
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
    """Left-join collapsed ``results`` (``id`` text or UInt64, result fields) onto ``frame`` by
    each row's ID, inside the engine. Adds the columns named in ``fields`` (result field
    -> new name), ``hit_name`` (True where a result line exists, else null) and
    ``key_name`` (the row's canonical ID text, null when missing/invalid).

    polars: the lookup's text fields are held as ``Categorical`` (and stay so, as in
    the eager path's output), and the lookup is always the join's build side (the rows
    stream past its hash table; left to choose, the streaming engine first buffers
    millions of rows of both sides to compare their sizes)."""
    backend = backend_name(frame)
    polars = backend == "polars"
    table = _lookup_table(
        results,
        fields,
        _key_dtype(frame, id_column),
        hit_name,
        compact_text=backend in ("polars", "dask"),
    )
    if backend == "dask":
        return _wrap(_dask_join(_dask_keyed(frame, id_column, key_name), table, key_name))
    keyed = frame.with_columns(row_key(frame, id_column).alias(key_name))
    if polars:
        joined = keyed.to_native().join(
            table.lazy(), left_on=key_name, right_on=_KEY, how="left", **_BUILD_RIGHT
        )
        return _wrap(joined)  # text fields stay Categorical, as on the eager path
    lookup = lookup_frame(frame, table)
    return keyed.join(lookup, left_on=key_name, right_on=_KEY, how="left")


def _dask_keyed(frame: nw.LazyFrame[Any], column: str, key_name: str) -> Any:
    """Dask: ``frame`` with each row's key (see :func:`row_key`). An integer column's key
    is computed in pandas' nullable integer type: the generic expression would turn a
    numpy ``int64`` column holding an invalid ID (0, negative) into ``float64``, where
    IDs above 2**53 are no longer exact."""
    dtype = frame.collect_schema()[column]
    if not dtype.is_integer():
        return frame.with_columns(row_key(frame, column).alias(key_name)).to_native()
    native = frame.to_native()
    unsigned = dtype.is_unsigned_integer()
    ids = native[column].astype("UInt64" if unsigned else "Int64")  # exact: no float
    valid = (ids > 0).fillna(False)
    if unsigned:
        valid = valid & (ids <= MAX_ID).fillna(False)
    return native.assign(**{key_name: ids.where(valid)})


def _dask_join(left: Any, table: pl.DataFrame, key_name: str) -> Any:
    """Dask: look each partition's keys up in the small lookup frame (one copy in the
    graph, indexed by key: its hash table is built once per worker process, not once per
    partition as a ``merge`` would), keeping the partitions, their row order and the
    index (a plain ``merge`` resets it). Text fields are held as pandas ``category``
    (1 byte a row) and made text again per partition."""
    import dask

    lookup = _to_pandas(table).set_index(_KEY)
    if lookup.index.dtype.kind in "iu" and len(lookup) and lookup.index.min() < 1:
        lookup = lookup[lookup.index > 0]  # never a row's key; 0 stands for "no key"
    meta = _merge_keep_index(left._meta, lookup.iloc[:0], key_name)
    return left.map_partitions(
        _merge_keep_index, dask.delayed(lookup), key_name, meta=meta, align_dataframes=False
    )


def _merge_keep_index(part: Any, lookup: Any, key_name: str) -> Any:
    """pandas: the ``lookup`` row (indexed by a unique key) for each row of ``part``, as
    new columns (``category`` ones as text); same rows, order and index as ``part``."""
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
            codes = found[name].cat.codes.to_numpy()  # categories (-1: missing), fast
            text = dtype.categories.astype("str").array.take(codes, allow_fill=True)
            found[name] = pd.Series(text, index=found.index)
    return pd.concat([part, found], axis=1)


def finish_lazy(
    frame: nw.LazyFrame[Any], *, added_bools: list[str], added_labels: list[str]
) -> nw.LazyFrame[Any]:
    """Backend touches so the added columns have the eager path's dtypes where the
    engine has them: polars gets ``Categorical`` for ``added_labels`` (actions, reasons,
    statuses); Dask (pandas) gets the nullable ``boolean`` dtype for ``added_bools``
    (plain ``bool`` cannot hold a null) and pandas' default string dtype for the labels
    (a Dask ``category`` column would need its categories computed first). Engines
    without a categorical type (DuckDB, Spark) keep text."""
    backend = backend_name(frame)
    if backend == "polars":
        native = frame.to_native()
        return _wrap(native.with_columns(pl.col(added_labels).cast(pl.Categorical)))
    if backend == "dask":
        native = frame.to_native()
        dtypes = {c: "boolean" for c in added_bools} | {c: "str" for c in added_labels}
        return _wrap(native.astype(dtypes))
    return frame
