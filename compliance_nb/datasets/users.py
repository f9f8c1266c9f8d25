"""Sample users: the numpy arrays (shared with the Tweets and the collections) and
:func:`sample_users`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .columns import (
    Backend,
    IdsAs,
    check_args,
    datetime_column,
    id_column,
    make_frame,
    plain_column,
)
from .draws import duplicate_and_null_rows, heavy_tail
from .ids import day_ms, interpolate_ids, snowflakes, unique_ids

__all__ = ["sample_users", "user_arrays"]

_SEQUENTIAL_USER_SHARE = 0.3

_SNOWFLAKE_USERS = (day_ms("2013-01-01"), day_ms("2023-01-01"))
_SEQUENTIAL_USERS = (day_ms("2006-07-15"), day_ms("2013-01-01"))

# Rough (time, ID) anchors of the sequential eras, interpolated linearly between. They only
# have to be increasing and in the right range; they are not a history of Twitter.
_SEQUENTIAL_USER_ANCHORS = (
    (day_ms("2006-07-15"), 12),
    (day_ms("2009-01-01"), 18_000_000),
    (day_ms("2010-01-01"), 97_000_000),
    (day_ms("2011-01-01"), 233_000_000),
    (day_ms("2012-01-01"), 455_000_000),
    (day_ms("2013-01-01"), 1_100_000_000),
)

_NAME_PARTS = (
    "blue", "quiet", "data", "north", "river", "pixel", "sunny", "urban", "lucky", "green",
    "fox", "owl", "otter", "maple", "cloud", "comet", "harbor", "meadow", "tiger", "willow",
)  # fmt: skip


def user_arrays(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` distinct users: ``id`` (int64), ``created_ms``, ``username``, ``name``, ..."""
    sequential = rng.random(n) < _SEQUENTIAL_USER_SHARE
    created = np.where(
        sequential,
        rng.integers(*_SEQUENTIAL_USERS, size=n, dtype=np.int64),
        rng.integers(*_SNOWFLAKE_USERS, size=n, dtype=np.int64),
    )
    ids = np.where(
        sequential,
        interpolate_ids(created, _SEQUENTIAL_USER_ANCHORS),
        snowflakes(rng, created),
    )
    ids = unique_ids(ids)
    parts = rng.integers(0, len(_NAME_PARTS), size=(n, 2), dtype=np.int64)
    digits = rng.integers(0, 10_000, size=n, dtype=np.int64)
    username = np.array(
        [
            f"{_NAME_PARTS[a]}_{_NAME_PARTS[b]}{d}"
            for a, b, d in zip(parts[:, 0], parts[:, 1], digits, strict=True)
        ],
        dtype=object,
    )
    name = np.array(
        [f"{_NAME_PARTS[a].title()} {_NAME_PARTS[b].title()}" for a, b in parts], dtype=object
    )
    followers = heavy_tail(rng, n, 24)
    return {
        "id": ids,
        "created_ms": created,
        "username": username,
        "name": name,
        "followers_count": followers,
        "protected": rng.random(n) < 0.03,
        "verified": rng.random(n) < 0.02,
    }


def sample_users(
    n: int = 200,
    seed: int = 0,
    *,
    backend: Backend = "pandas",
    ids_as: IdsAs = "str",
) -> Any:
    """A realistic, deterministic frame of ``n`` user accounts.

    Columns: ``id``, ``username``, ``name``, ``created_at``, ``followers_count``,
    ``protected``, ``verified``. IDs are mostly snowflakes (accounts made from 2013 on,
    ``created_at`` consistent with the ID), about 30 % small sequential IDs (2006 to 2012).

    Parameters
    ----------
    n : int, default 200
        Number of rows (about 2 % of them repeat another row, about 0.5 % have no ``id``,
        as in :func:`sample_tweets`).
    seed : int, default 0
        The same ``n`` and ``seed`` always give the same frame.
    backend : {"pandas", "polars"}, default "pandas"
        The frame's library.
    ids_as : {"str", "int", "uint"}, default "str"
        How ``id`` is stored: ``"str"`` (how IDs should be stored), ``"int"`` (nullable
        Int64) or ``"uint"`` (nullable UInt64).

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        ``n`` rows of users.

    Raises
    ------
    InputError
        When ``n`` or ``seed`` is not a whole number >= 0, or ``backend`` or ``ids_as`` is
        not one of its choices.

    See Also
    --------
    sample_tweets : A frame of Tweets.

    Examples
    --------
    >>> users = sample_users(10, seed=3, backend="polars")
    >>> users.height
    10
    >>> users.columns
    ['id', 'username', 'name', 'created_at', 'followers_count', 'protected', 'verified']
    """
    check_args(n, seed, backend, ids_as)
    rng = np.random.default_rng(seed)
    u = user_arrays(rng, n)
    rows, null = duplicate_and_null_rows(rng, n)
    columns = {
        "id": id_column(u["id"][rows], null, backend, ids_as),
        "username": plain_column(u["username"][rows], backend),
        "name": plain_column(u["name"][rows], backend),
        "created_at": datetime_column(u["created_ms"][rows], backend),
        "followers_count": plain_column(u["followers_count"][rows], backend),
        "protected": plain_column(u["protected"][rows], backend),
        "verified": plain_column(u["verified"][rows], backend),
    }
    return make_frame(columns, backend)
