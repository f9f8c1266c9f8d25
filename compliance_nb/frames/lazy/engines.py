"""Which frames are lazy, and which backend each engine has: the one table of backends.

>>> import polars as pl
>>> is_lazy(pl.LazyFrame({"id": [1]})), is_lazy(pl.DataFrame({"id": [1]}))
(True, False)
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw

from ..._exceptions import InputError
from .base import LazyBackend, wrap
from .dask import DaskBackend
from .duckdb import DuckDBBackend
from .generic import GenericBackend
from .polars import PolarsBackend
from .spark import SparkBackend

__all__ = ["BACKENDS", "as_lazy", "backend_for", "is_lazy"]

#: The engines with a module of their own, by narwhals implementation; any other lazy
#: engine gets a :class:`~compliance_nb.frames.lazy.generic.GenericBackend`.
BACKENDS: dict[nw.Implementation, LazyBackend] = {
    nw.Implementation.POLARS: PolarsBackend(),
    nw.Implementation.DUCKDB: DuckDBBackend(),
    nw.Implementation.DASK: DaskBackend(),
    nw.Implementation.PYSPARK: SparkBackend(),
}


def is_lazy(df: Any) -> bool:
    """True for a lazy frame narwhals supports (polars LazyFrame, DuckDB relation, Dask,
    PySpark, ...), False for eager frames and anything else."""
    return isinstance(wrap(df), nw.LazyFrame)


def as_lazy(df: Any) -> nw.LazyFrame[Any]:
    """Wrap a native lazy frame for narwhals (see :func:`is_lazy`)."""
    frame = wrap(df)
    if not isinstance(frame, nw.LazyFrame):  # pragma: no cover - callers check is_lazy
        raise InputError(f"Expected a lazy frame, got {type(df).__qualname__}.")
    return frame


def backend_for(frame: nw.LazyFrame[Any]) -> LazyBackend:
    """The backend of a wrapped lazy frame's engine.

    Parameters
    ----------
    frame
        A narwhals lazy frame.

    Returns
    -------
    LazyBackend
        The engine's backend from :data:`BACKENDS`, else a generic one.

    Examples
    --------
    >>> import polars as pl
    >>> type(backend_for(as_lazy(pl.LazyFrame({"id": [1]})))).__name__
    'PolarsBackend'
    """
    impl = frame.implementation
    return BACKENDS.get(impl) or GenericBackend(str(impl.value))
