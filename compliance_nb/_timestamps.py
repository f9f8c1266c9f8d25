"""Timestamps in results files, parsed fast: ``2019-10-29T17:02:47.000Z`` -> UTC datetime.

The API's documentation shows every timestamp of a results file in one layout: 24 bytes,
milliseconds, ``Z``. polars' general parser (chrono) takes about 0.35 µs a value; here
that layout is read from the bytes with numpy, each two-digit field through a lookup
table that checks and converts it at once, about 3.5 times faster. Any
value in another layout (an offset such as ``+00:00``, no fraction: the specification
does not promise the layout, and the sandbox writes some) or with an impossible date is
left to the general parser, value by value, so the result never depends on the path.

>>> s = pl.Series(["2019-10-29T17:02:47.123Z", None, "2020-02-29T00:00:00+00:00"])
>>> parse_timestamps(s).to_list()  # doctest: +NORMALIZE_WHITESPACE
[datetime.datetime(2019, 10, 29, 17, 2, 47, 123000, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
 None,
 datetime.datetime(2020, 2, 29, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))]
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["TIMESTAMP_FORMAT", "parse_timestamps"]

#: chrono format of the general parser: optional fraction, offset as ``Z`` or ``+00:00``.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
_UTC = pl.Datetime("us", "UTC")
_LAYOUT = "YYYY-MM-DDTHH:MM:SS.fffZ"
_WIDTH = len(_LAYOUT)
#: Where the separators of the layout are and what they are (``Z`` is read with a digit).
_SEPARATORS = {i: ord(c) for i, c in enumerate(_LAYOUT) if c in "-T:."}
#: Start of each two-byte field read by table: year (two pairs), month, day, hour,
#: minute, second, the first two digits of the milliseconds.
_PAIR_STARTS = (0, 2, 5, 8, 11, 14, 17, 20)
_BAD = 255  # what the tables below give for bytes that are not what they should be


def _two_byte_table(first: str, second: str) -> np.ndarray:
    """A table from two bytes read as one little-endian uint16 to a number: ``10 * a + b``
    for the digits ``a`` in ``first`` and ``b`` in ``second`` (``b`` is 0 where ``second``
    is a single non-digit character); :data:`_BAD` for any other pair of bytes."""
    table = np.full(1 << 16, _BAD, dtype=np.uint8)
    for a, low in enumerate(first):
        for b, high in enumerate(second):
            table[ord(low) | ord(high) << 8] = a * 10 + b if second.isdigit() else a
    return table


_DIGITS = "0123456789"
_PAIR = _two_byte_table(_DIGITS, _DIGITS)  # "42" -> 42
_DIGIT_Z = _two_byte_table(_DIGITS, "Z")  # "7Z" -> 7: the last millisecond digit


def _days_since_epoch(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 for proleptic Gregorian dates (vectorised; H. Hinnant's
    days-from-civil algorithm)."""
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


_YEARS = np.arange(10_000, dtype=np.int64)  # every four-digit year
_YEAR_START = _days_since_epoch(_YEARS, np.ones_like(_YEARS), np.ones_like(_YEARS))
_IS_LEAP = ((_YEARS % 4 == 0) & ((_YEARS % 100 != 0) | (_YEARS % 400 == 0))).astype(np.int64)


def _month_tables() -> tuple[np.ndarray, np.ndarray]:
    """Days before a month and days in it, indexed by ``16 * leap + month``; month 0 and
    13 to 15 have no days, so no day of theirs is valid."""
    before, last = np.zeros(32, dtype=np.int64), np.zeros(32, dtype=np.int64)
    for leap in (0, 1):
        days = np.array([31, 28 + leap, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        last[16 * leap + 1 : 16 * leap + 13] = days
        before[16 * leap + 1 : 16 * leap + 13] = np.cumsum(days) - days
    return before, last


_MONTH_START, _MONTH_DAYS = _month_tables()


def parse_timestamps(values: pl.Series) -> pl.Series:
    """Text timestamps -> ``Datetime("us", "UTC")``; null where the text is null or
    cannot be read (the caller decides whether that is an error)."""
    text = values.cast(pl.String)
    fixed = (text.str.len_bytes() == _WIDTH).fill_null(False)
    grid = _fixed_width_bytes(text.filter(fixed)) if fixed.any() else None
    if grid is None:  # nothing in the layout (or non-ASCII text): all the general way
        return _general(text)
    micros, ok = _read_grid(grid)
    full, done = np.zeros(len(text), dtype=np.int64), np.zeros(len(text), dtype=bool)
    where = fixed.to_numpy()
    full[where], done[where] = micros, ok
    parsed = pl.Series(text.name, full).cast(_UTC)
    parsed = pl.select(pl.when(pl.lit(done)).then(parsed).alias(text.name)).to_series()
    rest = text.is_not_null() & ~pl.Series(done)
    if rest.any():  # other layouts (an offset, no fraction, ...): the general parser
        rows = rest.arg_true()
        parsed.scatter(rows, _general(text.gather(rows)))
    return parsed


def _general(text: pl.Series) -> pl.Series:
    return text.str.to_datetime(
        format=TIMESTAMP_FORMAT, time_unit="us", time_zone="UTC", strict=False
    )


def _fixed_width_bytes(text: pl.Series) -> np.ndarray | None:
    """Values of 24 bytes each as an ``(n, 24)`` uint8 array; None for non-ASCII text."""
    blob = text.str.join("").item()  # one string of n * 24 bytes
    if not isinstance(blob, str):
        return None
    raw = np.frombuffer(blob.encode("ascii", errors="replace"), dtype=np.uint8)
    if raw.size != len(text) * _WIDTH:  # a non-ASCII character somewhere
        return None
    return raw.reshape(len(text), _WIDTH)


def _read_grid(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch per row, and whether the row is a valid timestamp in
    the layout (separators, digits, month and day ranges, leap years).

    Each two-digit field is read as one uint16 through a 65,536-entry table, which checks
    its two bytes and gives its value in one step; the day count comes from tables of
    year and month starts. Values of invalid rows are meaningless (``ok`` is False)."""
    flat = np.ascontiguousarray(grid, dtype=np.uint8).reshape(-1)
    year_hi, year_lo, month, day, hour, minute, second, milli_hi = (
        _two_bytes(flat, len(grid), start, _PAIR) for start in _PAIR_STARTS
    )
    milli_lo = _two_bytes(flat, len(grid), _WIDTH - 2, _DIGIT_Z)
    fields = year_hi | year_lo | month | day | hour | minute | second | milli_hi | milli_lo
    ok = fields < 128  # a bad pair is 255: its top bit is set; any good one is below 100
    for position, char in _SEPARATORS.items():
        ok &= grid[:, position] == char
    # (chrono reads second 60 as the next minute: such rows are left to it)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    year = np.minimum(year_hi.astype(np.int32) * 100 + year_lo, 9999)  # 9999 unless bad
    month_key = _IS_LEAP.take(year) * 16 + np.minimum(month, 15)
    ok &= (day >= 1) & (day <= _MONTH_DAYS.take(month_key))
    days = _YEAR_START.take(year) + _MONTH_START.take(month_key) + day - 1
    seconds = days * 86_400 + (hour * np.int32(3600) + minute * np.int32(60) + second)
    millis = seconds * 1000 + (milli_hi * np.int32(10) + milli_lo)
    return millis * 1000, ok


def _two_bytes(flat: np.ndarray, rows: int, start: int, table: np.ndarray) -> np.ndarray:
    """``table`` looked up with bytes ``start`` and ``start + 1`` of every row (one uint16
    each, read in place from the rows of ``flat``)."""
    pairs = np.ndarray((rows,), dtype="<u2", buffer=flat, offset=start, strides=(_WIDTH,))
    return table.take(pairs)
