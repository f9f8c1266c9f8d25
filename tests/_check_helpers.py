"""Backend constructors and helpers for the check/ids/ledger/apply tests.

A constructor turns a list of IDs (Python ints, or None) into a native DataFrame whose
``id`` column has one particular dtype, plus a ``text`` column and a non-default index
(pandas) so the tests see that both survive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl
import pytest

Ids = list[Any]


def _pandas_index(n: int) -> pd.Index:
    # string labels, not 0..n-1, so a reset index shows up
    return pd.Index([f"row{n - i}" for i in range(n)], name="label")


def _text(n: int) -> list[str]:
    return [f"t{i}" for i in range(n)]


def _pd(col: Any, n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": col, "text": _text(n)}, index=_pandas_index(n))


def pandas_int64(ids: Ids) -> pd.DataFrame:
    if any(v is None for v in ids):
        pytest.skip("numpy int64 cannot hold nulls")
    return _pd(pd.array(ids, dtype="int64"), len(ids))


def pandas_object_str(ids: Ids) -> pd.DataFrame:
    col = pd.Series([None if v is None else str(v) for v in ids], dtype=object)
    return _pd(col.array, len(ids))


def pandas_str(ids: Ids) -> pd.DataFrame:
    return _pd(pd.array([None if v is None else str(v) for v in ids], dtype="str"), len(ids))


def pandas_nullable_int64(ids: Ids) -> pd.DataFrame:
    return _pd(pd.array(ids, dtype="Int64"), len(ids))


def pandas_nullable_uint64(ids: Ids) -> pd.DataFrame:
    return _pd(pd.array(ids, dtype="UInt64"), len(ids))


def pandas_pyarrow_string(ids: Ids) -> pd.DataFrame:
    values = [None if v is None else str(v) for v in ids]
    return _pd(pd.array(values, dtype="string[pyarrow]"), len(ids))


def polars_string(ids: Ids) -> pl.DataFrame:
    values = [None if v is None else str(v) for v in ids]
    return pl.DataFrame({"id": pl.Series(values, dtype=pl.String), "text": _text(len(ids))})


def polars_int64(ids: Ids) -> pl.DataFrame:
    return pl.DataFrame({"id": pl.Series(ids, dtype=pl.Int64), "text": _text(len(ids))})


def polars_uint64(ids: Ids) -> pl.DataFrame:
    return pl.DataFrame({"id": pl.Series(ids, dtype=pl.UInt64), "text": _text(len(ids))})


CONSTRUCTORS: dict[str, Callable[[Ids], Any]] = {
    "pandas-int64": pandas_int64,
    "pandas-object-str": pandas_object_str,
    "pandas-str": pandas_str,
    "pandas-Int64": pandas_nullable_int64,
    "pandas-UInt64": pandas_nullable_uint64,
    "pandas-string[pyarrow]": pandas_pyarrow_string,
    "polars-String": polars_string,
    "polars-Int64": polars_int64,
    "polars-UInt64": polars_uint64,
}


@pytest.fixture(params=list(CONSTRUCTORS), ids=list(CONSTRUCTORS))
def constructor(request: pytest.FixtureRequest) -> Callable[[Ids], Any]:
    """Builds a frame with an ``id`` column of one backend/dtype; see CONSTRUCTORS."""
    return CONSTRUCTORS[request.param]


def copy_of(df: Any) -> Any:
    """A deep copy to compare against after a call (the input must not change)."""
    return df.copy(deep=True) if isinstance(df, pd.DataFrame) else df.clone()


def assert_same_frame(a: Any, b: Any) -> None:
    """Same type, values, dtypes and (pandas) index."""
    assert type(a) is type(b)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    else:
        from polars.testing import assert_frame_equal

        assert_frame_equal(a, b)


def original_part(out: Any, original: Any) -> Any:
    """The columns of ``original`` taken from ``out`` (to compare to the original)."""
    cols = list(original.columns)
    return out[cols] if isinstance(out, pd.DataFrame) else out.select(cols)


def added_as_polars(out: Any, names: list[str]) -> pl.DataFrame:
    """The added columns of ``out`` as a polars frame (row order kept)."""
    if isinstance(out, pd.DataFrame):
        return pl.from_pandas(out[names].reset_index(drop=True))
    return out.select(names)


def expected_ids(ids: Ids) -> list[int | None]:
    """Python ints (exact) for comparison."""
    return [None if v is None else int(v) for v in ids]


def without_source(frame: Any) -> Any:
    """``frame`` without the provenance column (``<prefix>source``): it names the run's
    jobs and times, so two runs' frames differ there and only there."""
    drop = [c for c in frame.columns if str(c).endswith("source")]
    if hasattr(frame, "drop") and isinstance(frame, pd.DataFrame):
        return frame.drop(columns=drop)
    return frame.drop(drop)
