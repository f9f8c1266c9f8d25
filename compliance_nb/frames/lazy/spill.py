"""Distinct IDs with bounded memory: collect batches of IDs, get one sorted distinct array.

The lazy path streams a frame's ID column out of its engine in batches (see
:mod:`compliance_nb.frames.lazy`); the same ID may come back in many batches. :class:`DistinctIds`
keeps the batches in memory up to :data:`SPILL_THRESHOLD` IDs. Beyond that it *spills*:
each batch is cut into :data:`N_BUCKETS` temporary files by a fixed multiplicative hash
of the ID, so every copy of an ID lands in the same file and the files are about equally
full whatever the data's order. At the end each file is deduplicated on its own (small),
the distinct IDs of all files go to one file, which is read once into a single array of
exactly the distinct count and sorted in place.

Peak memory, for ``n`` distinct IDs: the final array (8 bytes per ID) plus one bucket
file's IDs while it is deduplicated; while collecting, at most the threshold's IDs
(64 MB at 8 million) plus their partition. The temporary files (8 bytes per ID seen) are
in a :class:`tempfile.TemporaryDirectory`, removed at the end, on an error and on
:meth:`DistinctIds.close`.

>>> import numpy as np
>>> ids = DistinctIds()
>>> ids.add(np.array([30, 10, 30], dtype=np.uint64))
>>> ids.add(np.array([20, 10], dtype=np.uint64))
>>> ids.result().to_list()
[10, 20, 30]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from ...jobs.idset import sorted_distinct

__all__ = ["N_BUCKETS", "SPILL_THRESHOLD", "DistinctIds"]

#: IDs held in memory before they are spilled to temporary files (8 bytes each: 64 MB).
SPILL_THRESHOLD = 8_000_000
#: Temporary files the IDs are spread over once spilled (a power of two, at most 2**16).
#: A billion IDs with 5% repeats make files of about 4 million IDs (32 MB) each.
N_BUCKETS = 256
#: Fibonacci hashing: multiply by 2**64 / golden ratio and keep the top bits. Any ID's
#: copies get the same bucket; consecutive or clustered IDs are spread evenly.
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


class DistinctIds:
    """Collects ``uint64`` IDs batch by batch; :meth:`result` gives them sorted, distinct.

    Parameters
    ----------
    threshold
        IDs held in memory before spilling (default :data:`SPILL_THRESHOLD`).
    buckets
        temporary files once spilled (default :data:`N_BUCKETS`).

    Use it once: :meth:`result` ends it (as does :meth:`close`, e.g. on an error).
    """

    def __init__(self, threshold: int | None = None, buckets: int | None = None) -> None:
        self.threshold = SPILL_THRESHOLD if threshold is None else threshold
        self.buckets = N_BUCKETS if buckets is None else buckets
        if self.buckets < 1 or self.buckets > 1 << 16 or self.buckets & (self.buckets - 1):
            raise ValueError(f"buckets={self.buckets}: use a power of two up to 65536.")
        self._shift = np.uint64(64 - (self.buckets.bit_length() - 1))
        self._pending: list[np.ndarray] = []
        self._n_pending = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def spilled(self) -> bool:
        """True once IDs went to temporary files."""
        return self._tmp is not None

    def add(self, ids: np.ndarray) -> None:
        """Add a batch of IDs (any order, repeats allowed; converted to ``uint64``)."""
        if len(ids) == 0:
            return
        self._pending.append(np.asarray(ids, dtype=np.uint64))
        self._n_pending += len(ids)
        if self._n_pending >= self.threshold:
            self._spill()

    def _take_pending(self) -> np.ndarray:
        """The pending batches as one new array (the batches are released)."""
        parts, self._pending, self._n_pending = self._pending, [], 0
        if not parts:
            return np.empty(0, dtype=np.uint64)
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    def _bucket_paths(self) -> list[Path]:
        assert self._tmp is not None
        return [Path(self._tmp.name) / f"{k:05d}.u64" for k in range(self.buckets)]

    def _spill(self) -> None:
        values = self._take_pending()
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="compliance_nb_ids_")
        if self.buckets == 1:
            bucket = np.zeros(len(values), dtype=np.uint16)
        else:
            bucket = ((values * _MULTIPLIER) >> self._shift).astype(np.uint16)
        order = np.argsort(bucket, kind="stable")  # a radix sort for 16-bit keys
        counts = np.bincount(bucket, minlength=self.buckets)
        del bucket
        grouped = values[order]
        del order, values
        start = 0
        for path, n in zip(self._bucket_paths(), counts.tolist(), strict=True):
            if n:
                with open(path, "ab") as f:
                    grouped[start : start + n].tofile(f)
                start += n

    def result(self) -> pl.Series:
        """The distinct IDs, sorted ascending: a ``UInt64`` polars Series named ``id``."""
        try:
            if self._tmp is None:
                values = sorted_distinct(self._take_pending())
            else:
                values = self._merge_spilled()
            return pl.Series("id", values, dtype=pl.UInt64).set_sorted()
        finally:
            self.close()

    def _merge_spilled(self) -> np.ndarray:
        self._spill()
        assert self._tmp is not None
        out_path = Path(self._tmp.name) / "distinct.u64"
        with open(out_path, "wb") as out:
            for path in self._bucket_paths():
                if path.exists():
                    distinct = sorted_distinct(np.fromfile(path, dtype=np.uint64))
                    os.remove(path)  # disk space back as we go
                    distinct.tofile(out)
                    del distinct
        values = np.fromfile(out_path, dtype=np.uint64)  # exactly the distinct count
        os.remove(out_path)
        values.sort()  # in place: no second copy
        return values

    def close(self) -> None:
        """Drop the pending IDs and remove the temporary files (safe to call twice)."""
        self._pending, self._n_pending = [], 0
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
