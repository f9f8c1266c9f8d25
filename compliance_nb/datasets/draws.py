"""Random draws in integers only, so that they are the same on every platform: heavy-tailed
counts, Zipf-like picks, and the repeated rows and null IDs of a sample frame."""

from __future__ import annotations

import numpy as np

__all__ = ["duplicate_and_null_rows", "heavy_tail", "zipf_choice"]

_DUPLICATE_SHARE = 0.02
_NULL_ID_SHARE = 0.005


def zipf_choice(rng: np.random.Generator, n_items: int, size: int) -> np.ndarray:
    """Indexes in ``range(n_items)``, a few chosen often (weight of rank r: 10**6 // r).

    Integer weights only, so the picks are the same on every platform.
    """
    weights = 1_000_000 // np.arange(1, n_items + 1, dtype=np.int64)
    cumulative = np.cumsum(weights[rng.permutation(n_items)])
    draws = rng.integers(0, cumulative[-1], size=size, dtype=np.int64)
    return np.searchsorted(cumulative, draws, side="right")


def heavy_tail(rng: np.random.Generator, size: int, max_bits: int) -> np.ndarray:
    """Counts with a heavy tail (likes, followers): uniform below a random power of two."""
    bits = rng.integers(0, max_bits + 1, size=size, dtype=np.int64)
    return rng.integers(0, np.left_shift(1, bits, dtype=np.int64) + 1, dtype=np.int64)


def duplicate_and_null_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row order with ~2 % of rows repeating an earlier row, and a mask of ~0.5 % null IDs."""
    rows = np.arange(n, dtype=np.int64)
    n_dup = round(n * _DUPLICATE_SHARE)
    n_null = round(n * _NULL_ID_SHARE)
    if n_dup and n > 1:
        targets = np.sort(rng.choice(np.arange(1, n), size=min(n_dup, n - 1), replace=False))
        rows[targets] = (rng.random(len(targets)) * targets).astype(np.int64)
    copied = rows != np.arange(n)
    involved = copied.copy()
    involved[rows[copied]] = True  # the rows that were copied from keep their ID too
    untouched = np.flatnonzero(~involved)
    null = np.zeros(n, dtype=bool)
    if n_null and len(untouched):
        null[rng.choice(untouched, size=min(n_null, len(untouched)), replace=False)] = True
    return rows, null
