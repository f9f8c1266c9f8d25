"""Creation times hidden in Twitter/X IDs ("snowflakes").

Since November 2010 Tweet IDs (and since 2013 most user IDs) are snowflakes: the top
41 bits count milliseconds since the Twitter epoch, 2010-11-04 01:42:54.657 UTC::

    created (ms since the Unix epoch) = (id >> 22) + 1288834974657

Older IDs were sequential numbers with no time in them; for those (IDs below
29,700,859,247, the first snowflake) :func:`snowflake_time` gives None (null) rather than
a wrong date. IDs are never passed through a float: they exceed 2**53.

>>> snowflake_time("1265324480517361664")
datetime.datetime(2020, 5, 26, 16, 50, 39, 404000, tzinfo=datetime.timezone.utc)
>>> snowflake_time(20) is None          # Jack's first Tweet: a sequential ID
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, overload

from .._exceptions import InputError
from ..rules.ids import FIRST_SNOWFLAKE, TWITTER_EPOCH_MS, id_values, parse_id

__all__ = ["snowflake_time"]

_SHIFT = 1 << 22
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _one(value: Any) -> datetime | None:
    """The creation time of one ID (int or decimal string), or None."""
    if value is None:
        return None
    if isinstance(value, (bool, float)):
        raise InputError(
            f"snowflake_time got {value!r} ({type(value).__name__}); pass IDs as int or "
            "decimal strings (a float cannot hold a 64-bit ID exactly)."
        )
    try:
        number = parse_id(value)  # the one ID rule: anything else has no time
    except ValueError:
        return None
    if number < FIRST_SNOWFLAKE:
        return None
    return _UNIX_EPOCH + timedelta(milliseconds=(number >> 22) + TWITTER_EPOCH_MS)


def _polars_times(series: Any) -> Any:
    """Vectorised on polars: String or integer IDs -> Datetime("us", "UTC"), null if none."""
    import polars as pl

    dtype = series.dtype
    if dtype == pl.String or dtype.is_integer():
        ids = id_values(series)
    elif dtype == pl.Null:
        ids = series.cast(pl.UInt64)
    else:
        raise InputError(
            f"snowflake_time needs integer or string IDs, got a {dtype} series "
            f"{series.name!r}; read the IDs as strings (a float cannot hold them exactly)."
        )
    ms = (ids // _SHIFT).cast(pl.Int64) + TWITTER_EPOCH_MS
    times = ms.cast(pl.Datetime("ms", "UTC")).cast(pl.Datetime("us", "UTC"))
    return (
        pl.select(pl.when(ids >= FIRST_SNOWFLAKE).then(times).otherwise(None).alias(series.name))
        .to_series()
        .alias(series.name)
    )


@overload
def snowflake_time(ids: int | str) -> datetime | None: ...
@overload
def snowflake_time(ids: Any) -> Any: ...


def snowflake_time(ids: Any) -> Any:
    """When each ID was created, read from the ID itself.

    Parameters
    ----------
    ids : int, str, list, polars.Series or pandas.Series
        One ID (``int`` or decimal ``str``), a list of them, a polars Series (String or
        integer) or a pandas Series.

    Returns
    -------
    datetime, list, polars.Series or pandas.Series
        For one ID, an aware UTC ``datetime`` or None. For a list, a list of those.
        For a polars Series, a ``Datetime("us", "UTC")`` Series; for a pandas Series, a
        ``datetime64[us, UTC]`` Series with the same index. Non-snowflake IDs (older
        sequential IDs, text, nulls) give None / null.

    Raises
    ------
    InputError
        An ID is a float, or a Series holds floats or another type that is not integer
        or text: a float cannot hold a 64-bit ID exactly.

    Examples
    --------
    >>> snowflake_time(29_700_859_247)               # the first snowflake
    datetime.datetime(2010, 11, 4, 1, 43, 1, 738000, tzinfo=datetime.timezone.utc)
    >>> import polars as pl
    >>> times = snowflake_time(pl.Series("id", ["1265324480517361664", "12"]))
    >>> times.dt.strftime("%Y-%m-%d %H:%M:%S%.3f").to_list()
    ['2020-05-26 16:50:39.404', None]
    """
    if ids is None or isinstance(ids, (int, str, float)):
        return _one(ids)
    module = type(ids).__module__
    if module.startswith("polars"):
        return _polars_times(ids)
    if module.startswith("pandas"):
        import pandas as pd
        import polars as pl

        values = ids.tolist()
        if str(ids.dtype).startswith("float"):
            raise InputError(
                f"snowflake_time got a float column {ids.name!r}; read the IDs as strings "
                "(a float cannot hold a 64-bit ID exactly)."
            )
        as_text = pl.Series(
            ids.name or "", [None if _isna(v) else str(v) for v in values], dtype=pl.String
        )
        out = _polars_times(as_text).to_pandas()
        return pd.Series(out.array, index=ids.index, name=ids.name)
    if isinstance(ids, Iterable):
        return [_one(v) for v in ids]
    return _one(ids)


def _isna(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA raises TypeError in bool()
    except TypeError:
        return True
