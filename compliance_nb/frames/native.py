"""All dataframe-library code, written once against ``narwhals.stable.v2`` (wrapping the
caller's frame is :mod:`compliance_nb._dataframes`, which the display layer shares).

The rest of the package works on polars Series and frames. This module moves data between
the user's frame (pandas, polars, pyarrow, ... anything eager narwhals supports) and
polars, and adds columns back without disturbing the user's rows:

* rows keep their order and a pandas index (default or not, MultiIndex included) is kept:
  new columns are attached by position, never by a join on the user's frame;
* the input is never mutated: narwhals returns new frames;
* every step checks the row count.

Lazy frames (polars LazyFrame, DuckDB, Dask, PySpark) take another path, in
:mod:`compliance_nb.frames.lazy`: nothing is pulled into memory but the distinct IDs.

>>> import polars as pl
>>> from compliance_nb._dataframes import as_frame
>>> frame = as_frame(pl.DataFrame({"id": ["2", "1"]}))
>>> column_values(frame, "id").to_list()
['2', '1']
>>> out = add_columns(frame, pl.DataFrame({"flag": [True, None]}))
>>> out.to_native()["flag"].to_list()
[True, None]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from .._exceptions import InputError

__all__ = [
    "RowPlan",
    "add_columns",
    "add_gathered",
    "column_parts",
    "column_values",
    "drop_columns",
    "filter_rows",
    "gather_rows",
    "null_where",
    "require_columns",
    "unused_name",
]


def require_columns(frame: nw.DataFrame[Any], *names: str) -> None:
    """Raise :class:`InputError` naming the available columns if any of ``names`` is missing."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = ", ".join(repr(c) for c in frame.columns[:50])
        more = f" (and {len(frame.columns) - 50} more)" if len(frame.columns) > 50 else ""
        raise InputError(
            f"Column {missing[0]!r} is not in the DataFrame. Available columns: "
            f"{shown or '(none)'}{more}. Pass id_column=... to name the column that "
            "holds the IDs."
        )


def column_values(frame: nw.DataFrame[Any], name: str) -> pl.Series | list[Any]:
    """One column as a polars Series, exactly (integers stay integers, text stays text).

    A pandas ``object`` column that Arrow cannot read as one type (e.g. ints mixed with
    text) is returned as a Python list, for :func:`compliance_nb.frames.ids.parse_ids`.
    """
    require_columns(frame, name)
    native = frame.to_native()
    if isinstance(native, pl.DataFrame):  # already polars: no Arrow round trip
        return native.get_column(name)
    series = frame[name]
    try:
        arrow = series.to_arrow()
    except Exception:  # pyarrow.ArrowInvalid / ArrowTypeError: mixed object column
        return series.to_list()
    out = pl.from_arrow(arrow)
    assert isinstance(out, pl.Series)
    return out.alias(name)


#: Rows of a column made polars at a time by :func:`column_parts`.
PART_ROWS = 1 << 18


def column_parts(
    frame: nw.DataFrame[Any], name: str, rows: int | None = None
) -> Iterator[pl.Series | list[Any]]:
    """:func:`column_values` in consecutive parts of ``rows`` rows (default
    :data:`PART_ROWS`; at least one part, empty for an empty frame): a polars column
    whole (no copy), any other through Arrow one part at a time, so that a text column
    is never copied into polars whole (350 MB at 10M IDs). Parsed part by part (pandas
    ``str``, 10M IDs) it is as fast, and what is left held after the parse goes from
    about 280 to 110 MB.

    >>> import pandas as pd
    >>> from compliance_nb._dataframes import as_frame
    >>> frame = as_frame(pd.DataFrame({"id": ["1", "2", "3"]}))
    >>> [part.to_list() for part in column_parts(frame, "id", rows=2)]
    [['1', '2'], ['3']]
    """
    require_columns(frame, name)
    native = frame.to_native()
    if isinstance(native, pl.DataFrame):
        yield native.get_column(name)
        return
    series = frame[name]
    try:
        arrow = series.to_arrow()
    except Exception:  # pyarrow.ArrowInvalid / ArrowTypeError: mixed object column
        yield series.to_list()
        return
    step = rows or PART_ROWS
    for start in range(0, max(len(arrow), 1), step):
        part = pl.from_arrow(arrow.slice(start, step))
        assert isinstance(part, pl.Series)
        yield part.alias(name)


def unused_name(frame: nw.DataFrame[Any], base: str) -> str:
    """A column name starting with ``base`` that ``frame`` does not have."""
    name, i = base, 0
    while name in frame.columns:
        i += 1
        name = f"{base}_{i}"
    return name


def _is_pandas_like(frame: nw.DataFrame[Any]) -> bool:
    return nw.dependencies.is_pandas_like_dataframe(frame.to_native())


def add_columns(frame: nw.DataFrame[Any], new: pl.DataFrame) -> nw.DataFrame[Any]:
    """Attach the columns of ``new`` (a polars frame with one row per row of ``frame``,
    in the same order) to ``frame``, by position.

    The result has the type of ``frame``'s backend. pandas: text columns get the default
    string dtype, UTC datetimes ``datetime64[us, UTC]``, booleans the nullable ``boolean``
    dtype (it can hold nulls); the index is kept. The input frame is not changed.
    """
    if new.height != len(frame):
        raise AssertionError(f"row count changed: {len(frame)} rows in, {new.height} built")
    native = frame.to_native()
    if isinstance(native, pl.DataFrame):  # polars: attach the columns as they are
        return nw.from_native(native.hstack(new.get_columns()), eager_only=True)
    backend = nw.get_native_namespace(frame)
    converted = nw.from_arrow(new.to_arrow(), backend=backend)
    if _is_pandas_like(frame):
        bools = [c for c, t in new.schema.items() if t == pl.Boolean]
        if bools:  # pandas-like frames: the nullable "boolean" dtype keeps the nulls
            native = converted.to_native().astype({c: "boolean" for c in bools})
            converted = nw.from_native(native, eager_only=True)
    out = frame.with_columns(*[converted[c] for c in converted.columns])
    if len(out) != len(frame):  # pragma: no cover - guard against index alignment
        raise AssertionError(f"row count changed: {len(frame)} rows in, {len(out)} out")
    return out


#: Rows from which :class:`RowPlan` looks for one row most of them take.
_SCATTER_FROM = 1 << 16


@dataclass(frozen=True)
class RowPlan:
    """For each of ``size`` rows, the row of a small table it takes (see
    :func:`add_gathered`), kept small when at least three rows in four take one and the
    same row (most IDs have no result: they take the "no result" row). Then ``common``
    is that row, ``at`` the positions of the other rows and ``taken`` their rows: 12
    bytes per other row instead of 4 per row. Otherwise ``common`` is None and ``taken``
    holds the row of every row.

    >>> plan = RowPlan.of(np.array([2, 2, 0, 2], dtype=np.uint32), sparse_from=1)
    >>> plan.common, plan.at.tolist(), plan.taken.tolist()
    (2, [2], [0])
    >>> plan.rows().tolist(), plan.take(np.array([10, 20, 30])).tolist()
    ([2, 2, 0, 2], [30, 30, 10, 30])
    """

    size: int
    common: int | None
    at: np.ndarray
    taken: np.ndarray

    @classmethod
    def of(cls, rows: pl.Series | np.ndarray, sparse_from: int | None = None) -> RowPlan:
        """The plan of ``rows`` (one table row number per row); ``rows`` is not kept
        when the plan is small."""
        index = rows.to_numpy() if isinstance(rows, pl.Series) else rows
        if len(index) and len(index) >= (sparse_from or _SCATTER_FROM):
            common = int(np.bincount(index[::64]).argmax())  # the likely one; checked next
            others = np.flatnonzero(index != common)
            if len(others) <= len(index) // 4:
                return cls(len(index), common, others, index[others])
        return cls(len(index), None, np.zeros(0, dtype=np.int64), index)

    def rows(self) -> np.ndarray:
        """The row of every row."""
        if self.common is None:
            return self.taken
        out = np.full(self.size, self.common, dtype=self.taken.dtype)
        out[self.at] = self.taken
        return out

    def take(self, values: np.ndarray) -> np.ndarray:
        """``values[rows]``: for each row, the value of its table row (``values`` holds one
        per table row)."""
        if self.common is None:
            return values[self.taken]
        out = np.full(self.size, values[self.common], dtype=values.dtype)
        out[self.at] = values[self.taken]
        return out


def add_gathered(
    frame: nw.DataFrame[Any], small: pl.DataFrame, rows: pl.Series | RowPlan
) -> nw.DataFrame[Any]:
    """:func:`add_columns` for columns given as a small table and, for each row of
    ``frame``, the row of ``small`` it takes (``rows``, in range; or their
    :class:`RowPlan`).

    polars: :func:`gather_rows`. A pandas ``DataFrame``: each column is taken per row
    in numpy and wrapped as pandas (no detour of the full columns through Arrow;
    categories are those of the rows taken), attached with one ``concat``. Other
    frames: gathered in polars, then :func:`add_columns`.

    >>> import pandas as pd
    >>> small = pl.DataFrame({"s": pl.Series(["a", "b", None], dtype=pl.Categorical)})
    >>> from compliance_nb._dataframes import as_frame
    >>> out = add_gathered(as_frame(pd.DataFrame({"x": [1, 2, 3]})), small, pl.Series([1, 2, 1]))
    >>> out.to_native()["s"].tolist(), str(out.to_native()["s"].dtype)
    (['b', nan, 'b'], 'category')
    """
    plan = rows if isinstance(rows, RowPlan) else RowPlan.of(rows)
    if plan.size != len(frame):
        raise AssertionError(f"row count changed: {len(frame)} rows in, {plan.size} built")
    native = frame.to_native()
    if _is_pandas_frame(native):
        import pandas as pd

        # one concat of the new columns (not assign, which copies each one as it goes
        # in: 80 MB a timestamp column at 10M rows); the same index object, so by position
        added = pd.DataFrame(_pandas_taken(small, plan), index=native.index, copy=False)
        out = pd.concat([native, added], axis=1).__finalize__(native)  # attrs, flags kept
        if len(out) != len(native):  # pragma: no cover - guard against index alignment
            raise AssertionError(f"row count changed: {len(native)} rows in, {len(out)} out")
        return nw.from_native(out, eager_only=True)
    return add_columns(frame, gather_rows(small, plan))


def gather_rows(small: pl.DataFrame, rows: pl.Series | RowPlan) -> pl.DataFrame:
    """The rows of ``small`` at ``rows`` (in range; or their :class:`RowPlan`):
    ``small.select(pl.all().gather(rows))``.

    When most rows take one and the same row (a small plan), each column is made as that
    row's value repeated with the other rows' values scattered in, one column per thread:
    about half the time of the gather at 10M rows (0.26-0.33 against 0.59-0.75 s for six
    columns).

    >>> small = pl.DataFrame({"x": [10, 20, None]})
    >>> gather_rows(small, pl.Series([1, 1, 0, 2, 1])).get_column("x").to_list()
    [20, 20, 10, None, 20]
    """
    plan = rows if isinstance(rows, RowPlan) else RowPlan.of(rows)
    common = plan.common
    if common is None:
        return small.select(pl.all().gather(pl.Series(plan.rows())))
    at, taken = pl.Series(plan.at), pl.Series(plan.taken)

    def column(name: str) -> pl.Series:
        source = small.get_column(name)
        return source.new_from_index(common, plan.size).scatter(at, source.gather(taken))

    with ThreadPoolExecutor(2, thread_name_prefix="compliance_nb-gather") as pool:
        return pl.DataFrame(list(pool.map(column, small.columns)))


def _pandas_taken(small: pl.DataFrame, plan: RowPlan) -> dict[str, Any]:
    """pandas arrays: each column of ``small`` taken per row as ``plan`` says, with the
    dtypes of :func:`add_columns` (categories of the rows taken only; nullable
    ``boolean``).

    Categories, booleans and UTC timestamps are taken in numpy (:meth:`RowPlan.take`)
    and wrapped without a copy (``ExtensionArray.take`` would first copy the row numbers
    as 64-bit numbers: 80 MB a column at 10M rows).
    """
    import pandas as pd

    seen: pl.DataFrame | None = None  # the rows taken, when some are not
    if pl.Categorical in small.schema.dtypes():
        used = np.zeros(small.height, dtype=bool)
        used[plan.taken] = True
        if plan.common is not None:
            used[plan.common] = True
        if not used.all():
            seen = small.filter(pl.Series(used))
    taken: dict[str, Any] = {}
    for name, dtype in small.schema.items():
        column = small.get_column(name)
        if dtype == pl.Boolean:
            values, missing = column.fill_null(False).to_numpy(), column.is_null().to_numpy()
            taken[name] = pd.arrays.BooleanArray(plan.take(values), plan.take(missing), copy=False)
        elif dtype == pl.Categorical:
            table = column.to_pandas()
            if seen is not None:  # no category nobody has
                present = set(seen.get_column(name).drop_nulls().unique().cast(pl.String))
                kept = [c for c in table.cat.categories if c in present]
                table = table.cat.set_categories(kept)
            codes = plan.take(table.cat.codes.to_numpy())
            taken[name] = pd.Categorical.from_codes(codes, dtype=table.dtype)
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone == "UTC":
            stamps = plan.take(column.to_physical().fill_null(_NAT).to_numpy())
            taken[name] = pd.array(
                stamps, dtype=pd.DatetimeTZDtype(dtype.time_unit, "UTC"), copy=False
            )
        else:  # any other column: pandas' own take
            taken[name] = column.to_pandas().array.take(plan.rows())
    return taken


#: pandas' "not a time" as a 64-bit number.
_NAT = np.iinfo(np.int64).min


def drop_columns(frame: nw.DataFrame[Any], names: Iterable[str]) -> nw.DataFrame[Any]:
    """``frame`` without the columns in ``names`` that it has."""
    names = [n for n in names if n in frame.columns]
    return frame.drop(names) if names else frame


def filter_rows(frame: nw.DataFrame[Any], keep: pl.Series) -> nw.DataFrame[Any]:
    """The rows of ``frame`` where ``keep`` (polars Boolean, one per row) is True.
    Order and (pandas) index labels of the kept rows are preserved."""
    tmp = unused_name(frame, "__compliance_nb_keep")
    marked = add_columns(frame, pl.DataFrame({tmp: keep.fill_null(True)}))
    return marked.filter(nw.col(tmp)).drop(tmp)


def null_where(
    frame: nw.DataFrame[Any], columns: Iterable[str], mask: pl.Series
) -> nw.DataFrame[Any]:
    """Set ``columns`` to null in the rows where ``mask`` is True; other values untouched.

    The null is the column's own: ``None`` in a pandas ``object`` column (as its other
    missing values usually are, so that ``value is None`` still finds them), NaN, NaT or
    NA by dtype in other pandas columns, null elsewhere.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"place": ["a", {"x": 1}], "lat": [1.5, 2.5]})
    >>> from compliance_nb._dataframes import as_frame
    >>> out = null_where(as_frame(df), ["place", "lat"], pl.Series([True, False])).to_native()
    >>> out["place"].tolist(), out["lat"].tolist()
    ([None, {'x': 1}], [nan, 2.5])
    """
    columns = list(columns)
    if not columns or not bool(mask.any()):
        return frame
    tmp = unused_name(frame, "__compliance_nb_mask")
    marked = add_columns(frame, pl.DataFrame({tmp: mask.fill_null(False)}))
    out = marked.with_columns(*[nw.when(~nw.col(tmp)).then(nw.col(c)).alias(c) for c in columns])
    return _none_in_object_columns(frame, out.drop(tmp), columns, mask)


def _is_pandas_frame(native: Any) -> bool:
    """True for a pandas ``DataFrame`` (not a Series, not another pandas-like library)."""
    return type(native).__module__.startswith("pandas") and type(native).__name__ == "DataFrame"


def _none_in_object_columns(
    before: nw.DataFrame[Any], after: nw.DataFrame[Any], columns: list[str], mask: pl.Series
) -> nw.DataFrame[Any]:
    """pandas ``object`` columns of ``after`` (:func:`null_where`'s result, same rows and
    index as ``before``) with ``None`` where ``mask`` is True instead of the NaN the
    expression wrote. ``before`` (the caller's frame) is not changed."""
    native = before.to_native()
    if not _is_pandas_frame(native):
        return after
    objects = [c for c in columns if native[c].dtype == object]
    if not objects:
        return after
    out = after.to_native()  # a new frame, made by with_columns
    keep = ~mask.fill_null(False).to_numpy()
    for name in objects:
        # a Series on the same index: kept as object (an array would be inferred as text)
        out.isetitem(out.columns.get_loc(name), native[name].where(keep, None))
    return nw.from_native(out, eager_only=True)


def is_path(value: Any) -> bool:
    """True for ``str`` and ``os.PathLike`` values (a results file), False for frames."""
    return isinstance(value, (str, os.PathLike))
