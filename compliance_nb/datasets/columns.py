"""Columns of a sample frame for pandas or polars, built from numpy arrays without any float
passing through an ID; the checks of the sample functions' arguments."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .._exceptions import InputError

__all__ = [
    "Backend",
    "IdsAs",
    "check_args",
    "datetime_column",
    "id_column",
    "make_frame",
    "nullable_column",
    "plain_column",
]

Backend = Literal["pandas", "polars"]
IdsAs = Literal["str", "int", "uint"]


def check_args(n: int, seed: int, backend: str, ids_as: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n must be a whole number >= 0, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}.")
    if backend not in ("pandas", "polars"):
        raise InputError(f"backend must be 'pandas' or 'polars', got {backend!r}.")
    if ids_as not in ("str", "int", "uint"):
        raise InputError(f"ids_as must be 'str', 'int' or 'uint', got {ids_as!r}.")


def id_column(values: np.ndarray, null: np.ndarray, backend: str, ids_as: str) -> Any:
    """An ID column of the requested storage, built without any float."""
    if ids_as == "str":
        strings = values.astype(np.int64).astype(str).astype(object)
        strings[null] = None
        if backend == "polars":
            import polars as pl

            return pl.Series(strings.tolist(), dtype=pl.String)
        import pandas as pd

        return pd.Series(strings, dtype=_pandas_string_dtype())
    ints = values.astype(np.int64 if ids_as == "int" else np.uint64)
    if backend == "polars":
        import polars as pl

        dtype = pl.Int64 if ids_as == "int" else pl.UInt64
        series = pl.Series(ints, dtype=dtype)
        return series.scatter(np.flatnonzero(null), None) if null.any() else series
    import pandas as pd

    array_type = pd.arrays.IntegerArray
    return pd.Series(array_type(ints, null.copy()))


def _pandas_string_dtype() -> Any:
    """pandas' default string dtype: ``"str"`` from pandas 3, ``object`` before."""
    import pandas as pd

    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def datetime_column(ms: np.ndarray, backend: str) -> Any:
    """UTC datetimes with microsecond resolution from milliseconds since the epoch."""
    micros = ms.astype(np.int64) * 1000
    if backend == "polars":
        import polars as pl

        return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    import pandas as pd

    return pd.Series(micros.astype("datetime64[us]")).dt.tz_localize("UTC")


def nullable_column(values: np.ndarray, present: np.ndarray, backend: str) -> Any:
    """A float or string column that is null where ``present`` is False."""
    if backend == "polars":
        import polars as pl

        if values.dtype.kind == "f":
            return pl.Series(np.where(present, values, np.nan)).fill_nan(None)
        return pl.Series([v if p else None for v, p in zip(values, present, strict=True)])
    import pandas as pd

    if values.dtype.kind == "f":
        return pd.Series(np.where(present, values, np.nan), dtype="float64")
    out = values.astype(object)
    out[~present] = None
    return pd.Series(out, dtype=_pandas_string_dtype())


def make_frame(columns: dict[str, Any], backend: str) -> Any:
    if backend == "polars":
        import polars as pl

        return pl.DataFrame({name: col.alias(name) for name, col in columns.items()})
    import pandas as pd

    return pd.DataFrame(columns)


def plain_column(values: np.ndarray, backend: str) -> Any:
    if backend == "polars":
        import polars as pl

        if values.dtype == object:
            return pl.Series(values.tolist(), dtype=pl.String)
        return pl.Series(values)
    import pandas as pd

    if values.dtype == object:
        return pd.Series(values, dtype=_pandas_string_dtype())
    return pd.Series(values)
