"""The ID columns of a command's input, looked at by the ID rule before anything is sent.

``check_compliance`` refuses the same values for the same reasons (the rule is
:mod:`compliance_nb.rules.ids`); this module only words the refusal for a shell: it names
the file, the line numbers where it can, and the command's flags (``--errors coerce``)
rather than Python arguments, and it names IDs saved as numbers in scientific notation
as such, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._exceptions import InputError
from ..rules.ids import RULE, SCIENTIFIC_NOTATION, id_problem, id_values

__all__ = ["IdColumnCheck", "check_id_column"]

_EXAMPLES = 5


@dataclass
class IdColumnCheck:
    """What the rule says about one ID column.

    Attributes
    ----------
    n_ids : int
        Rows with a valid ID.
    n_invalid : int
        Rows with a value that is not an ID (they get empty results with ``--errors
        coerce``).
    """

    n_ids: int
    n_invalid: int


def check_id_column(
    frame: Any, column: str, *, what: str, source: str, errors: str, line_offset: int | None
) -> IdColumnCheck:
    """Look at ``frame[column]`` by the ID rule; raise, worded for the shell, on bad values.

    Parameters
    ----------
    frame : polars.DataFrame
        The table read.
    column : str
        Its ID column.
    what : str
        ``"Tweet ID"`` or ``"user ID"``.
    source : str
        How messages name the input.
    errors : str
        ``"raise"`` or ``"coerce"`` (``--errors``).
    line_offset : int, optional
        The line number of the first row (2 under a header, 1 without), or None when
        rows are not lines of the file (Parquet, ID lists with comments left out).

    Returns
    -------
    IdColumnCheck
        The counts.

    Raises
    ------
    InputError
        With ``errors="raise"``, when a value is not an ID; with either, when every value
        is in scientific notation (the file has lost its IDs' digits), or when the column
        is of a type that cannot hold IDs (floats above all).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"id": ["20", "1.73428826718806E+18"]})
    >>> try:
    ...     check_id_column(df, "id", what="Tweet ID", source="'t.csv'", errors="raise",
    ...                     line_offset=2)
    ... except InputError as exc:
    ...     print(exc)
    Column 'id' of 't.csv' has 1 value that is not a valid Tweet ID: line 3: '1.73428826718806E+18': these look like IDs saved as numbers in scientific notation: their last digits are lost; export them again as text.
    """  # noqa: E501
    import polars as pl

    values = frame.get_column(column)
    dtype = values.dtype
    if dtype.is_float() or dtype.is_decimal():
        raise InputError(
            f"Column {column!r} of {source} holds floating-point numbers ({dtype}): "
            f"{what}s above 2**53 have lost their last digits there. Export the IDs "
            "again as text (or as 64-bit integers)."
        )
    if not (dtype.is_integer() or dtype in (pl.String, pl.Categorical, pl.Null)):
        raise InputError(
            f"Column {column!r} of {source} has type {dtype}, which cannot hold {what}s: "
            "write the IDs as text (or as 64-bit integers)."
        )
    ids = id_values(values if dtype != pl.Categorical else values.cast(pl.String))
    bad = values.is_not_null() & ids.is_null()
    n_invalid = int(bad.sum())
    n_ids = len(values) - values.null_count() - n_invalid
    if not n_invalid:
        return IdColumnCheck(n_ids=n_ids, n_invalid=0)
    rows = pl.arange(0, len(values), eager=True).filter(bad).head(_EXAMPLES).to_list()
    examples = values.gather(rows).to_list()
    reasons = [id_problem(v) for v in examples]
    scientific = all(r == SCIENTIFIC_NOTATION for r in reasons)
    where = f"Column {column!r} of {source}"
    if scientific and n_ids == 0:  # the whole column: say it once, with no other advice
        shown = ", ".join(repr(v) for v in examples[:3])
        raise InputError(f"{where} holds values such as {shown}: {SCIENTIFIC_NOTATION}.")
    if errors == "coerce":
        return IdColumnCheck(n_ids=n_ids, n_invalid=n_invalid)
    listed = "; ".join(
        (f"line {row + line_offset}: " if line_offset is not None else f"row {row + 1}: ")
        + f"{value!r}: {reason}"
        for row, value, reason in zip(rows, examples, reasons, strict=True)
    )
    noun = f"value that is not a valid {what}" if n_invalid == 1 else "values that are not "
    noun += "" if n_invalid == 1 else f"valid {what}s"
    text = f"{where} has {n_invalid:,} {noun}: {listed}."
    if not scientific:
        text += (
            f" {RULE}. Fix or remove those lines, or add --errors coerce to check the "
            "others (those rows get empty results)."
        )
    raise InputError(text)
