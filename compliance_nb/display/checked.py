"""A checked frame as it comes back from a file: its added columns in their own types again.

``check_compliance`` adds categorical labels, UTC datetimes and a boolean ``compliant``.
Saved and read back with the default readers (CSV, Parquet, JSON lines; pandas or polars),
they can return as something else: labels as text, timestamps as text in several layouts
(``2021-08-01 12:30:05.123+00:00`` from pandas' CSV, ``...T12:30:05.123000+0000`` from
polars', ``...Z``) or as epoch milliseconds (pandas' ``to_json`` default), ``compliant`` as
bool, object, text (``"True"``, ``"false"``) or numbers (``1.0``), empty text for missing
values. :func:`checked_columns` is the one place that brings them back; the report, every
chart (through :func:`compliance_nb.display.counting.outcomes`) and ``apply_compliance`` read
checked frames through it, so a frame gives the same counts before and after a round trip.

>>> import pandas as pd
>>> back = pd.DataFrame({
...     "id": ["1", "2"],
...     "compliance_reason": ["deleted", ""],
...     "compliance_redacted_at": ["2021-08-01 12:30:05+00:00", ""],
...     "compliant": ["False", "True"]})
>>> cols = checked_columns(back, {"id": "id", "compliance_reason": "text",
...                               "compliance_redacted_at": "time", "compliant": "flag"})
>>> cols.rows()  # doctest: +NORMALIZE_WHITESPACE
[('1', 'deleted', datetime.datetime(2021, 8, 1, 12, 30, 5, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
  False), ('2', None, None, True)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .._dataframes import to_polars
from .._exceptions import InputError

__all__ = ["ROLES", "checked_columns", "normalise_column"]

_UTC = pl.Datetime("us", "UTC")
#: What a column holds: ``id`` (decimal text), ``text`` (a label), ``time`` (a UTC
#: timestamp), ``flag`` (a boolean).
ROLES = ("id", "text", "time", "flag")
_TRUE = ("true", "t", "1", "yes")
_FALSE = ("false", "f", "0", "no")


def _as_text(column: pl.Series) -> pl.Series:
    """Text, stripped; empty text is missing."""
    text = column.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(text != "").then(text).alias(column.name)).to_series()


def normalise_column(column: pl.Series, role: str) -> pl.Series:
    """One column as check_compliance typed it (see :data:`ROLES`), whatever a reader made
    of it. Values that cannot be read become null; nothing is guessed beyond that.

    >>> normalise_column(pl.Series([1627821005123, None]), "time").to_list()[0].year
    2021
    >>> normalise_column(pl.Series(["True", "false", None, "x"]), "flag").to_list()
    [True, False, None, None]
    >>> normalise_column(pl.Series([7, None], dtype=pl.Int64), "id").to_list()
    ['7', None]
    >>> normalise_column(pl.Series("id", [7.0]), "id")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    compliance_nb.InputError: column 'id' was read as floating point, which corrupts IDs: ...
    """
    dtype = column.dtype
    if role == "id":
        if dtype.is_float():  # an ID column read as float is already corrupted above 2**53
            raise InputError(
                f"column {column.name!r} was read as floating point, which corrupts IDs: "
                "read it as text (pandas: dtype={'id': str}; polars: "
                "schema_overrides={'id': pl.String})."
            )
        return column.cast(pl.String)
    if role == "text":
        if isinstance(dtype, (pl.Categorical, pl.Enum)):  # as check_compliance made it
            return column.cast(pl.String)
        return _as_text(column)
    if role == "flag":
        if dtype == pl.Boolean:
            return column
        if dtype.is_numeric():
            return pl.Series(column.name, column != 0, dtype=pl.Boolean)
        low = _as_text(column).str.to_lowercase()
        return (
            pl.select(
                pl.when(low.is_in(_TRUE))
                .then(True)
                .when(low.is_in(_FALSE))
                .then(False)
                .otherwise(None)
                .alias(column.name)
            )
            .to_series()
            .cast(pl.Boolean)
        )
    if role == "time":
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:  # written without a zone: the values were UTC
                return column.dt.replace_time_zone("UTC").cast(_UTC)
            return column.dt.convert_time_zone("UTC").cast(_UTC)
        if dtype == pl.Date:
            return column.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        if dtype.is_numeric():  # pandas' to_json writes datetimes as epoch milliseconds
            return pl.from_epoch(column.cast(pl.Int64), time_unit="ms").dt.replace_time_zone("UTC")
        text = _as_text(column).str.replace(r"^(\d{4}-\d\d-\d\d) ", "${1}T")
        return text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us").cast(_UTC)
    raise ValueError(f"unknown role {role!r}: one of {ROLES}")


def checked_columns(df: Any, roles: Mapping[str, str]) -> pl.DataFrame:
    """The columns of ``df`` named in ``roles`` (those it has), as a polars frame in the
    types ``check_compliance`` gives them: ``id`` columns as decimal text, labels as text,
    timestamps as UTC datetimes, ``compliant`` as booleans. Only these columns are read
    (a pandas frame is not converted whole).

    Parameters
    ----------
    df : DataFrame
        A checked frame, fresh or read back (pandas, polars, or anything narwhals reads).
    roles : mapping of str to str
        Column name -> its role (:data:`ROLES`).

    Returns
    -------
    pl.DataFrame
        One column per name in ``roles`` that ``df`` has, in the order of ``roles``.
    """
    wrapped = nw.from_native(df, pass_through=True)
    columns = list(wrapped.columns) if hasattr(wrapped, "columns") else list(df.columns)
    wanted = [c for c in roles if c in columns]
    if isinstance(wrapped, (nw.DataFrame, nw.LazyFrame)):
        frame = to_polars(wrapped.select(wanted).to_native())
    else:  # pragma: no cover - to_polars raises the clear error for other objects
        frame = to_polars(df).select(wanted)
    return pl.DataFrame([normalise_column(frame.get_column(c), roles[c]) for c in wanted])
