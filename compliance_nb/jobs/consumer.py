"""The interface the jobs layer hands results to as they are read, instead of keeping them.

The jobs layer owns it, so that it needs to know nothing of the caller's frames (the frame
layer's ``RowResults`` is one implementation).
"""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl

__all__ = ["ResultsConsumer"]


class ResultsConsumer(Protocol):
    """What the engine hands results to as they are read.

    The engine calls :meth:`begin` when a job has its IDs (work that can overlap the job,
    such as indexing the caller's rows), :meth:`prepare` on each parsed block of result
    lines in a parsing thread and :meth:`fold` with what it returned, in file order, on one
    thread; :meth:`add` with stored results (a block of the ledger's collapsed results); and
    :meth:`results` for the collapsed results of a part's IDs, which the ledger stores.
    """

    def begin(self) -> None: ...

    def prepare(self, block: pl.DataFrame) -> Any: ...

    def fold(self, prepared: Any) -> None: ...

    def add(self, block: pl.DataFrame) -> None: ...

    def results(self, ids: pl.Series) -> pl.DataFrame: ...
