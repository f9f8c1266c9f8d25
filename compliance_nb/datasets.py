"""Deterministic sample datasets: realistic Tweets and users, generated, nothing downloaded.

Use them to try the package, in tutorials and in tests::

    from compliance_nb.datasets import sample_tweets, sample_users
    tweets = sample_tweets(1000, seed=0)                    # pandas, IDs as strings
    tweets = sample_tweets(1000, seed=0, backend="polars")  # polars
    users = sample_users(200, seed=0)

The same ``n`` and ``seed`` give the same frame on every platform and library version:
everything comes from one ``numpy.random.default_rng(seed)`` with explicit integer dtypes,
and no ID ever passes through a float.

What the Tweets look like
-------------------------
* ``id``: mostly 64-bit snowflake IDs from 2012 to 2023, which encode their creation time
  (``id >> 22`` is milliseconds since 2010-11-04T01:42:54.657Z); about 2 % are older,
  sequential IDs from 2007 to 2010 (below 29,700,859,247, before snowflakes existed).
* ``author_id``: user IDs, mostly snowflakes of accounts made from 2013 on, some small
  sequential IDs of older accounts; a few authors write many Tweets (a Zipf-like spread),
  and every author exists before its Tweets.
* ``created_at``: UTC, equal to the snowflake time for snowflake IDs.
* ``text``, ``lang``, ``retweet_count``, ``like_count``.
* ``geo_place_id``, ``geo_lat``, ``geo_lon``: null except on about 5 % of Tweets, which carry
  a place; about 40 % of those also carry exact coordinates.
* About 2 % of the rows repeat an earlier row (a collection often holds a Tweet twice), and
  about 0.5 % have a null ``id``.

How IDs are stored
------------------
IDs are **strings** by default (pandas' default string dtype: ``str`` in pandas 3, ``object``
before; polars ``String``). That is how IDs should be kept: a string never loses digits,
whereas a float column (what pandas makes of an integer column with a missing value) cannot
hold IDs above 2**53. ``ids_as="int"`` gives nullable ``Int64`` columns instead (pandas'
``Int64`` extension dtype, polars ``Int64``), ``ids_as="uint"`` gives ``UInt64``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._exceptions import InputError

__all__ = [
    "TWITTER_EPOCH_MS",
    "sample_collection",
    "sample_tweets",
    "sample_users",
    "snowflake_ms",
]

#: Milliseconds since the Unix epoch at Twitter's snowflake epoch (2010-11-04T01:42:54.657Z).
TWITTER_EPOCH_MS = 1288834974657
#: Every Tweet ID below this one predates snowflakes (sequential IDs).
FIRST_SNOWFLAKE_TWEET_ID = 29_700_859_247

Backend = Literal["pandas", "polars"]
IdsAs = Literal["str", "int", "uint"]

_DUPLICATE_SHARE = 0.02
_NULL_ID_SHARE = 0.005
_GEO_SHARE = 0.05
_COORDINATES_SHARE_OF_GEO = 0.4
_OLD_TWEET_SHARE_OF_ELIGIBLE = 0.1  # of the Tweets whose author existed before 2010-11
_SEQUENTIAL_USER_SHARE = 0.3


def _ms(day: str) -> int:
    """Milliseconds since the Unix epoch at midnight UTC of an ISO day."""
    return int(np.datetime64(day, "ms").astype(np.int64))


_SNOWFLAKE_TWEETS = (_ms("2012-01-01"), _ms("2024-01-01") - 1)
_OLD_TWEETS = (_ms("2007-01-01"), _ms("2010-11-04"))
_SNOWFLAKE_USERS = (_ms("2013-01-01"), _ms("2023-01-01"))
_SEQUENTIAL_USERS = (_ms("2006-07-15"), _ms("2013-01-01"))

# Rough (time, ID) anchors of the sequential eras, interpolated linearly between. They only
# have to be increasing and in the right range; they are not a history of Twitter.
_OLD_TWEET_ANCHORS = (
    (_ms("2007-01-01"), 1_000_000),
    (_ms("2008-01-01"), 560_000_000),
    (_ms("2009-01-01"), 1_090_000_000),
    (_ms("2010-01-01"), 7_000_000_000),
    (_ms("2010-11-04"), 29_700_000_000),
)
_SEQUENTIAL_USER_ANCHORS = (
    (_ms("2006-07-15"), 12),
    (_ms("2009-01-01"), 18_000_000),
    (_ms("2010-01-01"), 97_000_000),
    (_ms("2011-01-01"), 233_000_000),
    (_ms("2012-01-01"), 455_000_000),
    (_ms("2013-01-01"), 1_100_000_000),
)

_LANG_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "the", "new", "data", "today", "thread", "people", "study", "city", "vote", "rain",
        "coffee", "music", "game", "great", "really", "think", "never", "love", "news", "time",
        "work", "school", "team", "win", "read", "paper", "climate", "policy", "open", "why",
    ),
    "es": (
        "hoy", "nuevo", "datos", "gente", "ciudad", "lluvia", "partido", "gracias", "siempre",
        "noticias", "trabajo", "escuela", "equipo", "leer", "clima", "abierto", "por", "que",
    ),
    "pt": (
        "hoje", "novo", "dados", "pessoas", "cidade", "chuva", "jogo", "obrigado", "sempre",
        "noticias", "trabalho", "escola", "time", "ler", "clima", "aberto", "muito", "bom",
    ),
    "fr": (
        "aujourd'hui", "nouveau", "données", "gens", "ville", "pluie", "match", "merci",
        "toujours", "nouvelles", "travail", "école", "équipe", "lire", "climat", "ouvert",
    ),
    "de": (
        "heute", "neu", "Daten", "Leute", "Stadt", "Regen", "Spiel", "danke", "immer",
        "Nachrichten", "Arbeit", "Schule", "Mannschaft", "lesen", "Klima", "offen", "sehr",
    ),
    "und": ("😂", "🔥", "👀", "🙏", "✨", "❤️", "💯", "🎉", "😭", "👏"),
}  # fmt: skip
_LANGS = ("en", "es", "pt", "fr", "de", "und")
_LANG_P = np.array([0.55, 0.15, 0.1, 0.08, 0.07, 0.05])
_HASHTAGS = ("#data", "#news", "#rstats", "#python", "#climate", "#vote", "#music", "#ff")
_NAME_PARTS = (
    "blue", "quiet", "data", "north", "river", "pixel", "sunny", "urban", "lucky", "green",
    "fox", "owl", "otter", "maple", "cloud", "comet", "harbor", "meadow", "tiger", "willow",
)  # fmt: skip

# name, country code, latitude, longitude of the place centroids
_PLACES = (
    ("New York, NY", "US", 40.7128, -74.0060),
    ("Los Angeles, CA", "US", 34.0522, -118.2437),
    ("Chicago, IL", "US", 41.8781, -87.6298),
    ("London, England", "GB", 51.5072, -0.1276),
    ("Manchester, England", "GB", 53.4808, -2.2426),
    ("Paris, France", "FR", 48.8566, 2.3522),
    ("Berlin, Germany", "DE", 52.5200, 13.4050),
    ("Madrid, Spain", "ES", 40.4168, -3.7038),
    ("Mexico City, Mexico", "MX", 19.4326, -99.1332),
    ("São Paulo, Brazil", "BR", -23.5505, -46.6333),
    ("Buenos Aires, Argentina", "AR", -34.6037, -58.3816),
    ("Tokyo, Japan", "JP", 35.6762, 139.6503),
    ("Lagos, Nigeria", "NG", 6.5244, 3.3792),
    ("Sydney, New South Wales", "AU", -33.8688, 151.2093),
    ("Toronto, Ontario", "CA", 43.6532, -79.3832),
    ("Mumbai, India", "IN", 19.0760, 72.8777),
)


def _place_id(name: str) -> str:
    """A stable 16-hex-digit place ID, like the API's (``"01a9a39529b27f36"``)."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


_PLACE_IDS = tuple(_place_id(p[0]) for p in _PLACES)
_PLACE_MICRODEG = np.array([[round(p[2] * 1e6), round(p[3] * 1e6)] for p in _PLACES], np.int64)


def snowflake_ms(ids: np.ndarray) -> np.ndarray:
    """Milliseconds since the Unix epoch encoded in snowflake IDs (int64 in, int64 out).

    >>> first_2020 = (1577836800000 - TWITTER_EPOCH_MS) << 22  # 2020-01-01T00:00:00Z
    >>> int(snowflake_ms(np.array([first_2020 | 12345]))[0])
    1577836800000
    """
    return (np.asarray(ids, dtype=np.int64) >> 22) + TWITTER_EPOCH_MS


def _snowflakes(rng: np.random.Generator, ms: np.ndarray) -> np.ndarray:
    """Snowflake IDs for creation times ``ms``: time in the top bits, random worker/sequence."""
    low = rng.integers(0, 1 << 22, size=ms.shape, dtype=np.int64)
    return ((ms.astype(np.int64) - TWITTER_EPOCH_MS) << 22) | low


def _interpolate_ids(ms: np.ndarray, anchors: tuple[tuple[int, int], ...]) -> np.ndarray:
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


def _unique_ids(ids: np.ndarray) -> np.ndarray:
    """Make generated IDs unique by bumping the rare repeats by one (deterministic)."""
    ids = ids.copy()
    while True:
        order = np.argsort(ids, kind="stable")
        repeat = np.zeros(len(ids), dtype=bool)
        repeat[order[1:]] = ids[order[1:]] == ids[order[:-1]]
        if not repeat.any():
            return ids
        ids[repeat] += 1


def _check_args(n: int, seed: int, backend: str, ids_as: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n must be a whole number >= 0, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}.")
    if backend not in ("pandas", "polars"):
        raise InputError(f"backend must be 'pandas' or 'polars', got {backend!r}.")
    if ids_as not in ("str", "int", "uint"):
        raise InputError(f"ids_as must be 'str', 'int' or 'uint', got {ids_as!r}.")


# --------------------------------------------------------------------------------------
# numpy-level generators, shared by the frames and by sample_collection
# --------------------------------------------------------------------------------------


def _user_arrays(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` distinct users: ``id`` (int64), ``created_ms``, ``username``, ``name``, ..."""
    sequential = rng.random(n) < _SEQUENTIAL_USER_SHARE
    created = np.where(
        sequential,
        rng.integers(*_SEQUENTIAL_USERS, size=n, dtype=np.int64),
        rng.integers(*_SNOWFLAKE_USERS, size=n, dtype=np.int64),
    )
    ids = np.where(
        sequential,
        _interpolate_ids(created, _SEQUENTIAL_USER_ANCHORS),
        _snowflakes(rng, created),
    )
    ids = _unique_ids(ids)
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
    followers = _heavy_tail(rng, n, 24)
    return {
        "id": ids,
        "created_ms": created,
        "username": username,
        "name": name,
        "followers_count": followers,
        "protected": rng.random(n) < 0.03,
        "verified": rng.random(n) < 0.02,
    }


def _zipf_choice(rng: np.random.Generator, n_items: int, size: int) -> np.ndarray:
    """Indexes in ``range(n_items)``, a few chosen often (weight of rank r: 10**6 // r).

    Integer weights only, so the picks are the same on every platform.
    """
    weights = 1_000_000 // np.arange(1, n_items + 1, dtype=np.int64)
    cumulative = np.cumsum(weights[rng.permutation(n_items)])
    draws = rng.integers(0, cumulative[-1], size=size, dtype=np.int64)
    return np.searchsorted(cumulative, draws, side="right")


def _heavy_tail(rng: np.random.Generator, size: int, max_bits: int) -> np.ndarray:
    """Counts with a heavy tail (likes, followers): uniform below a random power of two."""
    bits = rng.integers(0, max_bits + 1, size=size, dtype=np.int64)
    return rng.integers(0, np.left_shift(1, bits, dtype=np.int64) + 1, dtype=np.int64)


def _texts(rng: np.random.Generator, langs: np.ndarray, usernames: np.ndarray) -> np.ndarray:
    """Short Tweet texts from the word list of each Tweet's language."""
    n = len(langs)
    n_words = rng.integers(4, 16, size=n, dtype=np.int64)
    draws = rng.integers(0, 1 << 30, size=(n, 16), dtype=np.int64)
    extra = rng.random((n, 3))
    hashtag = rng.integers(0, len(_HASHTAGS), size=n, dtype=np.int64)
    mention = rng.integers(0, max(len(usernames), 1), size=n, dtype=np.int64)
    link = rng.integers(0, 36**10, size=n, dtype=np.int64)
    out = np.empty(n, dtype=object)
    for i in range(n):
        words = _LANG_WORDS[langs[i]]
        text = " ".join(words[k % len(words)] for k in draws[i, : n_words[i]])
        if extra[i, 0] < 0.15 and len(usernames):
            text = f"@{usernames[mention[i]]} {text}"
        if extra[i, 1] < 0.2:
            text = f"{text} {_HASHTAGS[hashtag[i]]}"
        if extra[i, 2] < 0.1:
            text = f"{text} https://t.co/{np.base_repr(int(link[i]), 36).lower():0>10}"
        out[i] = text
    return out


def _tweet_arrays(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` distinct Tweets as numpy arrays (no duplicates, no nulls yet)."""
    users = _user_arrays(rng, max(1, n // 5))
    author = _zipf_choice(rng, len(users["id"]), n)
    author_created = users["created_ms"][author]

    eligible_old = author_created < _OLD_TWEETS[1] - 86_400_000
    old = eligible_old & (rng.random(n) < _OLD_TWEET_SHARE_OF_ELIGIBLE)
    low = np.where(
        old,
        np.maximum(author_created, _OLD_TWEETS[0]),
        np.maximum(author_created, _SNOWFLAKE_TWEETS[0]),
    )
    high = np.where(old, _OLD_TWEETS[1], _SNOWFLAKE_TWEETS[1])
    created = rng.integers(low, high, dtype=np.int64)
    ids = np.where(old, _interpolate_ids(created, _OLD_TWEET_ANCHORS), _snowflakes(rng, created))
    ids = _unique_ids(ids)

    langs = np.array(_LANGS, dtype=object)[rng.choice(len(_LANGS), size=n, p=_LANG_P)]
    text = _texts(rng, langs, users["username"])

    geo = rng.random(n) < _GEO_SHARE
    place = rng.integers(0, len(_PLACES), size=n, dtype=np.int64)
    exact = geo & (rng.random(n) < _COORDINATES_SHARE_OF_GEO)
    # coordinates in integer micro-degrees, divided once: the same floats everywhere
    jitter = rng.integers(-50_000, 50_001, size=(n, 2), dtype=np.int64)
    lat = (_PLACE_MICRODEG[place, 0] + jitter[:, 0]) / 1e6
    lon = (_PLACE_MICRODEG[place, 1] + jitter[:, 1]) / 1e6

    likes = _heavy_tail(rng, n, 16)
    retweets = rng.integers(0, likes // 3 + 1, dtype=np.int64)
    return {
        "id": ids,
        "author": author,
        "created_ms": created,
        "text": text,
        "lang": langs,
        "geo": geo,
        "place": place,
        "exact": exact,
        "lat": lat,
        "lon": lon,
        "retweet_count": retweets,
        "like_count": likes,
        "users": users,  # type: ignore[dict-item]
    }


def _duplicate_and_null_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
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


# --------------------------------------------------------------------------------------
# frames
# --------------------------------------------------------------------------------------


def _id_column(values: np.ndarray, null: np.ndarray, backend: str, ids_as: str) -> Any:
    """An ID column of the requested storage, built without any float."""
    if ids_as == "str":
        strings = values.astype(np.int64).astype(str).astype(object)
        strings[null] = None
        if backend == "polars":
            import polars as pl

            return pl.Series(strings.tolist(), dtype=pl.String)
        import pandas as pd

        return pd.Series(strings, dtype=_pandas_string_dtype())
    ints = values.astype(np.int64 if ids_as == "int" else np.uint64)
    if backend == "polars":
        import polars as pl

        dtype = pl.Int64 if ids_as == "int" else pl.UInt64
        series = pl.Series(ints, dtype=dtype)
        return series.scatter(np.flatnonzero(null), None) if null.any() else series
    import pandas as pd

    array_type = pd.arrays.IntegerArray
    return pd.Series(array_type(ints, null.copy()))


def _pandas_string_dtype() -> Any:
    """pandas' default string dtype: ``"str"`` from pandas 3, ``object`` before."""
    import pandas as pd

    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def _datetime_column(ms: np.ndarray, backend: str) -> Any:
    """UTC datetimes with microsecond resolution from milliseconds since the epoch."""
    micros = ms.astype(np.int64) * 1000
    if backend == "polars":
        import polars as pl

        return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    import pandas as pd

    return pd.Series(micros.astype("datetime64[us]")).dt.tz_localize("UTC")


def _nullable_column(values: np.ndarray, present: np.ndarray, backend: str) -> Any:
    """A float or string column that is null where ``present`` is False."""
    if backend == "polars":
        import polars as pl

        if values.dtype.kind == "f":
            return pl.Series(np.where(present, values, np.nan)).fill_nan(None)
        return pl.Series([v if p else None for v, p in zip(values, present, strict=True)])
    import pandas as pd

    if values.dtype.kind == "f":
        return pd.Series(np.where(present, values, np.nan), dtype="float64")
    out = values.astype(object)
    out[~present] = None
    return pd.Series(out, dtype=_pandas_string_dtype())


def _frame(columns: dict[str, Any], backend: str) -> Any:
    if backend == "polars":
        import polars as pl

        return pl.DataFrame({name: col.alias(name) for name, col in columns.items()})
    import pandas as pd

    return pd.DataFrame(columns)


def _plain_column(values: np.ndarray, backend: str) -> Any:
    if backend == "polars":
        import polars as pl

        if values.dtype == object:
            return pl.Series(values.tolist(), dtype=pl.String)
        return pl.Series(values)
    import pandas as pd

    if values.dtype == object:
        return pd.Series(values, dtype=_pandas_string_dtype())
    return pd.Series(values)


def sample_tweets(
    n: int = 1000,
    seed: int = 0,
    *,
    backend: Backend = "pandas",
    ids_as: IdsAs = "str",
) -> Any:
    """A realistic, deterministic frame of ``n`` Tweets (see the module docstring).

    Columns: ``id``, ``author_id``, ``created_at``, ``text``, ``lang``, ``retweet_count``,
    ``like_count``, ``geo_place_id``, ``geo_lat``, ``geo_lon``.

    Parameters
    ----------
    n : number of rows (about 2 % of them repeat another row, about 0.5 % have no ``id``).
    seed : the same ``n`` and ``seed`` always give the same frame.
    backend : ``"pandas"`` (default) or ``"polars"``.
    ids_as : ``"str"`` (default; how IDs should be stored), ``"int"`` (nullable Int64)
        or ``"uint"`` (nullable UInt64).

    Examples
    --------
    >>> df = sample_tweets(100, seed=1, backend="polars")
    >>> df.columns[:3]
    ['id', 'author_id', 'created_at']
    >>> df.equals(sample_tweets(100, seed=1, backend="polars"))
    True
    """
    _check_args(n, seed, backend, ids_as)
    rng = np.random.default_rng(seed)
    t = _tweet_arrays(rng, n)
    users = t["users"]
    rows, null = _duplicate_and_null_rows(rng, n)

    geo = t["geo"][rows]
    exact = t["exact"][rows]
    place_ids = np.array(_PLACE_IDS, dtype=object)[t["place"][rows]]
    columns = {
        "id": _id_column(t["id"][rows], null, backend, ids_as),
        "author_id": _id_column(
            users["id"][t["author"][rows]], np.zeros(n, dtype=bool), backend, ids_as
        ),
        "created_at": _datetime_column(t["created_ms"][rows], backend),
        "text": _plain_column(t["text"][rows], backend),
        "lang": _plain_column(t["lang"][rows], backend),
        "retweet_count": _plain_column(t["retweet_count"][rows], backend),
        "like_count": _plain_column(t["like_count"][rows], backend),
        "geo_place_id": _nullable_column(place_ids, geo, backend),
        "geo_lat": _nullable_column(t["lat"][rows], exact, backend),
        "geo_lon": _nullable_column(t["lon"][rows], exact, backend),
    }
    return _frame(columns, backend)


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
    About 2 % of rows repeat another row and about 0.5 % have a null ``id``, as in
    :func:`sample_tweets`; ``ids_as`` and ``backend`` work the same way.

    >>> sample_users(10, seed=3, backend="polars").height
    10
    """
    _check_args(n, seed, backend, ids_as)
    rng = np.random.default_rng(seed)
    u = _user_arrays(rng, n)
    rows, null = _duplicate_and_null_rows(rng, n)
    columns = {
        "id": _id_column(u["id"][rows], null, backend, ids_as),
        "username": _plain_column(u["username"][rows], backend),
        "name": _plain_column(u["name"][rows], backend),
        "created_at": _datetime_column(u["created_ms"][rows], backend),
        "followers_count": _plain_column(u["followers_count"][rows], backend),
        "protected": _plain_column(u["protected"][rows], backend),
        "verified": _plain_column(u["verified"][rows], backend),
    }
    return _frame(columns, backend)


# --------------------------------------------------------------------------------------
# raw API collections (JSON lines)
# --------------------------------------------------------------------------------------

Layout = Literal["pages", "tweets"]

_REPLY_SHARE = 0.2
_RETWEET_SHARE = 0.25
_QUOTE_SHARE = 0.1
_MEDIA_SHARE = 0.15
_REPEAT_SHARE = 0.02  # Tweets collected twice (overlapping searches)


def _iso(ms: np.ndarray) -> list[str]:
    """API timestamps (``2020-01-01T00:00:00.000Z``) for milliseconds since the epoch."""
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [f"{t}Z" for t in text]


class _CollectionBuilder:
    """Builds API objects (Tweets, users, places, media) from one pool of generated Tweets.

    Every attribute of a Tweet (its kind, what it references, media) is fixed per pool
    index, so a Tweet looks the same wherever it appears (in ``data``, in
    ``includes.tweets``, inlined).
    """

    def __init__(self, rng: np.random.Generator, n_pool: int) -> None:
        t = _tweet_arrays(rng, n_pool)
        order = np.argsort(t["created_ms"], kind="stable")  # pool index = age rank
        self.t = {k: v[order] for k, v in t.items() if k != "users"}
        self.u = t["users"]
        self.tweet_ids = [str(v) for v in self.t["id"]]
        self.tweet_times = _iso(self.t["created_ms"])
        self.user_ids = [str(v) for v in self.u["id"]]
        self.user_times = _iso(self.u["created_ms"])
        self.by_username = {name: k for k, name in enumerate(self.u["username"])}
        n = n_pool
        draw = rng.random(n)
        kind = np.full(n, "", dtype=object)
        kind[draw < _REPLY_SHARE + _RETWEET_SHARE + _QUOTE_SHARE] = "quoted"
        kind[draw < _REPLY_SHARE + _RETWEET_SHARE] = "retweeted"
        kind[draw < _REPLY_SHARE] = "replied_to"
        kind[0] = ""  # the oldest Tweet has nothing older to reference
        self.kind = kind
        # a referenced Tweet is older (a smaller pool index), often a recent one
        back = rng.integers(1, np.maximum(np.arange(n), 1) + 1, dtype=np.int64)
        near = rng.random(n) < 0.7
        back = np.where(near, np.minimum(back, rng.integers(1, 50, size=n)), back)
        self.ref = np.maximum(np.arange(n) - back, 0)
        self.media = (rng.random(n) < _MEDIA_SHARE) & (kind != "retweeted")
        self.media_low = rng.integers(0, 1 << 22, size=n, dtype=np.int64)
        self.replies = _heavy_tail(rng, n, 8)
        self.quotes = _heavy_tail(rng, n, 6)

    # -- objects as the API returns them ------------------------------------------------

    def user(self, k: int) -> dict[str, Any]:
        u = self.u
        return {
            "id": self.user_ids[k],
            "username": u["username"][k],
            "name": u["name"][k],
            "created_at": self.user_times[k],
            "protected": bool(u["protected"][k]),
            "verified": bool(u["verified"][k]),
            "public_metrics": {"followers_count": int(u["followers_count"][k])},
        }

    def place(self, p: int) -> dict[str, Any]:
        name, country, lat, lon = _PLACES[p]
        return {
            "id": _PLACE_IDS[p],
            "full_name": name,
            "name": name.split(",")[0],
            "country_code": country,
            "place_type": "city",
            "geo": {
                "type": "Feature",
                "bbox": [
                    round(lon - 0.3, 4),
                    round(lat - 0.2, 4),
                    round(lon + 0.3, 4),
                    round(lat + 0.2, 4),
                ],
            },
        }

    def media_key(self, i: int) -> str:
        ms = int(self.t["created_ms"][i])
        return f"3_{((ms - TWITTER_EPOCH_MS) << 22) | int(self.media_low[i])}"

    def media_obj(self, i: int) -> dict[str, Any]:
        key = self.media_key(i)
        return {
            "media_key": key,
            "type": "photo",
            "url": f"https://pbs.twimg.com/media/{key[2:]}.jpg",
            "width": 1200,
            "height": 675,
        }

    def tweet(self, i: int) -> dict[str, Any]:
        """Tweet ``i`` as in ``data`` or ``includes.tweets`` (references by ID only)."""
        t = self.t
        author = int(t["author"][i])
        text = t["text"][i]
        obj: dict[str, Any] = {"id": self.tweet_ids[i], "text": text}
        kind = self.kind[i]
        j = int(self.ref[i])
        if kind == "retweeted":
            ref_author = self.u["username"][int(t["author"][j])]
            text = f"RT @{ref_author}: {t['text'][j]}"[:280]
            obj["text"] = text
        elif kind == "replied_to":
            text = f"@{self.u['username'][int(t['author'][j])]} {text}"
            obj["text"] = text
        obj["author_id"] = self.user_ids[author]
        obj["created_at"] = self.tweet_times[i]
        obj["lang"] = t["lang"][i]
        obj["conversation_id"] = self.tweet_ids[j] if kind == "replied_to" else obj["id"]
        obj["edit_history_tweet_ids"] = [obj["id"]]
        obj["public_metrics"] = {
            "retweet_count": int(t["retweet_count"][i]),
            "reply_count": int(self.replies[i]),
            "like_count": int(t["like_count"][i]),
            "quote_count": int(self.quotes[i]),
        }
        if kind:
            obj["referenced_tweets"] = [{"type": kind, "id": self.tweet_ids[j]}]
        if kind == "replied_to":
            obj["in_reply_to_user_id"] = self.user_ids[int(t["author"][j])]
        mentions = []
        for word in text.split():
            username = word[1:].rstrip(":")  # "@name" or "@name:" (in "RT @name: ...")
            k = self.by_username.get(username) if word[0] == "@" else None
            if k is not None:
                start = text.find(word)
                mention = {"start": start, "end": start + 1 + len(username)}
                mentions.append({**mention, "username": username, "id": self.user_ids[k]})
        if mentions:
            obj["entities"] = {"mentions": mentions}
        if self.media[i]:
            obj["attachments"] = {"media_keys": [self.media_key(i)]}
        if t["geo"][i] and kind != "retweeted":  # a retweet carries no geo of its own
            geo: dict[str, Any] = {"place_id": _PLACE_IDS[int(t["place"][i])]}
            if t["exact"][i]:
                geo["coordinates"] = {
                    "type": "Point",
                    "coordinates": [float(t["lon"][i]), float(t["lat"][i])],
                }
            obj["geo"] = geo
        return obj

    def page(self, indexes: list[int], token: str | None) -> dict[str, Any]:
        """One search-style response page for the data Tweets ``indexes``."""
        data = [self.tweet(i) for i in indexes]
        included = sorted({int(self.ref[i]) for i in indexes if self.kind[i]} - set(indexes))
        inc_tweets = [self.tweet(j) for j in included]
        users: dict[str, int] = {}
        places: dict[str, int] = {}
        media: dict[str, int] = {}
        for i, obj in zip([*indexes, *included], [*data, *inc_tweets], strict=True):
            users.setdefault(obj["author_id"], int(self.t["author"][i]))
            if "in_reply_to_user_id" in obj:
                users.setdefault(obj["in_reply_to_user_id"], int(self.t["author"][self.ref[i]]))
            for m in obj.get("entities", {}).get("mentions", ()):
                users.setdefault(m["id"], self.by_username[m["username"]])
            if "geo" in obj:
                places.setdefault(obj["geo"]["place_id"], int(self.t["place"][i]))
            if self.media[i]:
                media.setdefault(self.media_key(i), i)
        includes: dict[str, Any] = {"users": [self.user(k) for k in users.values()]}
        if inc_tweets:
            includes["tweets"] = inc_tweets
        if media:
            includes["media"] = [self.media_obj(i) for i in media.values()]
        if places:
            includes["places"] = [self.place(p) for p in places.values()]
        meta: dict[str, Any] = {
            "newest_id": data[0]["id"],
            "oldest_id": data[-1]["id"],
            "result_count": len(data),
        }
        if token:
            meta["next_token"] = token
        return {"data": data, "includes": includes, "meta": meta}

    def flat_tweet(self, i: int, depth: int = 0) -> dict[str, Any]:
        """Tweet ``i`` with its expansions inlined, as flattening tools write it."""
        obj = self.tweet(i)
        obj["author"] = self.user(int(self.t["author"][i]))
        if "in_reply_to_user_id" in obj:
            obj["in_reply_to_user"] = self.user(int(self.t["author"][self.ref[i]]))
        if "entities" in obj:
            for m in obj["entities"]["mentions"]:
                m.update(self.user(self.by_username[m["username"]]))
        if "attachments" in obj:
            obj["attachments"]["media"] = [self.media_obj(i)]
        if "geo" in obj:
            obj["geo"] = {**obj["geo"], **self.place(int(self.t["place"][i]))}
        if "referenced_tweets" in obj and depth == 0:
            j = int(self.ref[i])
            ref = obj["referenced_tweets"][0]
            obj["referenced_tweets"] = [{**ref, **self.flat_tweet(j, depth + 1)}]
        return obj


def sample_collection(
    path: str | os.PathLike[str],
    n_lines: int = 100,
    seed: int = 0,
    *,
    layout: Layout = "pages",
    gzip: bool = False,
    page_size: int = 20,
) -> Path:
    """Write a realistic raw API collection (JSON lines) to ``path``; return the path.

    ``layout="pages"``: one search response per line, ``page_size`` Tweets in ``data``
    with ``includes`` (``users``, ``tweets``, ``media``, ``places``) and ``meta``, as
    collection tools write the API's pages. ``layout="tweets"``: one Tweet per line with
    its expansions inlined (``author``, ``in_reply_to_user``, ``referenced_tweets`` with
    the referenced Tweet merged in, ``geo`` merged with its place, ``attachments.media``,
    user fields merged into ``entities.mentions``), as flattening tools write them.

    The Tweets come from :func:`sample_tweets`-style data: replies (~20 %), retweets
    (~25 %), quotes (~10 %) of older Tweets in the same collection, media (~15 %),
    places (~5 %), and about 2 % of Tweets collected twice. Same arguments, same bytes.
    ``gzip=True`` compresses the file (name it ``*.gz``).

    >>> import tempfile, pathlib, json
    >>> p = sample_collection(pathlib.Path(tempfile.mkdtemp()) / "c.jsonl", n_lines=2)
    >>> [len(json.loads(line)["data"]) for line in p.read_text().splitlines()]
    [20, 20]
    """
    if isinstance(n_lines, bool) or not isinstance(n_lines, (int, np.integer)) or n_lines < 0:
        raise InputError(f"n_lines must be a whole number >= 0, got {n_lines!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}.")
    if layout not in ("pages", "tweets"):
        raise InputError(f"layout must be 'pages' or 'tweets', got {layout!r}.")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InputError(f"page_size must be a whole number >= 1, got {page_size!r}.")
    import gzip as gzip_module

    import orjson

    path = Path(path)
    per_line = page_size if layout == "pages" else 1
    n_data = int(n_lines) * per_line
    rng = np.random.default_rng(seed)
    n_pool = max(2, n_data + n_data // 4)
    builder = _CollectionBuilder(rng, n_pool)
    # the collected Tweets: newest first (as search returns them), a few collected twice
    chosen = np.sort(rng.choice(n_pool, size=n_data, replace=False))[::-1].copy()
    repeat = rng.random(n_data) < _REPEAT_SHARE
    chosen[repeat] = rng.choice(chosen, size=int(repeat.sum()))
    tokens = rng.integers(0, 36**12, size=max(int(n_lines), 1), dtype=np.int64)

    opener = gzip_module.open if gzip else open
    with opener(path, "wb") as out:
        for line in range(int(n_lines)):
            indexes = [int(i) for i in chosen[line * per_line : (line + 1) * per_line]]
            if layout == "pages":
                last = line == n_lines - 1
                token = None if last else np.base_repr(int(tokens[line]), 36).lower()
                obj = builder.page(indexes, token)
            else:
                obj = builder.flat_tweet(indexes[0])
            out.write(orjson.dumps(obj) + b"\n")
    return path
