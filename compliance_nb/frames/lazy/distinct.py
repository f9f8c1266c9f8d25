"""Step 1 of the lazy path: the distinct IDs of a lazy frame's ID column, streamed out of
its engine in batches (the backend's :meth:`~compliance_nb.frames.lazy.base.LazyBackend.batches`),
each checked by the eager path's :func:`~compliance_nb.frames.ids.parse_ids` and
collected by :class:`~compliance_nb.frames.lazy.spill.DistinctIds`.

>>> import polars as pl
>>> lf = pl.LazyFrame({"id": [3, 1, 3]})
>>> unique_lazy_ids(nw.from_native(lf), "id").ids.to_list()
[1, 3]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..._exceptions import IDColumnTypeError, InputError
from ...rules.ids import RULE, id_problem
from ..ids import parse_ids
from .engines import backend_for
from .spill import DistinctIds

__all__ = ["BATCH_ROWS", "LazyIds", "distinct_query", "unique_lazy_ids"]

#: Rows per batch streamed out of the engine (distinct ID values only).
BATCH_ROWS = 1_000_000
_EXAMPLES = 5
_INVALID_CAP = 1_000_000


@dataclass(frozen=True)
class LazyIds:
    """What :func:`unique_lazy_ids` returns.

    Attributes
    ----------
    ids
        The distinct valid IDs, sorted (polars ``UInt64``).
    text
        Whether the column holds text (else integers).
    n_invalid
        Distinct *values* that were not valid IDs (0 with ``errors="raise"``).
    invalid_examples
        Up to five of them, as ``repr`` strings.
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


def distinct_query(frame: nw.LazyFrame[Any], column: str) -> nw.LazyFrame[Any]:
    """The engine's query for the values of ``column``.

    Only that column is selected, so the engine reads nothing else (projection pushdown:
    Parquet readers read that one column; other computed columns are not computed).
    Distinct values where the backend's ``distinct_in_engine`` says so; elsewhere (polars,
    whose ``unique`` holds everything in memory, and Dask, whose ``drop_duplicates``
    shuffles) each batch is deduplicated on its own and merged by :func:`unique_lazy_ids`.

    Parameters
    ----------
    frame
        The lazy frame.
    column
        Its ID column.

    Returns
    -------
    nw.LazyFrame
        The query: one column.

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"id": [1, 1], "text": ["a", "b"]})
    >>> distinct_query(nw.from_native(lf), "id").collect_schema().names()
    ['id']
    """
    selected = frame.select(nw.col(column))
    return selected.unique() if backend_for(frame).distinct_in_engine else selected


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

    Parameters
    ----------
    frame
        The lazy frame.
    column
        Its ID column.
    errors
        ``"raise"`` or ``"coerce"`` (invalid values are counted and warned about).
    kind_label
        What the IDs are, for messages.

    Returns
    -------
    LazyIds
        The distinct valid IDs and what was found invalid.

    Raises
    ------
    IDColumnTypeError
        A float (or other non-integer, non-text) column.
    InputError
        Invalid values with ``errors="raise"`` (counted as distinct values).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"id": ["20", " 20", "007", None], "text": ["a", "b", "c", "d"]})
    >>> unique_lazy_ids(nw.from_native(lf), "id").ids.to_list()
    [7, 20]
    """
    if errors not in ("raise", "coerce"):
        raise InputError(f"errors={errors!r}: use errors='raise' or errors='coerce'.")
    text = _check_dtype(frame.collect_schema()[column], column, kind_label)
    backend = backend_for(frame)
    seen = DistinctIds()  # spills to temporary files beyond a few million IDs
    invalid: set[str] = set()  # distinct invalid values (as repr), counted up to a cap
    examples: list[Any] = []
    try:
        for batch in backend.batches(distinct_query(frame, column), BATCH_ROWS):
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
