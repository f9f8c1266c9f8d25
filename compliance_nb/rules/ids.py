"""What a valid Tweet or user ID is: the one rule every path applies.

A value is an ID when it is

* an integer (Python ``int``, numpy or Arrow integer) from 1 to :data:`MAX_ID`, or
* text that, once surrounding ASCII white space (space, tab, line feed, carriage return,
  vertical tab, form feed) is stripped, is 1 to :data:`MAX_DIGITS` ASCII digits whose value
  is from 1 to :data:`MAX_ID`. Leading zeros are allowed and dropped: ``"007"`` is ID 7.

Everything else is refused, with a short reason (:func:`id_problem`): an empty value,
a number of 16 digits or more in scientific notation (``"1.73428826718806e+18"``: what a
spreadsheet makes of an ID saved as a number; its last digits are lost, so the reason says
to export the IDs again as text), a sign, another exponent or a decimal point, inner spaces,
non-ASCII digits (``"١٢٣"``, ``"１２３"``), more than 19 digits, zero, a value above
:data:`MAX_ID`, and any value that is neither text nor an integer (floats above all: they
cannot hold IDs above 2**53 exactly).

:data:`MAX_ID` is the largest signed 64-bit integer: snowflake IDs are 63-bit numbers, and
the API's own pattern for IDs is ``^[0-9]{1,19}$``.

The rule is written twice, in two forms that the test suite holds equal: :func:`parse_id`
for one value, and :func:`text_id_key` / :func:`integer_id_valid` as narwhals expressions
for columns (polars, DuckDB, Dask, Spark...).

>>> parse_id(" 007\\n")
7
>>> id_problem("1.73428826718806e+18") == SCIENTIFIC_NOTATION
True
>>> id_problem("1.2e-5")
'not decimal digits'
>>> id_problem(2**63)
'above the largest ID (9223372036854775807)'
"""

from __future__ import annotations

import numbers
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

__all__ = [
    "FIRST_SNOWFLAKE",
    "MAX_DIGITS",
    "MAX_ID",
    "RULE",
    "SCIENTIFIC_NOTATION",
    "TWITTER_EPOCH_MS",
    "WHITESPACE",
    "canonical_id",
    "id_problem",
    "id_values",
    "integer_column_ids",
    "integer_id_key",
    "integer_id_valid",
    "parse_id",
    "text_column_ids",
    "text_id_key",
]

#: The largest valid ID: the largest signed 64-bit integer.
MAX_ID = 2**63 - 1
#: The most digits an ID may have (leading zeros included).
MAX_DIGITS = 19
#: The white space stripped from around text IDs: ASCII only.
WHITESPACE = " \t\n\r\x0b\x0c"
#: Milliseconds from the Unix epoch to the snowflake epoch (2010-11-04T01:42:54.657Z): a
#: snowflake ID holds the milliseconds since then in its bits above the lowest 22.
TWITTER_EPOCH_MS = 1288834974657
#: The smallest snowflake ID; smaller IDs were handed out one after another and carry no time.
FIRST_SNOWFLAKE = 29_700_859_247
#: The rule in words, for error messages.
RULE = (
    f"A valid ID is 1 to {MAX_DIGITS} ASCII digits from 1 to {MAX_ID} (an integer, or text; "
    "surrounding white space is ignored and leading zeros are dropped)"
)
#: The reason given for text in scientific notation, such as ``"1.73428826718806E+18"``.
SCIENTIFIC_NOTATION = (
    "these look like IDs saved as numbers in scientific notation: their last digits are "
    "lost; export them again as text"
)
_SCIENTIFIC_MIN_EXPONENT = 15
_MAX_ID_TEXT = str(MAX_ID)
#: Text IDs from which the cast to numbers is split over two threads.
_PARALLEL_CAST = 1 << 20


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not an ID (a short phrase), or None when it is one.

    >>> for value in ["12", "0", "+1", "", "١٢٣", "1" * 20, 1.0]:
    ...     print(repr(value), id_problem(value))
    '12' None
    '0' zero
    '+1' not decimal digits
    '' empty
    '١٢٣' not decimal digits
    '11111111111111111111' more than 19 digits
    1.0 a float, which cannot hold IDs exactly
    """
    try:
        parse_id(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_id(value: Any) -> int:
    """The ID that ``value`` stands for; ``ValueError`` (its text: the reason) if none.

    >>> parse_id("1265324480517361664"), parse_id(20)
    (1265324480517361664, 20)
    >>> parse_id("12 34")
    Traceback (most recent call last):
    ...
    ValueError: not decimal digits
    """
    if isinstance(value, bool):
        raise ValueError("a boolean, not an ID")
    if isinstance(value, str):
        text = value.strip(WHITESPACE)
        if not text:
            raise ValueError("empty")
        if not (text.isascii() and text.isdigit()):
            if _is_scientific(text):
                raise ValueError(SCIENTIFIC_NOTATION)
            raise ValueError("not decimal digits")
        if len(text) > MAX_DIGITS:
            raise ValueError(f"more than {MAX_DIGITS} digits")
        number = int(text)
    elif isinstance(value, numbers.Integral):
        number = int(value)
        if number < 0:
            raise ValueError("negative")
    elif isinstance(value, numbers.Real):
        raise ValueError("a float, which cannot hold IDs exactly")
    else:
        raise ValueError(f"a {type(value).__name__}, not text or an integer")
    if number == 0:
        raise ValueError("zero")
    if number > MAX_ID:
        raise ValueError(f"above the largest ID ({MAX_ID})")
    return number


def _is_scientific(text: str) -> bool:
    """True for a number of 16 digits or more in scientific notation: digits, an optional
    decimal part, ``e`` or ``E``, an optional ``+`` and an exponent of at least 15 (how
    spreadsheets and float-typed exports write large numbers). From 16 digits on, a
    number saved as a float has lost digits (2**53 has 16), so the ID cannot be recovered;
    smaller numbers in this notation are only "not decimal digits".

    >>> [_is_scientific(t) for t in ["1.73428826718806E+18", "1e18", "1e3", "1.5e-3", "e18"]]
    [True, True, False, False, False]
    """
    mantissa, sep, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    exponent = exponent.removeprefix("+")
    return bool(
        sep
        and text.isascii()
        and whole.isdigit()
        and (fraction == "" or fraction.isdigit())
        and exponent.isdigit()
        and int(exponent) >= _SCIENTIFIC_MIN_EXPONENT
    )


def canonical_id(value: Any) -> str:
    """The ID as the API wants it: decimal text without leading zeros.

    >>> canonical_id(" 0042 ")
    '42'
    """
    return str(parse_id(value))


def text_id_key(expr: nw.Expr) -> nw.Expr:
    """The rule on a text column: each value's canonical decimal text, null where the value
    is null or not an ID. Works in every engine narwhals speaks (no regex anchors, as
    engines disagree on what ``$`` matches).

    >>> import polars as pl
    >>> s = pl.Series(["007", " 12\\n", "+1", "0", "9223372036854775808", None])
    >>> nw.from_native(pl.DataFrame({"v": s})).select(text_id_key(nw.col("v"))
    ...     ).to_native()["v"].to_list()
    ['7', '12', None, None, None, None]
    """
    s = expr.str.strip_chars(WHITESPACE)
    digits = s.str.strip_chars_start("0")
    n, n_digits = s.str.len_chars(), digits.str.len_chars()
    valid = (
        (n >= 1).fill_null(False)
        & (n <= MAX_DIGITS).fill_null(False)
        & (~s.str.contains("[^0-9]")).fill_null(False)
        & (n_digits >= 1).fill_null(False)
        & ((n_digits < MAX_DIGITS).fill_null(False) | (digits <= _MAX_ID_TEXT).fill_null(False))
    )
    return nw.when(valid).then(digits)


def integer_id_valid(expr: nw.Expr, *, unsigned: bool) -> nw.Expr:
    """The rule on an integer column: True where the value is an ID (1 to :data:`MAX_ID`).

    >>> import polars as pl
    >>> df = nw.from_native(pl.DataFrame({"v": [0, 5, 2**63]}, schema={"v": pl.UInt64}))
    >>> df.select(integer_id_valid(nw.col("v"), unsigned=True)).to_native()["v"].to_list()
    [False, True, False]
    """
    valid = (expr > 0).fill_null(False)
    if unsigned:  # only an unsigned column can exceed the largest ID
        valid = valid & (expr <= MAX_ID).fill_null(False)
    return valid


def integer_id_key(expr: nw.Expr, *, unsigned: bool) -> nw.Expr:
    """The rule on an integer column: the value where it is an ID, null elsewhere.

    >>> import polars as pl
    >>> df = nw.from_native(pl.DataFrame({"v": [-3, 5]}))
    >>> df.select(integer_id_key(nw.col("v"), unsigned=False)).to_native()["v"].to_list()
    [None, 5]
    """
    return nw.when(integer_id_valid(expr, unsigned=unsigned)).then(expr)


# -- the rule on a polars column (what the eager paths use) ---------------------------------


def integer_column_ids(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Integer series -> (UInt64 ids with invalid set to null, invalid mask)."""
    valid = integer_id_valid(nw.col("v"), unsigned=values.dtype.is_unsigned_integer())
    out = (
        nw.from_native(pl.DataFrame({"v": values}))
        .select(
            nw.when(valid).then(nw.col("v")).alias("n"),
            (nw.col("v").is_null() | valid).alias("ok"),
        )
        .to_native()
    )
    return out["n"].cast(pl.UInt64), ~out["ok"]


def id_values(values: pl.Series) -> pl.Series:
    """An integer or text column's IDs (``UInt64``), null where a value is not an ID.

    >>> id_values(pl.Series(["007", "x", None, "0"])).to_list()
    [7, None, None, None]
    """
    if values.dtype.is_integer():
        return integer_column_ids(values)[0]
    return text_column_ids(values.cast(pl.String))[0]


def _to_numbers(values: pl.Series) -> pl.Series:
    """Text -> UInt64 (null where the cast fails). A long column is cast in two halves at
    the same time: polars lets go of the GIL, so two cores take half the time.

    >>> _to_numbers(pl.Series(["20", "x", None])).to_list()
    [20, None, None]
    """
    if len(values) < _PARALLEL_CAST:
        return values.cast(pl.UInt64, strict=False)
    half = len(values) // 2
    with ThreadPoolExecutor(1, thread_name_prefix="compliance_nb-cast") as pool:
        second = pool.submit(values.slice(half).cast, pl.UInt64, strict=False)
        first = values.slice(0, half).cast(pl.UInt64, strict=False)
        return pl.concat([first, second.result()], rechunk=False)


def text_column_ids(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """String series -> (UInt64 ids with invalid set to null, invalid mask)."""
    # Fast path, no regex: polars' cast reads ASCII digits with an optional leading "+"
    # (anything else becomes null), so a column where the cast lost nothing, no value has
    # a "+" or more than 19 bytes, and every number is in range is all plain valid IDs.
    number = _to_numbers(values)
    if values.null_count() == len(values):  # nothing to check: all null
        return number, pl.repeat(False, len(values), dtype=pl.Boolean, eager=True)
    lowest, highest, longest = number.min(), number.max(), values.str.len_bytes().max()
    if (
        number.null_count() == values.null_count()
        and not values.str.starts_with("+").any()
        and isinstance(longest, int)
        and longest <= MAX_DIGITS
        and isinstance(lowest, int)
        and lowest >= 1
        and isinstance(highest, int)
        and highest <= MAX_ID
    ):
        return number, pl.repeat(False, len(values), dtype=pl.Boolean, eager=True)
    key = (
        nw.from_native(pl.DataFrame({"v": values}))
        .select(text_id_key(nw.col("v")))
        .to_native()["v"]
    )
    bad = values.is_not_null() & key.is_null()
    return key.cast(pl.UInt64).alias(values.name), bad
