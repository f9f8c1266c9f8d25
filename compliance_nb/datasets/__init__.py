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

The modules
-----------
``tweets`` (:func:`sample_tweets` and the Tweets' arrays and texts), ``users``
(:func:`sample_users` and the users' arrays), ``collection`` (:func:`sample_collection`) and
``api_objects`` (the API objects it writes), over ``ids`` (snowflake and sequential IDs),
``draws`` (integer-only random draws), ``places`` and ``columns`` (pandas or polars columns).
The public names are those below; the modules are internal.
"""

from __future__ import annotations

from ..rules.ids import TWITTER_EPOCH_MS
from .collection import Layout as Layout
from .collection import sample_collection
from .columns import Backend as Backend
from .columns import IdsAs as IdsAs
from .ids import FIRST_SNOWFLAKE_TWEET_ID as FIRST_SNOWFLAKE_TWEET_ID
from .ids import snowflake_ms
from .tweets import sample_tweets
from .users import sample_users

__all__ = [
    "TWITTER_EPOCH_MS",
    "sample_collection",
    "sample_tweets",
    "sample_users",
    "snowflake_ms",
]
