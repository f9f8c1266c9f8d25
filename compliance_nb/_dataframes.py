"""Wrapping a caller's frame: any eager DataFrame narwhals reads, or polars.

Shared by the frame layer and the display layer (which reads checked frames, or frames
saved and read back), so that both refuse what is not a frame with the same message.

>>> import polars as pl
>>> as_frame(pl.DataFrame({"id": ["1"]})).columns
['id']
>>> to_polars(pl.DataFrame({"id": ["1"]}).lazy()).height
1
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ._exceptions import InputError

__all__ = ["as_frame", "to_polars"]


def as_frame(df: Any) -> nw.DataFrame[Any]:
    """Wrap a native eager DataFrame (pandas, polars, pyarrow, ...) for narwhals.

    Raises
    ------
    InputError
        ``df`` is not a DataFrame, or is lazy (collect it first).
    """
    if isinstance(df, nw.DataFrame):
        return df
    try:
        frame = nw.from_native(df, eager_only=True)
    except TypeError as exc:
        lazy_hint = ""
        if hasattr(df, "collect") or hasattr(df, "compute") or hasattr(df, "fetchall"):
            lazy_hint = (
                " It looks like a lazy frame, which this call needs in memory: collect it "
                "first (polars: lf.collect(); dask: ddf.compute()). check_compliance, "
                "join_results and apply_compliance take lazy frames as they are."
            )
        raise InputError(
            f"Expected a pandas or polars DataFrame, got {type(df).__module__}."
            f"{type(df).__qualname__}.{lazy_hint}"
        ) from exc
    return frame


def to_polars(df: Any) -> pl.DataFrame:
    """Any DataFrame narwhals supports -> polars (through Arrow, no float detours). A lazy
    frame (a results frame: small) is collected."""
    wrapped = nw.from_native(df, pass_through=True)
    if isinstance(wrapped, nw.LazyFrame):
        df = wrapped.collect()
    frame = as_frame(df)
    native = frame.to_native()
    if isinstance(native, pl.DataFrame):
        return native
    out = pl.from_arrow(frame.to_arrow())
    assert isinstance(out, pl.DataFrame)
    return out
