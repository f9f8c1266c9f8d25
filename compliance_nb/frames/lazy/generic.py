"""Any other lazy engine narwhals supports: its distinct IDs are collected at once; the
join needs a way to bring the results into the engine, which only the engines with a
module of their own have.

>>> import polars as pl
>>> from compliance_nb.frames.lazy.base import wrap
>>> frame = wrap(pl.LazyFrame({"id": [2, 1, 2]}))
>>> [s.sort().to_list() for s in GenericBackend("polars").batches(frame.unique(), 10)]
[[1, 2]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..._exceptions import InputError
from .base import LazyBackend, series_from_arrow

__all__ = ["GenericBackend"]


class GenericBackend(LazyBackend):
    """The fallback for a lazy engine without a module here.

    Parameters
    ----------
    name
        The engine's name (narwhals' implementation name), used in messages.

    Examples
    --------
    >>> import polars as pl
    >>> from compliance_nb.frames.lazy.base import wrap
    >>> GenericBackend("ibis").lookup(wrap(pl.LazyFrame({"id": [1]})), pl.DataFrame())
    Traceback (most recent call last):
    ...
    compliance_nb.InputError: Lazy frames of ibis are not supported yet: ...
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def batches(self, distinct: nw.LazyFrame[Any], batch_rows: int) -> Iterator[pl.Series]:
        """The distinct values, collected at once (the engine gives no batches we know of)."""
        yield series_from_arrow(distinct.collect().to_arrow().column(0))

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """Raises :class:`~compliance_nb._exceptions.InputError`: no way in is known."""
        raise InputError(
            f"Lazy frames of {self.name} are not supported yet: use a polars LazyFrame, a "
            "DuckDB relation, a Dask or a PySpark DataFrame, or collect it first."
        )
