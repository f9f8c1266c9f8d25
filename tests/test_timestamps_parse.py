"""Results timestamps: the fixed-layout fast path against Python's own ISO parser."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from compliance_nb._timestamps import _parse_fixed_layout, parse_timestamps


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


def test_fixed_layout_equals_pythons_parser_with_nulls():
    stamps = _random_stamps(20_000)
    series = pl.Series("t", stamps)
    fast = _parse_fixed_layout(series)
    assert fast is not None  # the layout X writes takes the fast path
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
def test_unreadable_values_are_null_not_guessed(odd):
    series = pl.Series(["2019-10-29T17:02:47.000Z", odd, None])
    assert _parse_fixed_layout(series) is None  # the whole column goes the general way
    assert parse_timestamps(series).to_list() == [_python("2019-10-29T17:02:47.000Z"), None, None]


def test_other_layouts_use_the_general_parser():
    texts = ["2019-12-01T00:00:00+00:00", "2019-12-01T10:00:00.5Z", "2019-10-29T17:02:47.000Z"]
    assert parse_timestamps(pl.Series(texts)).to_list() == [_python(t) for t in texts]


def test_all_null_and_empty_columns_keep_the_dtype():
    for series in (pl.Series([None, None], dtype=pl.String), pl.Series([], dtype=pl.String)):
        out = parse_timestamps(series)
        assert out.dtype == pl.Datetime("us", "UTC")
        assert out.null_count() == len(series)
