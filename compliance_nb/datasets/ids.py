"""IDs and their times: the snowflake epoch, snowflake IDs made for given times, sequential
IDs of the older eras, and making generated IDs unique."""

from __future__ import annotations

import numpy as np

from ..rules.ids import FIRST_SNOWFLAKE, TWITTER_EPOCH_MS

__all__ = [
    "FIRST_SNOWFLAKE_TWEET_ID",
    "day_ms",
    "interpolate_ids",
    "snowflake_ms",
    "snowflakes",
    "unique_ids",
]

#: Every Tweet ID below this one predates snowflakes (sequential IDs): the rule's value.
FIRST_SNOWFLAKE_TWEET_ID = FIRST_SNOWFLAKE


def day_ms(day: str) -> int:
    """Milliseconds since the Unix epoch at midnight UTC of an ISO day."""
    return int(np.datetime64(day, "ms").astype(np.int64))


def snowflake_ms(ids: np.ndarray) -> np.ndarray:
    """Milliseconds since the Unix epoch encoded in snowflake IDs.

    Parameters
    ----------
    ids : numpy.ndarray
        Snowflake IDs (read as int64). Older, sequential IDs (below
        :data:`FIRST_SNOWFLAKE_TWEET_ID` for Tweets) encode no time.

    Returns
    -------
    numpy.ndarray
        Milliseconds (int64) since 1970-01-01T00:00:00Z, one per ID.

    Examples
    --------
    >>> first_2020 = (1577836800000 - TWITTER_EPOCH_MS) << 22  # 2020-01-01T00:00:00Z
    >>> int(snowflake_ms(np.array([first_2020 | 12345]))[0])
    1577836800000
    """
    return (np.asarray(ids, dtype=np.int64) >> 22) + TWITTER_EPOCH_MS


def snowflakes(rng: np.random.Generator, ms: np.ndarray) -> np.ndarray:
    """Snowflake IDs for creation times ``ms``: time in the top bits, random worker/sequence."""
    low = rng.integers(0, 1 << 22, size=ms.shape, dtype=np.int64)
    return ((ms.astype(np.int64) - TWITTER_EPOCH_MS) << 22) | low


def interpolate_ids(ms: np.ndarray, anchors: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Sequential IDs for times ``ms``, linear between anchors, in integer arithmetic.

    Times are taken in seconds so that the products stay far below 2**63.
    """
    ms = np.asarray(ms, dtype=np.int64)
    times = np.array([a[0] for a in anchors], dtype=np.int64)
    values = np.array([a[1] for a in anchors], dtype=np.int64)
    seg = np.clip(np.searchsorted(times, ms, side="right") - 1, 0, len(anchors) - 2)
    t0, t1 = times[seg] // 1000, times[seg + 1] // 1000
    v0, v1 = values[seg], values[seg + 1]
    return v0 + (ms // 1000 - t0) * (v1 - v0) // (t1 - t0)


def unique_ids(ids: np.ndarray) -> np.ndarray:
    """Make generated IDs unique by bumping the rare repeats by one (deterministic)."""
    ids = ids.copy()
    while True:
        order = np.argsort(ids, kind="stable")
        repeat = np.zeros(len(ids), dtype=bool)
        repeat[order[1:]] = ids[order[1:]] == ids[order[:-1]]
        if not repeat.any():
            return ids
        ids[repeat] += 1
