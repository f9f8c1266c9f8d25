"""polars ``LazyFrame``: the ID column streams out in batches, each deduplicated here
(polars' own ``unique`` would hold several times the IDs' size); the lookup is a
``LazyFrame`` with ``Categorical`` text, always the hash join's build side, and the
labels stay ``Categorical`` as on the eager path.

>>> import polars as pl
>>> from compliance_nb.frames.lazy.base import KEY, wrap
>>> frame = wrap(pl.LazyFrame({"id": [7, 8]}))
>>> reason = pl.Series("reason", ["deleted"], dtype=pl.Categorical)
>>> table = pl.DataFrame({KEY: [7], "reason": reason})
>>> out = PolarsBackend().join(frame, "id", table, "key")
>>> out.collect().sort("id")["reason"].to_list()
['deleted', None]
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .base import KEY, LazyBackend, wrap

__all__ = ["BUILD_RIGHT", "PolarsBackend"]

#: Make the (small) lookup the hash join's build side, where this polars can be told.
BUILD_RIGHT: dict[str, Any] = (
    {"build_side": "force_right"}
    if "build_side" in inspect.signature(pl.LazyFrame.join).parameters
    else {}
)


class PolarsBackend(LazyBackend):
    """polars ``LazyFrame``."""

    name = "polars"
    distinct_in_engine = False
    compact_text = True

    def batches(self, distinct: nw.LazyFrame[Any], batch_rows: int) -> Iterator[pl.Series]:
        """The column streamed (``collect_batches``, streaming engine), each batch's
        distinct values.

        Examples
        --------
        >>> import polars as pl
        >>> from compliance_nb.frames.lazy.base import wrap
        >>> frame = wrap(pl.LazyFrame({"id": [1, 1, 2, 2, 3]}))
        >>> batches = list(PolarsBackend().batches(frame, 2))
        >>> pl.concat(batches).unique().sort().to_list()
        [1, 2, 3]
        """
        batches = distinct.to_native().collect_batches(
            chunk_size=batch_rows, maintain_order=False, engine="streaming"
        )
        for batch in batches:
            yield batch.to_series(0).unique()

    def lookup(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        """``table`` as a ``LazyFrame``."""
        return table.lazy()

    def join(
        self, frame: nw.LazyFrame[Any], column: str, table: pl.DataFrame, key_name: str
    ) -> nw.LazyFrame[Any]:
        """The join in polars itself, the lookup as the build side (:data:`BUILD_RIGHT`):
        the rows stream past its hash table; left to choose, the streaming engine first
        buffers millions of rows of both sides to compare their sizes. Text fields stay
        ``Categorical``, as on the eager path."""
        keyed = self.with_key(frame, column, key_name).to_native()
        joined = keyed.join(
            self.lookup(frame, table), left_on=key_name, right_on=KEY, how="left", **BUILD_RIGHT
        )
        return wrap(joined)

    def finish(
        self, frame: nw.LazyFrame[Any], *, added_bools: list[str], added_labels: list[str]
    ) -> nw.LazyFrame[Any]:
        """Labels as ``Categorical``, as on the eager path; Booleans as Boolean.

        Examples
        --------
        >>> import polars as pl
        >>> from compliance_nb.frames.lazy.base import wrap
        >>> frame = wrap(pl.LazyFrame({"s": ["available"], "ok": [True]}))
        >>> out = PolarsBackend().finish(frame, added_bools=["ok"], added_labels=["s"])
        >>> dict(out.collect_schema())
        {'s': Categorical, 'ok': Boolean}
        """
        native = frame.to_native().with_columns(
            pl.col(added_labels).cast(pl.Categorical), pl.col(added_bools).cast(pl.Boolean)
        )
        return wrap(native)
