"""snowflake_time: creation times read from Tweet/user IDs, exact, with no float detour."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import polars as pl
import pytest

from compliance_nb import snowflake_time
from compliance_nb._exceptions import InputError

UTC = timezone.utc
# worked by hand: 1265324480517361664 >> 22 = 301676864747; + 1288834974657 = 1590511839404 ms
KNOWN = ("1265324480517361664", datetime(2020, 5, 26, 16, 50, 39, 404000, tzinfo=UTC))


def test_one_id_as_str_and_int():
    assert snowflake_time(KNOWN[0]) == KNOWN[1]
    assert snowflake_time(int(KNOWN[0])) == KNOWN[1]
    assert snowflake_time(" 1265324480517361664 ") == KNOWN[1]


def test_ids_before_snowflakes_and_junk_give_none():
    assert snowflake_time(20) is None  # a 2006 sequential ID
    assert snowflake_time(29_700_859_246) is None
    # 29_700_859_247 >> 22 = 7081 ms after the Twitter epoch (01:42:54.657)
    assert snowflake_time(29_700_859_247) == datetime(2010, 11, 4, 1, 43, 1, 738000, tzinfo=UTC)
    assert snowflake_time("abc") is None
    assert snowflake_time(None) is None
    assert snowflake_time(-5) is None


def test_a_float_is_refused():
    with pytest.raises(InputError, match="float"):
        snowflake_time(1.2e18)


def test_polars_is_exact_where_a_float_would_round_up_a_millisecond():
    # (k << 22) - 1 belongs to millisecond k - 1, but as a float it rounds up to k << 22
    k = 300_000_000_000
    tricky = (k << 22) - 1
    assert int(float(tricky)) >> 22 == k  # what a float detour would give
    out = snowflake_time(pl.Series("id", [tricky, None], dtype=pl.UInt64))
    assert out.dtype == pl.Datetime("us", "UTC")
    assert out.name == "id"
    expected_ms = (k - 1) + 1288834974657
    assert out[0] == datetime.fromtimestamp(expected_ms // 1000, UTC).replace(
        microsecond=(expected_ms % 1000) * 1000
    )
    assert out[1] is None
    strings = snowflake_time(pl.Series([str(tricky), "12", "x1"]))
    assert strings.to_list() == [out[0], None, None]


def test_list_and_pandas():
    assert snowflake_time([KNOWN[0], "20"]) == [KNOWN[1], None]
    s = pd.Series([KNOWN[0], None, "20"], index=[10, 11, 12], name="id")
    out = snowflake_time(s)
    assert list(out.index) == [10, 11, 12]
    assert out.iloc[0] == pd.Timestamp(KNOWN[1])
    assert out.iloc[1:].isna().all()
    with pytest.raises(InputError, match="float"):
        snowflake_time(pd.Series([1.0, 2.0]))


def test_agrees_with_the_sample_datasets_creation_times():
    """datasets.sample_tweets builds created_at from its IDs independently of this module."""
    from compliance_nb.datasets import sample_tweets

    df = sample_tweets(400, seed=1, backend="polars").drop_nulls("id")
    got = snowflake_time(df["id"])
    is_snowflake = df["id"].cast(pl.UInt64) >= 29_700_859_247
    assert is_snowflake.sum() > 300 and (~is_snowflake).sum() > 0
    assert (got.filter(is_snowflake) == df["created_at"].filter(is_snowflake)).all()
    assert got.filter(~is_snowflake).null_count() == (~is_snowflake).sum()
