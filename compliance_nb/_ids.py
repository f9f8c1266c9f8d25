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
>>> unique_ids(parsed.ids).to_list()
[20, 1800000000000000001]
"""

from __future__ import annotations

import hashlib
import numbers
import os
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from ._exceptions import IDColumnTypeError, InputError
from ._models import JOB_KINDS
from .rules.ids import MAX_DIGITS, MAX_ID, RULE, id_problem, integer_id_valid, text_id_key

__all__ = [
    "MAX_ID",
    "ParsedIds",
    "check_kind",
    "fingerprint",
    "id_values",
    "is_distinct_sorted",
    "parse_id_parts",
    "parse_ids",
    "repeated_values",
    "sorted_distinct",
    "unique_ids",
    "write_id_file",
]

_EXAMPLES = 5
_HASH_CHUNK = 1 << 20
#: IDs written to the upload file at a time (about 10 MB of text).
_WRITE_SLICE = 1 << 19
#: Text IDs from which the cast to numbers is split over two threads.
_PARALLEL_CAST = 1 << 20

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

    Attributes:
        ids: polars ``UInt64`` Series, one value per input row; null where the input was
            null or (with ``errors="coerce"``) invalid.
        n_null: rows whose input was null.
        n_invalid: rows whose input was present but unusable (0 with ``errors="raise"``).
        invalid_examples: up to five of the unusable values, as ``repr`` strings.
    """

    ids: pl.Series
    n_null: int
    n_invalid: int
    invalid_examples: tuple[str, ...] = ()


def check_kind(kind: Any) -> str:
    """Return ``kind`` if it is ``"tweets"`` or ``"users"``, else raise :class:`InputError`.

    >>> check_kind("users")
    'users'
    """
    if kind not in JOB_KINDS:
        raise InputError(
            f"Unknown kind {kind!r}: use kind='tweets' (a column of Tweet/Post IDs) or "
            "kind='users' (a column of user IDs)."
        )
    return kind


def _from_integers(values: pl.Series) -> tuple[pl.Series, pl.Series]:
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
        return _from_integers(values)[0]
    return _from_text(values.cast(pl.String))[0]


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


def _from_text(values: pl.Series) -> tuple[pl.Series, pl.Series]:
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
    t_ids, _ = _from_text(pl.Series(name, text, dtype=pl.String))
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

    Args:
        values: the column as a polars Series (any dtype) or, for pandas ``object``
            columns Arrow could not read, a Python list.
        column: the column's name, for messages.
        errors: ``"raise"`` (default): any unusable value raises :class:`InputError`
            with the count and up to five examples. ``"coerce"``: unusable values become
            null and a warning says how many.
        kind_label: what the values are, for messages (``"Tweet ID"``, ``"user ID"``).

    Raises:
        IDColumnTypeError: a float or other non-integer, non-text column.
        InputError: unusable values with ``errors="raise"``.

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
            ids, bad = _from_integers(values)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            ids, bad = _from_text(values.cast(pl.String))
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


def unique_ids(ids: pl.Series) -> pl.Series:
    """The distinct non-null IDs, sorted ascending (UInt64).

    >>> unique_ids(pl.Series([3, None, 1, 3], dtype=pl.UInt64)).to_list()
    [1, 3]
    """
    if ids.dtype == pl.UInt64 and not ids.null_count() and is_distinct_sorted(ids):
        return ids.alias("id")  # already in shape: no copy (800 MB saved at 100M IDs)
    values = sorted_distinct(ids.drop_nulls().cast(pl.UInt64).to_numpy().copy())
    return pl.Series("id", values, dtype=pl.UInt64)


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """Sort ``values`` in place and return its distinct values (a new, smaller array, or
    ``values`` itself when it has fewer than two). numpy's in-place sort, then a
    comparison of neighbours: faster than a hash-based unique plus a sort.

    >>> sorted_distinct(np.array([3, 1, 3, 2], dtype=np.uint64)).tolist()
    [1, 2, 3]
    """
    values.sort()
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def repeated_values(values: np.ndarray) -> np.ndarray:
    """The values that occur more than once in ``values`` (each once, sorted), from a
    sorted copy and a comparison of neighbours (8 bytes a value; a hash table of every
    value takes several times that). ``values`` is not changed.

    >>> repeated_values(np.array([5, 7, 5, 9, 5], dtype=np.uint64)).tolist()
    [5]
    """
    ordered = np.sort(values)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    return sorted_distinct(twice)


def is_distinct_sorted(ids: pl.Series) -> bool:
    """True when ``ids`` is strictly ascending (sorted, no repeats); no copy of the IDs.

    >>> is_distinct_sorted(pl.Series([1, 5, 9])), is_distinct_sorted(pl.Series([1, 5, 5]))
    (True, False)
    """
    n = len(ids)
    if not ids.is_sorted():
        return False
    return n < 2 or bool((ids.slice(1) != ids.slice(0, n - 1)).all())


def write_id_file(
    ids: pl.Series,
    path: str | os.PathLike[str],
    on_written: Callable[[int], None] | None = None,
) -> int:
    """Write one decimal ID per line (no header, ``\\n`` endings); return the size in bytes.

    Vectorised: polars writes the file, a slice of :data:`_WRITE_SLICE` IDs at a time, no
    Python loop per ID. ``on_written(n)`` is told after each slice that the first ``n``
    bytes are in the file (an upload can follow the file as it grows).

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ids.txt"
    >>> write_id_file(pl.Series([20, 1800000000000000001], dtype=pl.UInt64), p)
    23
    >>> p.read_text()
    '20\\n1800000000000000001\\n'
    """
    numbers = ids.cast(pl.UInt64)
    written = 0
    with open(path, "wb") as f:
        for start in range(0, len(numbers), _WRITE_SLICE):
            pl.DataFrame({"id": numbers.slice(start, _WRITE_SLICE)}).write_csv(
                f, include_header=False, line_terminator="\n"
            )
            f.flush()
            written = f.tell()
            if on_written is not None:
                on_written(written)
    return written


def fingerprint(ids: pl.Series, kind: str, base_url: str) -> str:
    """sha256 of the sorted distinct IDs (8 little-endian bytes each), the kind and the
    normalised API base URL. The same IDs against the same API give the same fingerprint.

    >>> a = fingerprint(pl.Series([2, 1], dtype=pl.UInt64), "tweets", "https://api.x.com/")
    >>> a == fingerprint(pl.Series([1, 2, 2], dtype=pl.UInt64), "tweets", "https://API.x.com")
    True
    """
    digest = hashlib.sha256()
    digest.update(f"{kind}\n{normalise_base_url(base_url)}\n".encode())
    ordered = unique_ids(ids)
    for start in range(0, len(ordered), _HASH_CHUNK):  # bounded memory: 8 MB at a time
        chunk = ordered.slice(start, _HASH_CHUNK).to_numpy()
        digest.update(chunk.astype("<u8", copy=False).tobytes())
    return digest.hexdigest()


def normalise_base_url(url: str) -> str:
    """Lower-case scheme and host, no trailing slash.

    >>> normalise_base_url("HTTPS://API.X.com/")
    'https://api.x.com'
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))
