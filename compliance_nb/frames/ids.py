"""ID columns in, exact IDs out: validation and normalisation, never through a float.

Twitter/X IDs are 64-bit snowflakes. Above 2**53 a float cannot hold them exactly, so a
float column has already lost digits; :func:`parse_ids` refuses it. Everything else is
turned into one polars ``UInt64`` Series (same length as the input, null where the input
was null or, with ``errors="coerce"``, unusable). IDs go to the API as decimal strings.

What an ID is, is written once, in :mod:`compliance_nb.rules.ids` (integers and text from
1 to 2**63 - 1; surrounding ASCII white space ignored, leading zeros dropped). Here that rule
is applied to whole columns, and pandas ``object`` columns are read value by value (text and
Python ints; anything else is an invalid value; a column of nothing but bytes is refused).

Whole columns that are rejected whatever ``errors=`` says (:class:`IDColumnTypeError`):
float, boolean, date/time and other non-integer, non-text columns.

>>> import polars as pl
>>> parsed = parse_ids(pl.Series("id", [" 20", None, "1800000000000000001"]), column="id")
>>> parsed.ids.to_list()
[20, None, 1800000000000000001]
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from .._exceptions import IDColumnTypeError, InputError
from ..rules.ids import RULE, id_problem, integer_column_ids, text_column_ids

__all__ = ["ParsedIds", "parse_id_parts", "parse_ids"]

_EXAMPLES = 5

Errors = Literal["raise", "coerce"]

_FLOAT_HINT = (
    "IDs above 2**53 (every Tweet ID since about 2014) were already corrupted when the "
    "column became float, so they cannot be sent. Read the IDs as text instead:\n"
    "    pandas: pd.read_csv(path, dtype={{{col!r}: str}})\n"
    "    polars: pl.read_csv(path, schema_overrides={{{col!r}: pl.String}})"
)


@dataclass(frozen=True)
class ParsedIds:
    """The result of :func:`parse_ids`.

    Attributes
    ----------
    ids
        polars ``UInt64`` Series, one value per input row; null where the input was
        null or (with ``errors="coerce"``) invalid.
    n_null
        rows whose input was null.
    n_invalid
        rows whose input was present but unusable (0 with ``errors="raise"``).
    invalid_examples
        up to five of the unusable values, as ``repr`` strings.
    """

    ids: pl.Series
    n_null: int
    n_invalid: int
    invalid_examples: tuple[str, ...] = ()


def _from_objects(values: list[Any], name: str) -> tuple[pl.Series, pl.Series]:
    """A pandas ``object`` column with mixed contents: text and Python ints are read,
    anything else is invalid. (Slow path: one Python step per value; only used when the
    column could not be converted to Arrow as a whole.)"""
    text = [v if isinstance(v, str) else None for v in values]
    ints = [
        int(v) if isinstance(v, numbers.Integral) and id_problem(v) is None else None
        for v in values
    ]
    present = [v is not None and not _is_missing(v) for v in values]
    t_ids, _ = text_column_ids(pl.Series(name, text, dtype=pl.String))
    i_ids = pl.Series(name, ints, dtype=pl.UInt64)
    ids = t_ids.fill_null(i_ids)
    bad = pl.Series(name, present, dtype=pl.Boolean) & ids.is_null()
    return ids, bad


def _is_missing(value: Any) -> bool:
    try:
        return value != value  # NaN, pd.NA raises TypeError in bool()
    except Exception:
        return True


def parse_ids(
    values: pl.Series | list[Any],
    *,
    column: str,
    errors: Errors = "raise",
    kind_label: str = "ID",
) -> ParsedIds:
    """Validate a column of IDs and return them as exact ``UInt64`` values.

    Parameters
    ----------
    values
        the column as a polars Series (any dtype) or, for pandas ``object``
        columns Arrow could not read, a Python list.
    column
        the column's name, for messages.
    errors
        ``"raise"`` (default): any unusable value raises :class:`InputError`
        with the count and up to five examples. ``"coerce"``: unusable values become
        null and a warning says how many.
    kind_label
        what the values are, for messages (``"Tweet ID"``, ``"user ID"``).

    Raises
    ------
    IDColumnTypeError
        a float or other non-integer, non-text column.
    InputError
        unusable values with ``errors="raise"``.

    >>> parse_ids(pl.Series([1, 2, None]), column="id").ids.dtype
    UInt64
    """
    return parse_id_parts([values], column=column, errors=errors, kind_label=kind_label)


def parse_id_parts(
    parts: Iterable[pl.Series | list[Any]],
    *,
    column: str,
    errors: Errors = "raise",
    kind_label: str = "ID",
    rows: int | None = None,
) -> ParsedIds:
    """:func:`parse_ids` for a column given in consecutive parts (e.g. a pandas column
    made polars a million rows at a time: its text is never copied whole). The IDs come
    back as one ``UInt64`` Series; unusable values are counted over all parts and
    reported once, as :func:`parse_ids` does. ``rows``: the column's length, when known
    (each part's IDs then go straight into the one array).

    >>> parts = [pl.Series(["7", None]), pl.Series(["1800000000000000001"])]
    >>> parse_id_parts(parts, column="id").ids.to_list()
    [7, None, 1800000000000000001]
    """
    if errors not in ("raise", "coerce"):
        raise InputError(f"errors={errors!r}: use errors='raise' or errors='coerce'.")
    joined: np.ndarray | None = None  # rows known, several parts: the IDs (0 where null)
    pieces: list[pl.Series] = []  # otherwise: each part's IDs
    nulls: list[np.ndarray] = []  # the rows of null IDs in ``joined``
    n_rows = n_null = n_invalid = 0
    examples: list[Any] = []
    for part in parts:
        ids, part_null, part_invalid, shown = _parse_part(part, column, kind_label)
        n_null, n_invalid = n_null + part_null, n_invalid + part_invalid
        examples += shown[: _EXAMPLES - len(examples)]
        if rows is None or (not n_rows and len(ids) == rows):  # e.g. one part: as it is
            pieces.append(ids)
        elif n_rows + len(ids) > rows:
            raise ValueError(f"the parts hold more than rows={rows} values")
        else:
            if joined is None:
                joined = np.empty(rows, dtype=np.uint64)
            if ids.null_count():
                nulls.append(ids.is_null().arg_true().to_numpy().astype(np.int64) + n_rows)
                ids = ids.fill_null(0)
            joined[n_rows : n_rows + len(ids)] = ids.to_numpy()
        n_rows += len(ids)
    if rows is not None and n_rows != rows:
        raise ValueError(f"the parts hold {n_rows} values, not rows={rows}")
    if joined is not None:
        out = pl.Series(column, joined, dtype=pl.UInt64)  # numpy's memory as it is
        if nulls:
            out = out.scatter(np.concatenate(nulls), None)
    elif pieces:
        out = pieces[0] if len(pieces) == 1 else pl.concat(pieces)
    else:
        out = pl.Series(column, [], dtype=pl.UInt64)
    if n_invalid:
        _report_invalid(column, kind_label, errors, n_invalid, examples)
    return ParsedIds(
        ids=out.alias(column),
        n_null=n_null,
        n_invalid=n_invalid,
        invalid_examples=tuple(repr(v) for v in examples),
    )


def _parse_part(
    values: pl.Series | list[Any], column: str, kind_label: str
) -> tuple[pl.Series, int, int, list[Any]]:
    """One part of a column: its IDs (``UInt64``, null where missing or unusable), the
    count of nulls, the count of unusable values and up to five of them."""
    if isinstance(values, list):
        n_null = sum(1 for v in values if v is None or _is_missing(v))
        ids, bad = _from_objects(values, column)
    else:
        dtype = values.dtype
        n_null = values.null_count()
        if dtype == pl.Null:
            ids, bad = pl.Series(column, [None] * len(values), dtype=pl.UInt64), None
        elif dtype.is_integer():
            ids, bad = integer_column_ids(values)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            ids, bad = text_column_ids(values.cast(pl.String))
        elif dtype.is_float() or dtype.is_decimal():
            raise IDColumnTypeError(
                f"Column {column!r} holds floating-point numbers ({dtype}), which cannot hold "
                f"{kind_label}s exactly. " + _FLOAT_HINT.format(col=column)
            )
        elif dtype == pl.Binary:
            raise IDColumnTypeError(
                f"Column {column!r} holds bytes. Decode it to text first, for example "
                f"pandas: df[{column!r}].str.decode('ascii'); polars: "
                f"pl.col({column!r}).cast(pl.String)."
            )
        else:
            raise IDColumnTypeError(
                f"Column {column!r} has type {dtype}, which cannot hold {kind_label}s. Use a "
                "column of integers or of decimal text; " + _FLOAT_HINT.format(col=column)
            )
    n_invalid = int(bad.sum() or 0) if bad is not None else 0
    shown: list[str] = []
    if n_invalid:
        assert bad is not None
        if isinstance(values, list):
            head = [v for v, b in zip(values, bad.to_list(), strict=True) if b][:_EXAMPLES]
        else:
            head = values.filter(bad).head(_EXAMPLES).to_list()
        shown = head
    return ids.cast(pl.UInt64), n_null, n_invalid, shown


def _report_invalid(
    column: str, kind_label: str, errors: str, n_invalid: int, examples: list[Any]
) -> None:
    """Raise (``errors="raise"``) or warn (``"coerce"``) about unusable values."""
    message = (
        f"Column {column!r} has {n_invalid} value(s) that are not valid {kind_label}s "
        f"(e.g. {'; '.join(f'{v!r}: {id_problem(v)}' for v in examples)}). {RULE}."
    )
    if errors == "raise":
        raise InputError(
            message + " Fix or drop those rows, or pass errors='coerce' to give them null results."
        )
    warnings.warn(
        message + f" Those {n_invalid} row(s) get null results (errors='coerce').",
        UserWarning,
        stacklevel=5,  # the caller of the public call that parsed the column
    )
