"""What every lazy engine implements: :class:`LazyBackend`, and the narwhals code it shares.

The generic lazy path (:mod:`compliance_nb.frames.lazy`) asks a frame's backend for the
few steps that differ per engine and does everything else with narwhals:

* :meth:`LazyBackend.batches`: how the distinct values of the ID column come out of the
  engine, in batches (``distinct_in_engine`` says whether the engine deduplicates them
  first, or each batch is deduplicated here);
* :meth:`LazyBackend.with_key`: how each row's key is computed (by default
  :func:`row_key`, one narwhals expression);
* :meth:`LazyBackend.lookup` and :meth:`LazyBackend.join`: how the small results table
  becomes a frame of the engine and is joined back (``compact_text`` says whether its text
  fields travel as categories);
* :meth:`LazyBackend.finish`: what dtypes the added columns end with.

The defaults are narwhals code that works for any engine with a way in for the lookup;
each engine's module (``polars``, ``duckdb``, ``dask``, ``spark``, ``generic``) overrides
only what it does differently.

>>> import polars as pl
>>> frame = wrap(pl.LazyFrame({"id": [7, 0, None]}))
>>> frame.with_columns(row_key(frame, "id").alias("key")).collect()["key"].to_list()
[7, None, None]
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import narwhals.stable.v2 as nw
import polars as pl

from ...rules.ids import integer_id_key, text_id_key

__all__ = ["KEY", "LazyBackend", "quiet_dask", "row_key", "series_from_arrow", "wrap"]

#: The lookup's key column (the rows' key is named by the caller).
KEY = "__compliance_nb_key"


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Silence narwhals' warning that its Dask support moves to a separate package.

    The warning is for narwhals' own users, not ours.

    Examples
    --------
    >>> with quiet_dask():
    ...     pass
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Dask support is moving", category=FutureWarning
        )
        yield


def wrap(df: Any) -> Any:
    """A native frame wrapped for narwhals (frames already wrapped, and other objects,
    are returned as they are).

    Parameters
    ----------
    df
        A native frame, a narwhals frame, or anything else.

    Returns
    -------
    Any
        The narwhals frame, or ``df`` itself.

    Examples
    --------
    >>> import polars as pl
    >>> type(wrap(pl.LazyFrame({"id": [1]}))).__name__
    'LazyFrame'
    >>> wrap(3)
    3
    """
    if isinstance(df, (nw.LazyFrame, nw.DataFrame)):
        return df
    with quiet_dask():
        return nw.from_native(df, pass_through=True)


def row_key(frame: nw.LazyFrame[Any], column: str) -> nw.Expr:
    """The engine-side expression giving each row's ID, or null where it is null or invalid.

    Integer columns keep their type (an integer join is cheaper); text becomes canonical
    decimal text (no leading zeros). The ID rule is :mod:`compliance_nb.rules.ids`'.

    Parameters
    ----------
    frame
        The lazy frame.
    column
        Its ID column.

    Returns
    -------
    nw.Expr
        The key expression.

    Examples
    --------
    >>> import polars as pl
    >>> frame = wrap(pl.LazyFrame({"id": ["007", "x", None]}))
    >>> frame.select(row_key(frame, "id")).collect()["id"].to_list()
    ['7', None, None]
    """
    dtype = frame.collect_schema()[column]
    if dtype.is_integer():
        return integer_id_key(nw.col(column), unsigned=dtype.is_unsigned_integer())
    return text_id_key(nw.col(column).cast(nw.String))


def series_from_arrow(array: Any) -> pl.Series:
    """An Arrow array (or chunked array) as a polars Series.

    Examples
    --------
    >>> import pyarrow as pa
    >>> series_from_arrow(pa.array(["1", None])).to_list()
    ['1', None]
    """
    out = pl.from_arrow(array)
    assert isinstance(out, pl.Series)
    return out


class LazyBackend:
    """One lazy engine's part of the lazy path; the defaults are generic narwhals code.

    A backend is stateless: the generic code looks one up per frame
    (:func:`compliance_nb.frames.lazy.backend_for`) and calls it.

    Attributes
    ----------
    name
        The engine's name: ``"polars"``, ``"duckdb"``, ``"dask"``, ``"pyspark"``, ...
    distinct_in_engine
        True when the engine computes the column's distinct values itself
        (``SELECT DISTINCT``); False when each batch is deduplicated as it comes out and
        the batches are merged here (the engine's own distinct would cost more).
    compact_text
        True when the lookup's text fields travel as ``Categorical`` (the join or
        :meth:`finish` gives them their final type).

    Examples
    --------
    >>> import polars as pl
    >>> class Engine(LazyBackend):  # an engine's way in for the lookup
    ...     def lookup(self, frame, table):
    ...         return table.lazy()
    >>> frame = wrap(pl.LazyFrame({"id": [7, 8]}))
    >>> table = pl.DataFrame({KEY: [7], "hit": [True]})
    >>> out = Engine().join(frame, "id", table, "key").collect().sort("id")
    >>> out["hit"].to_list()
    [True, None]
    >>> Engine().finish(out.lazy(), added_bools=["hit"], added_labels=[]).collect_schema()["hit"]
    Boolean
    """

    name: str = "narwhals"
    distinct_in_engine: ClassVar[bool] = True
    compact_text: ClassVar[bool] = False

    def batches(self, distinct: nw.LazyFrame[Any], batch_rows: int) -> Iterator[Any]:
        """The values of ``distinct`` (one column, the engine's query for the ID column's
        values) in batches of up to about ``batch_rows``: polars Series, or lists of
        Python values where the engine gives mixed objects (validated value by value).

        Parameters
        ----------
        distinct
            The query, from :func:`compliance_nb.frames.lazy.distinct_query`.
        batch_rows
            Rows per batch, where the engine lets us choose.

        Returns
        -------
        Iterator[pl.Series | list]
            The batches.
        """
        raise NotImplementedError

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """``table`` (small, polars) as a native lazy frame of ``frame``'s engine, joinable
        with ``frame``.

        Parameters
        ----------
        frame
            The frame the lookup is joined onto.
        table
            The lookup: :data:`KEY`, the result fields, the hit flag.

        Returns
        -------
        Any
            A native frame of the engine.
        """
        raise NotImplementedError

    def with_key(self, frame: nw.LazyFrame[Any], column: str, key_name: str) -> nw.LazyFrame[Any]:
        """``frame`` with each row's key as ``key_name`` (see :func:`row_key`).

        Parameters
        ----------
        frame
            The lazy frame.
        column
            Its ID column.
        key_name
            The name of the added key column.

        Returns
        -------
        nw.LazyFrame
            The frame with its key column.
        """
        return frame.with_columns(row_key(frame, column).alias(key_name))

    def join(
        self, frame: nw.LazyFrame[Any], column: str, table: pl.DataFrame, key_name: str
    ) -> nw.LazyFrame[Any]:
        """``frame`` with its key (:meth:`with_key`) left-joined with ``table`` (on
        :data:`KEY`) inside the engine.

        Parameters
        ----------
        frame
            The lazy frame.
        column
            Its ID column.
        table
            The lookup (one row per key).
        key_name
            The name of the rows' key column.

        Returns
        -------
        nw.LazyFrame
            The joined frame: every row of ``frame`` once.
        """
        keyed = self.with_key(frame, column, key_name)
        lookup = wrap(self.lookup(frame, table))
        return keyed.join(lookup, left_on=key_name, right_on=KEY, how="left")

    def finish(
        self, frame: nw.LazyFrame[Any], *, added_bools: list[str], added_labels: list[str]
    ) -> nw.LazyFrame[Any]:
        """The added columns with their final dtypes: ``added_bools`` Boolean; labels
        (actions, reasons, statuses) as they are (text: engines without a categorical type).

        Parameters
        ----------
        frame
            The output frame.
        added_bools
            The added Boolean columns (``compliant``).
        added_labels
            The added label columns (actions, reasons, statuses).

        Returns
        -------
        nw.LazyFrame
            The frame with those dtypes.
        """
        if not added_bools:
            return frame
        return frame.with_columns(nw.col(added_bools).cast(nw.Boolean))
