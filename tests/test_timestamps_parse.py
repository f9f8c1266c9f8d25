"""Results timestamps: the fixed-layout fast path against Python's own ISO parser."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

import compliance_nb._timestamps as ts
from compliance_nb._timestamps import parse_timestamps


def _python(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _random_stamps(n: int, seed: int = 3) -> list[str | None]:
    rng = np.random.default_rng(seed)
    start = datetime(1900, 1, 1, tzinfo=timezone.utc)
    millis = rng.integers(0, 250 * 365 * 86_400_000, n)
    out: list[str | None] = []
    for i, ms in enumerate(millis):
        moment = start + timedelta(milliseconds=int(ms))
        out.append(
            None if i % 5 == 0 else moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        )
    return out


@pytest.fixture
def general_rows(monkeypatch):
    """The values handed to the general (chrono) parser, as a list."""
    seen: list[str | None] = []
    real = ts._general

    def spy(text: pl.Series) -> pl.Series:
        seen.extend(text.to_list())
        return real(text)

    monkeypatch.setattr(ts, "_general", spy)
    return seen


def test_fixed_layout_equals_pythons_parser_with_nulls(general_rows):
    stamps = _random_stamps(20_000)
    fast = parse_timestamps(pl.Series("t", stamps))
    assert general_rows == []  # the documented layout never needs the general parser
    assert fast.dtype == pl.Datetime("us", "UTC")
    assert fast.to_list() == [_python(s) for s in stamps]


@pytest.mark.parametrize(
    "text", ["2000-02-29T12:00:00.001Z", "2024-02-29T23:59:59.999Z", "1999-12-31T00:00:00.000Z"]
)
def test_leap_days_and_edges(text):
    assert parse_timestamps(pl.Series([text])).to_list() == [_python(text)]


@pytest.mark.parametrize(
    "odd",
    [
        "2019-02-29T00:00:00.000Z",  # not a leap year
        "1900-02-29T00:00:00.000Z",  # not a leap year either (century)
        "2019-13-01T00:00:00.000Z",
        "2019-12-32T00:00:00.000Z",
        "2019-12-01T24:00:00.000Z",
        "2019-12-01 00:00:00.000Z",
        "2019-12-01T00:00:00.00ZZ",
        "２019-12-01T00:00:00.000Z",  # non-ASCII digit
        "not a timestamp at all!!",
    ],
)
def test_unreadable_values_are_null_not_guessed(odd, general_rows):
    series = pl.Series(["2019-10-29T17:02:47.000Z", odd, None])
    assert parse_timestamps(series).to_list() == [_python("2019-10-29T17:02:47.000Z"), None, None]
    assert general_rows in ([odd], [])  # only the odd value, if anything, goes the slow way


def test_other_layouts_mixed_in_go_the_general_way_value_by_value(general_rows):
    texts = [
        "2019-12-01T00:00:00+00:00",
        "2019-10-29T17:02:47.000Z",
        None,
        "2019-12-01T10:00:00.5Z",
        "2016-12-31T23:59:60.000Z",  # a leap second: chrono's reading is kept
        "2020-01-02T03:04:05.678Z",
    ]
    out = parse_timestamps(pl.Series(texts)).to_list()
    assert out[:4] + out[5:] == [_python(t) for t in texts[:4] + texts[5:]]
    assert out[4] == datetime(2017, 1, 1, tzinfo=timezone.utc)
    assert general_rows == [texts[0], texts[3], texts[4]]


def test_all_null_and_empty_columns_keep_the_dtype():
    for series in (pl.Series([None, None], dtype=pl.String), pl.Series([], dtype=pl.String)):
        out = parse_timestamps(series)
        assert out.dtype == pl.Datetime("us", "UTC")
        assert out.null_count() == len(series)


def test_fast_path_agrees_with_chrono_across_the_calendar(general_rows):
    # every month number 00-15 and day 00-33 of years around the leap rules (0000 and
    # 9999 are the ends of the year table), at the first and last moment of the day
    years = [0, 1, 4, 100, 400, 1582, 1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999]
    texts = [
        f"{y:04d}-{m:02d}-{d:02d}T{time}Z"
        for y in years
        for m in range(16)
        for d in range(34)
        for time in ("00:00:00.000", "23:59:59.999")
    ]
    series = pl.Series(texts)
    fast = parse_timestamps(series).dt.epoch("us")
    assert general_rows == [t for t, v in zip(texts, fast, strict=True) if v is None]
    assert fast.null_count() > 0 and fast.is_not_null().sum() > len(texts) // 2
    assert fast.to_list() == ts._general(series).dt.epoch("us").to_list()


@pytest.mark.parametrize(
    "text",
    [
        "2019-10-29T17:02:47.000Y",
        "2019-10-29T17:02:47,000Z",
        "2019-10-29T17:02:47.00AZ",
        "2019-1A-29T17:02:47.000Z",
        "2019/10/29T17:02:47.000Z",
        "2019-10-29T17:02:4/.000Z",  # '/' is the byte just below '0'
        "2019-10-29T17:02:4:.000Z",  # ':' is the byte just above '9'
        "2019-10-29T17:60:47.000Z",
    ],
)
def test_a_wrong_byte_anywhere_in_the_layout_is_not_read_as_a_digit(text):
    assert parse_timestamps(pl.Series([text])).to_list() == [None]
