"""Results joined to the rows as they are read, in memory that does not grow with them.

:class:`RowIndex` sorts a frame's per-row IDs once: the distinct IDs (what the jobs check)
and, for each, where its rows are. :class:`RowResults` keeps, for every row, the result
chosen so far: a code for its action and reason (a few distinct pairs, kept once each)
and its two timestamps. Each block of result lines read is folded in at once by the rule
of :func:`compliance_nb._results.collapse_results`, and then let go, so the memory needed
is fixed by the number of rows (about 26 bytes a row with the index), not by the number
of result lines.

>>> import polars as pl
>>> keys = pl.Series([30, None, 10, 30], dtype=pl.UInt64)
>>> index = RowIndex(keys)
>>> index.ids().to_list()
[10, 30]
>>> state = RowResults(index)
>>> state.add(pl.DataFrame({"id": [30, 30], "action": ["delete"] * 2,
...     "reason": ["scrub_geo", "deleted"], "created_at": [None, None],
...     "redacted_at": [None, None]}, schema=COMPACT_SCHEMA))
>>> state.pairs().rows()  # codes 2, 3, ...
[('delete', 'scrub_geo'), ('delete', 'deleted')]
>>> state.codes().tolist()  # per row: 0 no result, 1 no ID
[3, 1, 0, 3]
>>> state.results().select("id", "reason").rows()
[(30, 'deleted')]
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ._results import _UNKNOWN_SEVERITY, REASON_SEVERITY

__all__ = ["COMPACT_SCHEMA", "NO_ID", "NO_RESULT", "Folded", "RowIndex", "RowResults"]

_UTC = pl.Datetime("us", "UTC")

#: The columns of a block of result lines as the compact parser makes them.
COMPACT_SCHEMA: dict[str, Any] = {
    "id": pl.UInt64,
    "action": pl.Categorical,
    "reason": pl.Categorical,
    "created_at": _UTC,
    "redacted_at": _UTC,
}

#: Codes of :meth:`RowResults.codes`: no result for the row's ID, and no ID in the row.
#: The pairs of :meth:`RowResults.pairs` take the codes from 2 on.
NO_RESULT, NO_ID = 0, 1

_SLICE = 1 << 20  # keys compared at a time while indexing
_LATEST = np.iinfo(np.int64).max  # a missing timestamp: later than any other
_NO_SEVERITY = 127  # no result yet: any result ranks before it


class RowIndex:
    """Per-row IDs sorted once: :meth:`ids` (distinct, ascending) and the rows of each.

    ``keys`` is a polars ``UInt64`` Series, one per row, null where a row has no ID. It is
    not kept: the index holds 4 bytes a row and 12 bytes a distinct ID (4 when
    ``distinct``, the distinct IDs sorted as :func:`~compliance_nb._ids.unique_ids` gives
    them, is passed: they are then shared, not made again).
    """

    def __init__(self, keys: pl.Series, distinct: pl.Series | None = None) -> None:
        if keys.dtype != pl.UInt64:
            raise TypeError(f"RowIndex takes UInt64 keys, not {keys.dtype}")
        self.size = len(keys)
        present = self.size - keys.null_count()
        order = keys.arg_sort(nulls_last=True)
        perm = order.to_numpy()
        # where each ID's rows start among the sorted rows: neighbours compared a slice
        # at a time (no sorted copy of all the keys)
        starts: list[np.ndarray] = []
        values: list[np.ndarray] = []
        before = None
        for at in range(0, present, _SLICE):
            ids = keys.gather(order.slice(at, min(_SLICE, present - at))).to_numpy()
            first = np.empty(len(ids), dtype=bool)
            first[0] = before is None or ids[0] != before
            np.not_equal(ids[1:], ids[:-1], out=first[1:])
            where = np.flatnonzero(first)
            starts.append((where + at).astype(perm.dtype))
            if distinct is None:
                values.append(ids[where])
            before = ids[-1]
        del order
        starts.append(np.array([present], dtype=perm.dtype))
        self._starts = np.concatenate(starts)
        if distinct is None:
            self._distinct = np.concatenate(values) if values else np.empty(0, np.uint64)
        else:
            self._distinct = distinct.cast(pl.UInt64).to_numpy()
            if len(self._distinct) != len(self._starts) - 1:
                raise ValueError("distinct does not hold the keys' distinct IDs")
        self._rows = perm[:present]  # the rows with an ID, by ID
        self.rows_without_id = perm[present:]

    def ids(self) -> pl.Series:
        """The distinct IDs, ascending, as a ``UInt64`` Series named ``id``."""
        return pl.Series("id", self._distinct, dtype=pl.UInt64)

    def find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For IDs (``uint64``, e.g. of result lines): the rows holding them; for each
        of those rows the position in ``ids`` of the ID it holds, and that ID's place in
        :meth:`ids`. IDs no row holds give nothing."""
        at = np.searchsorted(self._distinct, ids)
        at[at == len(self._distinct)] = 0  # past the end: not held (checked next)
        held = self._distinct[at] == ids if len(self._distinct) else np.zeros(len(ids), bool)
        lines = np.flatnonzero(held)
        at = at[lines]
        lo = self._starts[at].astype(np.int64)
        count = self._starts[at + 1].astype(np.int64) - lo
        if count.max(initial=0) <= 1:  # one row per ID: most data
            return self._rows[lo], lines, at
        lines, at = np.repeat(lines, count), np.repeat(at, count)
        offset = np.arange(len(lines)) - np.repeat(np.cumsum(count) - count, count)
        return self._rows[np.repeat(lo, count) + offset], lines, at

    def first_rows(self, places: np.ndarray) -> np.ndarray:
        """One row of each distinct ID at ``places`` (positions in :meth:`ids`)."""
        return self._rows[self._starts[places]]

    @property
    def distinct_count(self) -> int:
        return len(self._distinct)


@dataclass
class Folded:
    """A block of result lines made ready to fold in (by :meth:`RowResults.prepare`,
    which needs no state and may run in any thread): the lines' rows, by rank."""

    rows: np.ndarray  # the rows the lines go to (a row there twice: its best line last)
    places: np.ndarray  # each row's ID: its place among the distinct IDs
    pairs: list[tuple[str | None, str | None]]  # the block's (action, reason) pairs
    pair: np.ndarray  # per row: its line's pair (position in ``pairs``)
    severity: np.ndarray  # per row: its line's rank by reason (0: deleted, most severe)
    redacted: np.ndarray  # per row: its line's redaction time (int64 microseconds)
    created: np.ndarray  # per row: its line's creation time (int64 microseconds)
    single: int  # the first ``single`` rows are each there once


class RowResults:
    """Each row's result so far, folded in block by block (see the module docstring).

    The rule is :func:`~compliance_nb._results.collapse_results`': the most severe reason
    wins, then the earliest ``redacted_at`` (missing counts as latest), then the line read
    first; ``created_at`` is the earliest one seen. Feeding the same lines again changes
    nothing, so a download that starts over may feed its blocks twice.

    ``source`` is a :class:`RowIndex`, or the per-row ``UInt64`` keys to build one from
    (``distinct`` as for :class:`RowIndex`) in a thread started by :meth:`begin`: it
    takes about 0.5 s at 10M rows, spent while X processes the job rather than before
    or after it; the first use waits for it.
    """

    def __init__(self, source: RowIndex | pl.Series, distinct: pl.Series | None = None) -> None:
        self._lock = threading.Lock()
        self._pairs: dict[tuple[str | None, str | None], int] = {}
        self._building: Future[RowIndex] | None = None
        self._keys: tuple[pl.Series, pl.Series | None] | None = None  # until begin()
        if isinstance(source, RowIndex):
            self._set_up(source)
        else:
            if source.dtype != pl.UInt64:
                raise TypeError(f"RowResults takes UInt64 keys, not {source.dtype}")
            self._keys = (source, distinct)

    def begin(self) -> None:
        """Start building the index in a thread (the engine calls it when a job has its
        IDs: the index is built while X processes them). Without it, the first use
        builds it."""
        with self._lock:
            if self._keys is None:
                return
            keys, distinct = self._keys
            self._keys = None
            pool = ThreadPoolExecutor(1, thread_name_prefix="compliance_nb-index")
            self._building = pool.submit(RowIndex, keys, distinct)
            pool.shutdown(wait=False)  # the thread ends when the index is built

    def _set_up(self, index: RowIndex) -> None:
        self._index: RowIndex | None = index
        self._codes = np.full(index.size, NO_RESULT, dtype=np.uint16)
        self._codes[index.rows_without_id] = NO_ID
        self._redacted = np.full(index.size, _LATEST, dtype=np.int64)
        self._created = np.full(index.size, _LATEST, dtype=np.int64)
        self._severity = np.array([_NO_SEVERITY, _NO_SEVERITY], dtype=np.int8)  # per code
        self._found = np.zeros(index.distinct_count, dtype=bool)  # IDs with a result

    @property
    def index(self) -> RowIndex:
        """The :class:`RowIndex` (waits for it when it is being built)."""
        self.begin()
        with self._lock:  # prepare() runs in several threads
            if self._building is not None:
                self._set_up(self._building.result())
                self._building = None
            if self._index is None:
                raise RuntimeError("the index was let go (drop_index)")
            return self._index

    def drop_index(self) -> None:
        """Every result is in: let go of the index (about 8 bytes a row) before the
        columns are made. :meth:`codes` and the timestamps stay; :meth:`add` and
        :meth:`results` no longer work."""
        self._ready()
        self._index = None
        self._found = np.empty(0, dtype=bool)

    def _ready(self) -> None:
        """Wait for the index and the arrays set up with it."""
        self.begin()
        with self._lock:
            if self._building is not None:
                self._set_up(self._building.result())
                self._building = None

    def add(self, block: pl.DataFrame) -> None:
        """Fold in a block of result lines (:data:`COMPACT_SCHEMA`; ``action`` and
        ``reason`` may also be text), in file order after the blocks before it."""
        self.fold(self.prepare(block))

    def prepare(self, block: pl.DataFrame) -> Folded:
        """The part of :meth:`add` that does not touch the state (any thread)."""
        index = self.index
        ids = block.get_column("id").cast(pl.UInt64).to_numpy()
        rows, lines, places = index.find(ids)
        pairs, pair = _pairs_of(block)
        severity = np.array(
            [
                REASON_SEVERITY.get(r, _UNKNOWN_SEVERITY) if r else _UNKNOWN_SEVERITY
                for _, r in pairs
            ],
            dtype=np.int8,
        )[pair][lines]
        redacted = _stamps(block.get_column("redacted_at"))[lines]
        created = _stamps(block.get_column("created_at"))[lines]
        pair = pair[lines]
        # an ID with several lines in the block: its rows go last, each row's best line
        # after its others (worst severity first, then latest redaction, then the line
        # read last), so that the last write is the one that stands
        by_id = np.sort(ids)
        repeated_ids = by_id[1:][by_id[1:] == by_id[:-1]]
        single = len(rows)
        if len(repeated_ids):
            repeated = np.isin(ids[lines], repeated_ids)
            tail = np.flatnonzero(repeated)
            tail = tail[
                np.lexsort((-lines[tail], -redacted[tail], -severity[tail].astype(np.int16)))
            ]
            order = np.concatenate([np.flatnonzero(~repeated), tail])
            single = len(rows) - len(tail)
            rows, places, pair = rows[order], places[order], pair[order]
            severity, redacted, created = severity[order], redacted[order], created[order]
        return Folded(rows, places, pairs, pair, severity, redacted, created, single)

    def fold(self, block: Folded) -> None:
        """Fold in a block made ready by :meth:`prepare` (blocks in file order)."""
        self._ready()
        if not len(block.rows):
            return
        codes = np.array([self._code(a, r) for a, r in block.pairs], dtype=np.int64)
        code = codes[block.pair].astype(self._codes.dtype)
        rows = block.rows
        held = self._severity[self._codes[rows]]
        better = (block.severity < held) | (
            (block.severity == held) & (block.redacted < self._redacted[rows])
        )
        won = rows[better]
        self._codes[won] = code[better]
        self._redacted[won] = block.redacted[better]
        once, twice = rows[: block.single], rows[block.single :]
        self._created[once] = np.minimum(self._created[once], block.created[: block.single])
        np.minimum.at(self._created, twice, block.created[block.single :])
        self._found[block.places] = True

    def _code(self, action: str | None, reason: str | None) -> int:
        """The code of a pair; a new pair gets the next one."""
        code = self._pairs.get((action, reason))
        if code is not None:
            return code
        code = len(self._pairs) + 2
        if code > np.iinfo(self._codes.dtype).max:
            self._codes = self._codes.astype(np.uint32)
        self._pairs[(action, reason)] = code
        rank = REASON_SEVERITY.get(reason, _UNKNOWN_SEVERITY) if reason else _UNKNOWN_SEVERITY
        self._severity = np.append(self._severity, np.int8(rank))
        return code

    def codes(self) -> np.ndarray:
        """Per row: :data:`NO_RESULT`, :data:`NO_ID` or the code of its result's pair
        (row ``code - 2`` of :meth:`pairs`)."""
        self._ready()
        return self._codes

    def pairs(self) -> pl.DataFrame:
        """The (action, reason) pairs seen, as text, in the order of their codes."""
        return pl.DataFrame(
            list(self._pairs), schema={"action": pl.String, "reason": pl.String}, orient="row"
        )

    def timestamps(self) -> pl.DataFrame:
        """Per row: ``created_at`` and ``redacted_at`` of its result (UTC; null where
        none). Call it once, last: the arrays they are made from are used up."""
        self._ready()
        created = _from_stamps(self._created, name="created_at", in_place=True)
        self._created = np.empty(0, dtype=np.int64)
        redacted = _from_stamps(self._redacted, name="redacted_at", in_place=True)
        self._redacted = np.empty(0, dtype=np.int64)
        return pl.DataFrame([created, redacted])

    def pandas_timestamps(self) -> list[Any]:
        """:meth:`timestamps` as two pandas ``datetime64[us, UTC]`` arrays, made from the
        arrays in place (one copy each, by pandas). Call it once, last."""
        import pandas as pd

        self._ready()
        out = []
        for values in (self._created, self._redacted):
            values[values == _LATEST] = np.iinfo(np.int64).min  # NaT
            out.append(pd.Series(values.view("M8[us]"), copy=False).dt.tz_localize("UTC").array)
        self._created = self._redacted = np.empty(0, dtype=np.int64)
        return out

    def results(self, ids: pl.Series | None = None) -> pl.DataFrame:
        """The collapsed results (one row per ID with a result, by ID) of the IDs in
        ``ids`` (sorted distinct ``UInt64``, e.g. one job's part; default all), with
        ``id`` as ``UInt64``: what the ledger stores for a job."""
        index = self.index
        lo, hi = 0, index.distinct_count
        if ids is not None:
            if not len(ids):
                return pl.DataFrame(schema=COMPACT_SCHEMA)
            ends = ids.to_numpy()[[0, -1]]
            lo, hi = (
                int(np.searchsorted(index._distinct, ends[0])),
                int(np.searchsorted(index._distinct, ends[1], side="right")),
            )
        places = np.flatnonzero(self._found[lo:hi]) + lo
        rows = index.first_rows(places)
        taken = pl.Series((self._codes[rows] - 2).astype(np.uint32))
        pairs = self.pairs()
        return pl.DataFrame(
            {
                "id": pl.Series(index._distinct[places], dtype=pl.UInt64),
                "action": pairs.get_column("action").gather(taken).cast(pl.Categorical),
                "reason": pairs.get_column("reason").gather(taken).cast(pl.Categorical),
                "created_at": _from_stamps(self._created[rows]),
                "redacted_at": _from_stamps(self._redacted[rows]),
            }
        )


def _pairs_of(block: pl.DataFrame) -> tuple[list[tuple[str | None, str | None]], np.ndarray]:
    """The distinct (action, reason) pairs of ``block``, as text, and each line's pair
    (its position in that list)."""
    physical = pl.col("action", "reason").cast(pl.Categorical).to_physical().cast(pl.Int64)
    codes = block.select(physical).select(pl.all().fill_null(pl.all().max() + 1).fill_null(0))
    action, reason = (_dense(codes.get_column(c).to_numpy()) for c in codes.columns)
    pair = _dense(action * (int(reason.max(initial=0)) + 1) + reason)
    first = np.full(int(pair.max(initial=-1)) + 1, len(pair), dtype=np.int64)
    np.minimum.at(first, pair, np.arange(len(pair)))  # each pair's first line
    text = block[first.tolist()].select(pl.col("action", "reason").cast(pl.String))
    return list(text.iter_rows()), pair


def _dense(array: np.ndarray) -> np.ndarray:
    """Non-negative integers renumbered 0, 1, ... in order of size; a table lookup
    when they are small (category codes are), else a sort."""
    top = int(array.max(initial=-1)) + 1
    if top > 1 << 20:
        return np.unique(array, return_inverse=True)[1].reshape(-1)
    seen = np.zeros(top, dtype=bool)
    seen[array] = True
    renumbered = np.cumsum(seen) - 1
    return renumbered[array]


def _stamps(column: pl.Series) -> np.ndarray:
    """Microseconds since the epoch as ``int64``; a missing one as the latest time."""
    return column.cast(_UTC).to_physical().fill_null(_LATEST).to_numpy()


def _from_stamps(values: np.ndarray, name: str = "", *, in_place: bool = False) -> pl.Series:
    """The inverse of :func:`_stamps`. ``in_place``: ``values`` may be changed."""
    missing = values == _LATEST
    if not in_place:
        values = values.copy()
    values[missing] = 0
    stamps = pl.Series(name, values).cast(_UTC)
    return (
        stamps.to_frame()
        .select(pl.when(pl.lit(pl.Series(~missing))).then(pl.col(name)))
        .to_series()
    )
