"""Results joined to the rows as they are read, in memory that grows with the number of
IDs that have a result, not with the lines of the results file.

:class:`RowIndex` sorts a frame's per-row IDs once: the distinct IDs (what the jobs check)
and, for each, where its rows are. :class:`RowResults` keeps, for each ID with a result,
the line chosen so far in a compact store (a code for its action and reason, a few
distinct pairs kept once each, and its two timestamps: 18 bytes a result). Each block of
result lines read is folded in at once by the rule of
:func:`compliance_nb.jobs.collapse.collapse_results`, and then let go; at the end each row
points at its ID's entry (:meth:`RowResults.rows`).

>>> import polars as pl
>>> keys = pl.Series([30, None, 10, 30], dtype=pl.UInt64)
>>> index = RowIndex(keys)
>>> index.ids().to_list()
[10, 30]
>>> state = RowResults(index)
>>> state.add(pl.DataFrame({"id": [30, 30], "action": ["delete"] * 2,
...     "reason": ["scrub_geo", "deleted"], "created_at": [None, None],
...     "redacted_at": [None, None]}, schema=COMPACT_SCHEMA))
>>> state.entries().select("action", "reason").rows()
[('delete', 'deleted')]
>>> state.rows().tolist()  # per row: its entry; 1 (entries): no result, 2: no ID
[0, 2, 1, 0]
>>> state.results().select("id", "reason").rows()
[(30, 'deleted')]
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..jobs.results import COMPACT_SCHEMA
from ..rules.outcomes import severity

__all__ = ["Folded", "RowIndex", "RowResults"]

_UTC = pl.Datetime("us", "UTC")
_SLICE = 1 << 20  # keys compared at a time while indexing
_LATEST = np.iinfo(np.int64).max  # a missing timestamp: later than any other
_NO_SEVERITY = 127  # no result yet: any result ranks before it


class RowIndex:
    """Per-row IDs sorted once: :meth:`ids` (distinct, ascending) and the rows of each.

    ``keys`` is a polars ``UInt64`` Series, one per row, null where a row has no ID. It is
    not kept: the index holds 4 bytes a row and 12 bytes a distinct ID (4 when
    ``distinct``, the distinct IDs sorted as :func:`~compliance_nb.jobs.idset.unique_ids` gives
    them, is passed: they are then shared, not made again).
    """

    def __init__(self, keys: pl.Series, distinct: pl.Series | None = None) -> None:
        if keys.dtype != pl.UInt64:
            raise TypeError(f"RowIndex takes UInt64 keys, not {keys.dtype}")
        self.size = len(keys)
        # numpy's sort of row numbers by key: 12 bytes a row at its peak (polars' arg_sort
        # is faster but takes about 32 bytes a row; timings in docs/performance.md)
        if keys.null_count():
            with_id = keys.is_not_null().arg_true().to_numpy()
            values = keys.drop_nulls().to_numpy()
            order = np.argsort(values)
            perm = np.concatenate([with_id[order], keys.is_null().arg_true().to_numpy()])
            values = values[order]  # sorted (a copy: there are rows without an ID)
        else:
            values = keys.to_numpy()  # the keys' own memory: not changed
            order = np.argsort(values)
            perm = order
        del order
        perm = perm.astype(np.uint32 if self.size < 2**32 else np.uint64, copy=False)
        present = self.size - keys.null_count()
        sorted_already = keys.null_count() > 0
        # where each ID's rows start among the sorted rows: neighbours compared a slice
        # at a time (no sorted copy of all the keys)
        starts: list[np.ndarray] = []
        found: list[np.ndarray] = []
        before = None
        for at in range(0, present, _SLICE):
            part = slice(at, min(at + _SLICE, present))
            ids = values[part] if sorted_already else values[perm[part]]
            first = np.empty(len(ids), dtype=bool)
            first[0] = before is None or ids[0] != before
            np.not_equal(ids[1:], ids[:-1], out=first[1:])
            where = np.flatnonzero(first)
            starts.append((where + at).astype(perm.dtype))
            if distinct is None:
                found.append(ids[where])
            before = ids[-1]
        del values
        starts.append(np.array([present], dtype=perm.dtype))
        self._starts = np.concatenate(starts)
        if distinct is None:
            self._distinct = np.concatenate(found) if found else np.empty(0, np.uint64)
        else:
            self._distinct = distinct.cast(pl.UInt64).to_numpy()
            if len(self._distinct) != len(self._starts) - 1:
                raise ValueError("distinct does not hold the keys' distinct IDs")
        self._rows = perm[:present]  # the rows with an ID, by ID
        self.rows_without_id = perm[present:]

    def ids(self) -> pl.Series:
        """The distinct IDs, ascending, as a ``UInt64`` Series named ``id``."""
        return pl.Series("id", self._distinct, dtype=pl.UInt64)

    def find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For IDs (``uint64``, e.g. of result lines): the positions in ``ids`` of those
        the frame has, and their places in :meth:`ids`."""
        if not len(self._distinct):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self._distinct, ids)
        at[at == len(self._distinct)] = 0  # past the end: not held (checked next)
        lines = np.flatnonzero(self._distinct[at] == ids)
        return lines, at[lines]

    @property
    def distinct_count(self) -> int:
        return len(self._distinct)

    def place(self, id_: int, *, after: bool = False) -> int:
        """Where ``id_`` is or would go among :meth:`ids` (``after``: past it)."""
        return int(np.searchsorted(self._distinct, id_, side="right" if after else "left"))

    def id_at(self, places: np.ndarray) -> np.ndarray:
        """The distinct IDs at ``places`` (``uint64``)."""
        return self._distinct[places]

    def spread(self, per_id: np.ndarray, without_id: int) -> np.ndarray:
        """For each row, the value of its ID in ``per_id`` (one value per distinct ID,
        in the order of :meth:`ids`); ``without_id`` for a row without an ID. Written
        a slice of IDs at a time: 4 bytes a row beyond the output, not 12."""
        out = np.empty(self.size, dtype=per_id.dtype)
        for first in range(0, len(per_id), _SLICE):
            last = min(first + _SLICE, len(per_id))
            begin, end = int(self._starts[first]), int(self._starts[last])
            counts = np.diff(self._starts[first : last + 1])
            out[self._rows[begin:end]] = np.repeat(per_id[first:last], counts)
        out[self.rows_without_id] = without_id
        return out


@dataclass
class Folded:
    """A block of result lines made ready to fold in (by :meth:`RowResults.prepare`,
    which needs no state and may run in any thread): the lines whose ID the frame has,
    an ID's lines after the lines of IDs seen once, best last."""

    places: np.ndarray  # each line's ID: its place among the distinct IDs
    pairs: list[tuple[str | None, str | None]]  # the block's (action, reason) pairs
    pair: np.ndarray  # per line: its pair (position in ``pairs``)
    severity: np.ndarray  # per line: its rank by reason (0: deleted, the most severe)
    redacted: np.ndarray  # per line: its redaction time (int64 microseconds)
    created: np.ndarray  # per line: its creation time (int64 microseconds)
    single: int  # the first ``single`` lines are the only line of their ID in the block


class RowResults:
    """The results of the frame's IDs, folded in block by block (see the module
    docstring): for each distinct ID the line chosen so far, kept in a compact store
    (18 bytes a result: a code for its action and reason, and its two timestamps) that
    the rows point into at the end.

    The rule is :func:`~compliance_nb.jobs.collapse.collapse_results`': the most severe reason
    wins, then the earliest ``redacted_at`` (missing counts as latest), then the line read
    first; ``created_at`` is the earliest one seen. Feeding the same lines again changes
    nothing, so a download that starts over may feed its blocks twice.

    ``source`` is a :class:`RowIndex`, or the per-row ``UInt64`` keys to build one from
    (``distinct`` as for :class:`RowIndex`) in a thread started by :meth:`begin`, so that
    the sort is done while X processes the job rather than before or after it; the first
    use waits for it.
    """

    def __init__(self, source: RowIndex | pl.Series, distinct: pl.Series | None = None) -> None:
        self._lock = threading.Lock()
        self._pairs: dict[tuple[str | None, str | None], int] = {}
        self._severity = np.array([_NO_SEVERITY], dtype=np.int8)  # per code; 0: none yet
        self._building: Future[RowIndex] | None = None
        self._keys: tuple[pl.Series, pl.Series | None] | None = None  # until begin()
        # the store: one entry per ID with a result, in the order they were first seen
        self._count = 0
        self._code = np.zeros(0, dtype=np.uint16)
        self._redacted = np.zeros(0, dtype=np.int64)
        self._created = np.zeros(0, dtype=np.int64)
        self._place = np.zeros(0, dtype=np.uint32)  # the entry's ID among the distinct IDs
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
        self._slot = np.zeros(index.distinct_count, dtype=np.uint32)  # entry + 1; 0: none

    @property
    def index(self) -> RowIndex:
        """The :class:`RowIndex` (waits for it when it is being built)."""
        self._ready()
        if self._index is None:
            raise RuntimeError("the index was let go (drop_index)")
        return self._index

    def add(self, block: pl.DataFrame) -> None:
        """Fold in a block of result lines (:data:`COMPACT_SCHEMA`; ``action`` and
        ``reason`` may also be text), in file order after the blocks before it."""
        self.fold(self.prepare(block))

    def prepare(self, block: pl.DataFrame) -> Folded:
        """The part of :meth:`add` that does not touch the state (any thread)."""
        ids = block.get_column("id").cast(pl.UInt64).to_numpy()
        lines, places = self.index.find(ids)
        pairs, pair = _pairs_of(block)
        pair = pair[lines]
        ranks = np.array([severity(reason) for _, reason in pairs], dtype=np.int8)[pair]
        redacted = _stamps(block.get_column("redacted_at"))[lines]
        created = _stamps(block.get_column("created_at"))[lines]
        # an ID with several lines in the block: its lines go last, its best line after
        # its others (worst severity first, then latest redaction, then the line read
        # last), so that the last write is the one that stands
        by_place = np.sort(places)
        repeated_places = by_place[1:][by_place[1:] == by_place[:-1]]
        single = len(places)
        if len(repeated_places):
            repeated = np.isin(places, repeated_places)
            tail = np.flatnonzero(repeated)
            rank_order = (-lines[tail], -redacted[tail], -ranks[tail].astype(np.int16))
            order = np.concatenate([np.flatnonzero(~repeated), tail[np.lexsort(rank_order)]])
            single = len(places) - len(tail)
            places, pair, ranks = places[order], pair[order], ranks[order]
            redacted, created = redacted[order], created[order]
        return Folded(places, pairs, pair, ranks, redacted, created, single)

    def fold(self, block: Folded) -> None:
        """Fold in a block made ready by :meth:`prepare` (blocks in file order)."""
        self._ready()
        if not len(block.places):
            return
        codes = np.array([self._code_of(a, r) for a, r in block.pairs], dtype=np.int64)
        code = codes[block.pair].astype(self._code.dtype)
        slot = self._slot[block.places]
        fresh = slot == 0
        if fresh.any():  # first lines of these IDs: new entries
            n = block.single  # the lines after it may share an ID
            once, more = block.places[:n][fresh[:n]], block.places[n:][fresh[n:]]
            first = np.concatenate([once, np.unique(more)])
            entries = self._grow(len(first))
            self._slot[first] = entries + 1
            self._place[entries] = first
            slot = self._slot[block.places]
        entry = slot.astype(np.int64) - 1
        held = self._severity[self._code[entry]]
        better = (block.severity < held) | (
            (block.severity == held) & (block.redacted < self._redacted[entry])
        )
        won = entry[better]
        self._code[won] = code[better]
        self._redacted[won] = block.redacted[better]
        once, twice = entry[: block.single], entry[block.single :]
        self._created[once] = np.minimum(self._created[once], block.created[: block.single])
        np.minimum.at(self._created, twice, block.created[block.single :])

    def _grow(self, more: int) -> np.ndarray:
        """Make room for ``more`` new entries (none yet: no line, no times); their
        numbers."""
        needed = self._count + more
        if needed > len(self._code):
            size = max(needed, len(self._code) * 3 // 2, 1 << 16)
            self._code = _resized(self._code, size, 0)
            self._redacted = _resized(self._redacted, size, _LATEST)
            self._created = _resized(self._created, size, _LATEST)
            self._place = _resized(self._place, size, 0)
        entries = np.arange(self._count, needed, dtype=np.int64)
        self._count = needed
        return entries

    def _code_of(self, action: str | None, reason: str | None) -> int:
        """The code of a pair (from 1); a new pair gets the next one."""
        code = self._pairs.get((action, reason))
        if code is not None:
            return code
        code = len(self._pairs) + 1
        if code > np.iinfo(self._code.dtype).max:
            self._code = self._code.astype(np.uint32)
        self._pairs[(action, reason)] = code
        self._severity = np.append(self._severity, np.int8(severity(reason)))
        return code

    def _ready(self) -> None:
        """Wait for the index and the arrays set up with it (once, whichever thread
        asks first: prepare() runs in several)."""
        self.begin()
        with self._lock:
            if self._building is not None:
                self._set_up(self._building.result())
                self._building = None

    def entries(self) -> pl.DataFrame:
        """The chosen line of each ID with a result, in the order the IDs were first
        seen: ``action`` and ``reason`` (Categorical), ``created_at``, ``redacted_at``
        (UTC)."""
        self._ready()
        return self._entries_at(slice(0, self._count))

    def _entries_at(self, at: slice | np.ndarray) -> pl.DataFrame:
        pairs = pl.DataFrame(
            [(None, None), *self._pairs],
            schema={"action": pl.Categorical, "reason": pl.Categorical},
            orient="row",
        )
        taken = pl.Series(self._code[at].astype(np.uint32))
        return pairs.select(pl.all().gather(taken)).with_columns(
            _from_stamps(self._created[at], "created_at"),
            _from_stamps(self._redacted[at], "redacted_at"),
        )

    def rows(self) -> np.ndarray:
        """For each row, its entry of :meth:`entries` (``uint32``); the number of
        entries where its ID has no result, one more where the row has no ID."""
        out = self.index.spread(self._slot, without_id=self._count + 2)  # entry + 1
        out -= np.uint32(1)  # in place; no result (slot 0) wraps to the largest value
        out[out == np.iinfo(np.uint32).max] = self._count
        return out

    def drop_index(self) -> None:
        """Every result is in: let go of the index (8 bytes a row and 4 an ID). What
        :meth:`entries` gives stays; :meth:`add`, :meth:`rows` and :meth:`results` no
        longer work."""
        self._ready()
        self._index = None
        self._slot = np.zeros(0, dtype=np.uint32)

    def results(self, ids: pl.Series | None = None) -> pl.DataFrame:
        """The collapsed results (one row per ID with a result, by ID) of the IDs in
        ``ids`` (sorted distinct ``UInt64``, e.g. one job's part; default all), with
        ``id`` as ``UInt64``: what the ledger stores for a job."""
        index = self.index
        places = self._place[: self._count]
        if ids is not None:
            if not len(ids):
                return pl.DataFrame(schema=COMPACT_SCHEMA)
            lo, hi = index.place(ids[0]), index.place(ids[-1], after=True)
            chosen = np.flatnonzero((places >= lo) & (places < hi))
        else:
            chosen = np.arange(self._count)
        chosen = chosen[np.argsort(places[chosen], kind="stable")]  # by ID
        entries = self._entries_at(chosen)
        ids_chosen = pl.Series("id", index.id_at(places[chosen]), dtype=pl.UInt64)
        return entries.select(ids_chosen, *entries.columns)


def _resized(array: np.ndarray, size: int, fill: int) -> np.ndarray:
    """``array`` grown to ``size`` items, the new ones ``fill``."""
    out = np.full(size, fill, dtype=array.dtype)
    out[: len(array)] = array
    return out


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


def _from_stamps(values: np.ndarray, name: str) -> pl.Series:
    """The inverse of :func:`_stamps`: UTC datetimes, null for the latest time."""
    missing = values == _LATEST
    stamps = pl.Series(name, np.where(missing, 0, values)).cast(_UTC)
    return (
        stamps.to_frame()
        .select(pl.when(pl.lit(pl.Series(~missing))).then(pl.col(name)))
        .to_series()
    )
