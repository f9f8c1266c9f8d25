"""Sample Tweets: the numpy arrays (shared with the collections), their texts, and
:func:`sample_tweets`."""

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
    nullable_column,
    plain_column,
)
from .draws import duplicate_and_null_rows, heavy_tail, zipf_choice
from .ids import day_ms, interpolate_ids, snowflakes, unique_ids
from .places import PLACE_IDS, PLACE_MICRODEG, PLACES
from .users import user_arrays

__all__ = ["sample_tweets", "tweet_arrays"]

_GEO_SHARE = 0.05
_COORDINATES_SHARE_OF_GEO = 0.4
_OLD_TWEET_SHARE_OF_ELIGIBLE = 0.1  # of the Tweets whose author existed before 2010-11

_SNOWFLAKE_TWEETS = (day_ms("2012-01-01"), day_ms("2024-01-01") - 1)
_OLD_TWEETS = (day_ms("2007-01-01"), day_ms("2010-11-04"))

# Rough (time, ID) anchors of the sequential eras, interpolated linearly between. They only
# have to be increasing and in the right range; they are not a history of Twitter.
_OLD_TWEET_ANCHORS = (
    (day_ms("2007-01-01"), 1_000_000),
    (day_ms("2008-01-01"), 560_000_000),
    (day_ms("2009-01-01"), 1_090_000_000),
    (day_ms("2010-01-01"), 7_000_000_000),
    (day_ms("2010-11-04"), 29_700_000_000),
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


def tweet_arrays(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` distinct Tweets as numpy arrays (no duplicates, no nulls yet)."""
    users = user_arrays(rng, max(1, n // 5))
    author = zipf_choice(rng, len(users["id"]), n)
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
    ids = np.where(old, interpolate_ids(created, _OLD_TWEET_ANCHORS), snowflakes(rng, created))
    ids = unique_ids(ids)

    langs = np.array(_LANGS, dtype=object)[rng.choice(len(_LANGS), size=n, p=_LANG_P)]
    text = _texts(rng, langs, users["username"])

    geo = rng.random(n) < _GEO_SHARE
    place = rng.integers(0, len(PLACES), size=n, dtype=np.int64)
    exact = geo & (rng.random(n) < _COORDINATES_SHARE_OF_GEO)
    # coordinates in integer micro-degrees, divided once: the same floats everywhere
    jitter = rng.integers(-50_000, 50_001, size=(n, 2), dtype=np.int64)
    lat = (PLACE_MICRODEG[place, 0] + jitter[:, 0]) / 1e6
    lon = (PLACE_MICRODEG[place, 1] + jitter[:, 1]) / 1e6

    likes = heavy_tail(rng, n, 16)
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


def sample_tweets(
    n: int = 1000,
    seed: int = 0,
    *,
    backend: Backend = "pandas",
    ids_as: IdsAs = "str",
) -> Any:
    """A realistic, deterministic frame of ``n`` Tweets (see :mod:`compliance_nb.datasets`).

    Columns: ``id``, ``author_id``, ``created_at``, ``text``, ``lang``, ``retweet_count``,
    ``like_count``, ``geo_place_id``, ``geo_lat``, ``geo_lon``.

    Parameters
    ----------
    n : int, default 1000
        Number of rows (about 2 % of them repeat another row, about 0.5 % have no ``id``).
    seed : int, default 0
        The same ``n`` and ``seed`` always give the same frame.
    backend : {"pandas", "polars"}, default "pandas"
        The frame's library.
    ids_as : {"str", "int", "uint"}, default "str"
        How ``id`` and ``author_id`` are stored: ``"str"`` (how IDs should be stored),
        ``"int"`` (nullable Int64) or ``"uint"`` (nullable UInt64).

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        ``n`` rows of Tweets.

    Raises
    ------
    InputError
        When ``n`` or ``seed`` is not a whole number >= 0, or ``backend`` or ``ids_as`` is
        not one of its choices.

    See Also
    --------
    sample_users : A frame of user accounts.
    sample_collection : Raw API objects (JSON lines) instead of a frame.

    Examples
    --------
    >>> df = sample_tweets(100, seed=1, backend="polars")
    >>> df.columns[:3]
    ['id', 'author_id', 'created_at']
    >>> df.equals(sample_tweets(100, seed=1, backend="polars"))
    True
    >>> sample_tweets(5, ids_as="uint")["id"].dtype
    UInt64Dtype()
    """
    check_args(n, seed, backend, ids_as)
    rng = np.random.default_rng(seed)
    t = tweet_arrays(rng, n)
    users = t["users"]
    rows, null = duplicate_and_null_rows(rng, n)

    geo = t["geo"][rows]
    exact = t["exact"][rows]
    place_ids = np.array(PLACE_IDS, dtype=object)[t["place"][rows]]
    columns = {
        "id": id_column(t["id"][rows], null, backend, ids_as),
        "author_id": id_column(
            users["id"][t["author"][rows]], np.zeros(n, dtype=bool), backend, ids_as
        ),
        "created_at": datetime_column(t["created_ms"][rows], backend),
        "text": plain_column(t["text"][rows], backend),
        "lang": plain_column(t["lang"][rows], backend),
        "retweet_count": plain_column(t["retweet_count"][rows], backend),
        "like_count": plain_column(t["like_count"][rows], backend),
        "geo_place_id": nullable_column(place_ids, geo, backend),
        "geo_lat": nullable_column(t["lat"][rows], exact, backend),
        "geo_lon": nullable_column(t["lon"][rows], exact, backend),
    }
    return make_frame(columns, backend)
