"""What a valid Tweet or user ID is: the one rule every path applies.

A value is an ID when it is

* an integer (Python ``int``, numpy or Arrow integer) from 1 to :data:`MAX_ID`, or
* text that, once surrounding ASCII white space (space, tab, line feed, carriage return,
  vertical tab, form feed) is stripped, is 1 to :data:`MAX_DIGITS` ASCII digits whose value
  is from 1 to :data:`MAX_ID`. Leading zeros are allowed and dropped: ``"007"`` is ID 7.

Everything else is refused, with a short reason (:func:`id_problem`): an empty value, a
sign, an exponent or a decimal point, inner spaces, non-ASCII digits (``"١٢٣"``, ``"１２３"``),
more than 19 digits, zero, a value above :data:`MAX_ID`, and any value that is neither text
nor an integer (floats above all: they cannot hold IDs above 2**53 exactly).

:data:`MAX_ID` is the largest signed 64-bit integer: snowflake IDs are 63-bit numbers, and
the API's own pattern for IDs is ``^[0-9]{1,19}$``.

The rule is written twice, in two forms that the test suite holds equal: :func:`parse_id`
for one value, and :func:`text_id_key` / :func:`integer_id_valid` as narwhals expressions
for columns (polars, DuckDB, Dask, Spark...).

>>> parse_id(" 007\\n")
7
>>> id_problem("1e18")
'not decimal digits'
>>> id_problem(2**63)
'above the largest ID (9223372036854775807)'
"""

from __future__ import annotations

import numbers
from typing import Any

import narwhals.stable.v2 as nw

__all__ = [
    "MAX_DIGITS",
    "MAX_ID",
    "RULE",
    "WHITESPACE",
    "canonical_id",
    "id_problem",
    "integer_id_key",
    "integer_id_valid",
    "parse_id",
    "text_id_key",
]

#: The largest valid ID: the largest signed 64-bit integer.
MAX_ID = 2**63 - 1
#: The most digits an ID may have (leading zeros included).
MAX_DIGITS = 19
#: The white space stripped from around text IDs: ASCII only.
WHITESPACE = " \t\n\r\x0b\x0c"
#: The rule in words, for error messages.
RULE = (
    f"A valid ID is 1 to {MAX_DIGITS} ASCII digits from 1 to {MAX_ID} (an integer, or text; "
    "surrounding white space is ignored and leading zeros are dropped)"
)
_MAX_ID_TEXT = str(MAX_ID)


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
