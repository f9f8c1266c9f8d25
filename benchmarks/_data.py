"""Benchmark inputs: deterministic frames of realistic Tweet IDs, cached as Parquet.

The IDs are snowflakes as X hands them out: a millisecond timestamp (here 2012-2024)
shifted left 22 bits, a 10-bit machine number and a 12-bit sequence number. About 5% of
the rows repeat an earlier ID (datasets collected twice), so the frame has duplicates.
The frame has the string column ``id`` and an integer column ``likes``.

The IDs are written once per size to ``<cache>/ids_<n>.parquet`` and loaded by each
benchmark subprocess with :func:`load_frame`, so every variant sees the same rows.

>>> frame = make_ids(1000, seed=1)
>>> frame.height, frame.schema["id"]
(1000, String)
>>> all(17 <= len(i) <= 19 for i in frame["id"])
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

__all__ = ["DUPLICATE_SHARE", "frame_memory", "load_frame", "make_ids", "parse_size", "write_ids"]

TWITTER_EPOCH_MS = 1288834974657
#: 2012-01-01 and 2024-12-31 in ms since the Unix epoch: the range of creation times.
_START_MS = 1325376000000
_END_MS = 1735603200000
#: Share of rows that repeat an earlier ID.
DUPLICATE_SHARE = 0.05


def parse_size(text: str) -> int:
    """``"100k"`` -> 100000, ``"1M"`` -> 1000000, ``"2500"`` -> 2500.

    >>> [parse_size(s) for s in ("100k", "1M", "10m", "2500")]
    [100000, 1000000, 10000000, 2500]
    """
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1_000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    value = int(float(text) * factor)
    if value < 1:
        raise ValueError(f"size must be at least 1, got {text!r}")
    return value


def make_ids(n: int, seed: int = 20261128) -> pl.DataFrame:
    """A frame of ``n`` rows: string snowflake IDs (about 5% repeated) and ``likes``."""
    rng = np.random.default_rng(seed)
    n_unique = max(1, n - int(n * DUPLICATE_SHARE))
    ms = rng.integers(_START_MS, _END_MS, size=n_unique, dtype=np.int64) - TWITTER_EPOCH_MS
    machine = rng.integers(0, 1024, size=n_unique, dtype=np.int64)
    sequence = rng.integers(0, 64, size=n_unique, dtype=np.int64)
    ids = (ms.astype(np.uint64) << np.uint64(22)) | (machine.astype(np.uint64) << np.uint64(12))
    ids |= sequence.astype(np.uint64)
    repeats = rng.integers(0, n_unique, size=n - n_unique)
    all_ids = np.concatenate([ids, ids[repeats]])
    rng.shuffle(all_ids)
    return pl.DataFrame(
        {
            "id": pl.Series("id", all_ids, dtype=pl.UInt64).cast(pl.String),
            "likes": rng.integers(0, 1000, size=n, dtype=np.int64),
        }
    )


def write_ids(n: int, cache_dir: str | os.PathLike[str]) -> Path:
    """Write the ``n``-row frame to ``cache_dir`` once; return its path."""
    path = Path(cache_dir) / f"ids_{n}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        make_ids(n).write_parquet(tmp)
        tmp.replace(path)
    return path


def load_frame(path: str | os.PathLike[str], backend: str) -> Any:
    """The cached frame as a ``polars`` or ``pandas`` DataFrame (pandas: arrow-backed str)."""
    if backend == "polars":
        return pl.read_parquet(path)
    if backend == "pandas":
        import pandas as pd

        return pd.read_parquet(path)
    raise ValueError(f"unknown backend {backend!r}; use 'pandas' or 'polars'")


def frame_memory(frame: Any) -> int:
    """The frame's own memory in bytes: pandas deep usage; polars per column.

    polars ``estimated_size`` leaves out the 16-byte views of its string columns, so a
    String column counts here as 16 bytes per row plus the bytes of every value longer
    than 12 (shorter ones live inside the view); other columns use ``estimated_size``.
    """
    if not isinstance(frame, pl.DataFrame):
        return int(frame.memory_usage(deep=True, index=True).sum())
    total = 0
    for column in frame.get_columns():
        if column.dtype == pl.String:
            lengths = column.str.len_bytes()
            total += 16 * len(column) + int(lengths.filter(lengths > 12).sum() or 0)
        else:
            total += int(column.estimated_size())
    return total
