"""compliance_nb.datasets: deterministic, realistic sample frames with exact IDs."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import polars as pl
import pytest

from compliance_nb._exceptions import InputError
from compliance_nb.datasets import sample_tweets, sample_users

EPOCH_MS = 1288834974657  # Twitter's snowflake epoch, 2010-11-04T01:42:54.657Z
LAST_SEQUENTIAL = 29_700_859_247


def _utc_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    return sample_tweets(20_000, seed=7, backend="polars")


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_same_n_and_seed_give_the_same_frame(backend: str) -> None:
    a = sample_tweets(500, seed=3, backend=backend)
    b = sample_tweets(500, seed=3, backend=backend)
    assert a.equals(b)
    c = sample_tweets(500, seed=4, backend=backend)
    assert not a.equals(c)


def test_pandas_and_polars_hold_the_same_values() -> None:
    pd_df = sample_tweets(300, seed=5)
    pl_df = sample_tweets(300, seed=5, backend="polars")
    assert list(pd_df.columns) == pl_df.columns
    for col in ("id", "author_id", "text", "lang", "geo_place_id"):
        left = [None if pd.isna(v) else v for v in pd_df[col]]
        assert left == pl_df[col].to_list(), col
    pd_ms = [_utc_ms(v) for v in pd_df["created_at"]]
    assert pd_ms == [_utc_ms(v) for v in pl_df["created_at"]]


def test_ids_are_strings_by_default_and_nullable_ints_on_request() -> None:
    pd_df = sample_tweets(400, seed=1)
    assert pd.api.types.is_string_dtype(pd_df["id"].dtype)
    assert all(isinstance(v, str) for v in pd_df["id"].dropna())
    pl_df = sample_tweets(400, seed=1, backend="polars")
    assert pl_df.schema["id"] == pl.String and pl_df.schema["author_id"] == pl.String

    pd_int = sample_tweets(400, seed=1, ids_as="int")
    assert str(pd_int["id"].dtype) == "Int64" and str(pd_int["author_id"].dtype) == "Int64"
    pd_uint = sample_tweets(400, seed=1, ids_as="uint")
    assert str(pd_uint["id"].dtype) == "UInt64"
    pl_int = sample_tweets(400, seed=1, backend="polars", ids_as="int")
    assert pl_int.schema["id"] == pl.Int64
    assert sample_tweets(400, seed=1, backend="polars", ids_as="uint").schema["id"] == pl.UInt64


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_ids_above_2_pow_53_are_exact_in_every_storage(backend: str) -> None:
    as_str = sample_tweets(400, seed=2, backend=backend)
    as_int = sample_tweets(400, seed=2, backend=backend, ids_as="int")
    as_uint = sample_tweets(400, seed=2, backend=backend, ids_as="uint")
    strings = [None if pd.isna(v) else v for v in list(as_str["id"])]
    ints = [None if pd.isna(v) else int(v) for v in list(as_int["id"])]
    uints = [None if pd.isna(v) else int(v) for v in list(as_uint["id"])]
    assert [None if s is None else int(s) for s in strings] == ints == uints
    big = [i for i in ints if i is not None and i > 2**53]
    assert len(big) > 300
    # a float could not tell these apart from their neighbours
    assert any(float(i) != i for i in big)


def test_snowflake_ids_encode_created_at_and_old_ids_are_sequential(big: pl.DataFrame) -> None:
    rows = big.filter(pl.col("id").is_not_null())
    snowflakes = old = 0
    for id_text, created in zip(rows["id"], rows["created_at"], strict=True):
        tweet_id = int(id_text)
        if tweet_id >= LAST_SEQUENTIAL:
            snowflakes += 1
            assert (tweet_id >> 22) + EPOCH_MS == _utc_ms(created)
            assert 2012 <= created.year <= 2023
        else:
            old += 1
            assert datetime(2007, 1, 1, tzinfo=timezone.utc) <= created
            assert created < datetime(2010, 11, 4, 1, 42, tzinfo=timezone.utc)
    assert old > 0 and old / (old + snowflakes) < 0.05


def test_authors_repeat_exist_before_their_tweets_and_mix_id_eras(big: pl.DataFrame) -> None:
    authors = big["author_id"].cast(pl.UInt64)
    assert authors.null_count() == 0
    assert authors.n_unique() < len(authors) / 3
    top_share = authors.value_counts(sort=True)["count"][0] / len(authors)
    assert top_share > 0.01  # a few prolific authors
    sequential = authors < LAST_SEQUENTIAL
    assert 0.05 < sequential.mean() < 0.7
    snow = big.filter(~sequential)
    author_ms = (snow["author_id"].cast(pl.UInt64) // 2**22).cast(pl.Int64) + EPOCH_MS
    assert author_ms.min() >= _utc_ms(datetime(2013, 1, 1, tzinfo=timezone.utc))
    tweet_ms = snow["created_at"].dt.epoch("ms")
    assert (author_ms <= tweet_ms).all()


def test_null_duplicate_and_geo_shares(big: pl.DataFrame) -> None:
    n = big.height
    assert big["id"].null_count() == round(n * 0.005)
    ids = big["id"].drop_nulls()
    dup_rows = len(ids) - ids.n_unique()
    assert 0.015 < dup_rows / n < 0.025
    # a duplicated ID is a whole repeated row, not a new Tweet with the same ID
    assert big.drop_nulls("id").unique().height == ids.n_unique()
    geo = big["geo_place_id"].is_not_null()
    assert 0.04 < geo.mean() < 0.06
    assert big.filter(pl.col("geo_lat").is_not_null() & ~geo).height == 0
    coords = big["geo_lat"].is_not_null().sum() / geo.sum()
    assert 0.3 < coords < 0.5
    assert big["geo_place_id"].drop_nulls().str.contains("^[0-9a-f]{16}$").all()
    assert set(big["lang"].unique()) <= {"en", "es", "pt", "fr", "de", "und"}
    assert big["text"].str.len_chars().min() > 0


def test_sample_users_are_realistic_and_deterministic() -> None:
    users = sample_users(2000, seed=1, backend="polars")
    assert users.equals(sample_users(2000, seed=1, backend="polars"))
    assert users.columns[:4] == ["id", "username", "name", "created_at"]
    ids = users.drop_nulls("id")
    snow = ids.filter(pl.col("id").cast(pl.UInt64) >= LAST_SEQUENTIAL)
    assert 0.5 < snow.height / ids.height < 0.9
    for id_text, created in zip(snow["id"], snow["created_at"], strict=True):
        assert (int(id_text) >> 22) + EPOCH_MS == _utc_ms(created)
    pd_users = sample_users(50, seed=1, ids_as="int")
    assert str(pd_users["id"].dtype) == "Int64"


@pytest.mark.parametrize(
    "kwargs",
    [{"n": -1}, {"n": 2.5}, {"seed": -3}, {"backend": "arrow"}, {"ids_as": "float"}],
)
def test_bad_arguments_are_input_errors(kwargs: dict) -> None:
    with pytest.raises(InputError):
        sample_tweets(**kwargs)


def test_zero_and_tiny_sizes_work() -> None:
    assert sample_tweets(0, backend="polars").height == 0
    one = sample_tweets(1, backend="polars")
    assert one.height == 1 and one["id"].null_count() == 0
