"""What the commands read: ID lists and tables, by extension or by content, plain or gzip
(where they come from and in what format: :mod:`.sources`).

Formats (the extension decides, before a ``.gz``; ``--format`` overrides it; standard
input, ``-``, is recognised by its content unless ``--format`` is given):

* ``ids`` (``.txt``, ``.ids``): one ID per line, no header. Blank lines and lines starting
  with ``#`` are ignored. The column is called ``id``.
* ``csv`` (``.csv``) and ``tsv`` (``.tsv``, ``.tab``): a header line unless ``--no-header``
  (then the columns are ``column_1``, ``column_2``, ...).
* ``parquet`` (``.parquet``, ``.pq``) and ``jsonl`` (``.jsonl``, ``.ndjson``).

The ID column: ``--id-column``, else ``id`` when the table has one, else its only column.
ID columns are read as text in every text format, so no ID passes through a float.

A CSV or TSV file whose first line holds a valid ID in the ID column has no header: that
line is data. It is read as such (never dropped), and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._exceptions import InputError
from ..rules.ids import SCIENTIFIC_NOTATION, WHITESPACE, id_problem
from .sources import Source, input_format, is_blank, load, open_source, sniff

__all__ = ["InputTable", "read_input", "read_table"]


@dataclass
class InputTable:
    """A table read for a command.

    Attributes
    ----------
    frame : polars.DataFrame
        The rows.
    id_column : str
        The column of IDs, as chosen (``--id-column`` or the default).
    fmt : str
        The format it was read as.
    name : str
        How messages name the input (its path, or "standard input").
    notes : list of str
        Things the user should know about how it was read.
    header : bool
        Whether the first line was a header (CSV and TSV).
    user_id_column : str or None
        The column of author IDs (``--user-id-column``), by its name in ``frame``.
    """

    frame: Any
    id_column: str
    fmt: str
    name: str
    notes: list[str]
    header: bool = False
    user_id_column: str | None = None


def read_input(
    path: str,
    *,
    id_column: str | None,
    user_id_column: str | None = None,
    fmt: str | None = None,
    no_header: bool = False,
) -> InputTable:
    """Read the input of ``check``: an ID list or a table, ID columns as text.

    Parameters
    ----------
    path : str
        The file, or ``-`` for standard input.
    id_column : str, optional
        ``--id-column``; default ``id`` when the table has it, else its only column.
    user_id_column : str, optional
        ``--user-id-column``: must exist; read as text too.
    fmt : str, optional
        ``--format``: the format, whatever the extension.
    no_header : bool, default False
        ``--no-header``: a CSV or TSV file's first line is data.

    Returns
    -------
    InputTable
        The rows and the ID column chosen.

    Raises
    ------
    InputError
        A missing or unreadable file, an unknown format, a missing column, or a table of
        several columns with none called ``id`` and no ``--id-column``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "ids.txt"
    >>> _ = p.write_text("# my collection\\n1425543269983784962\\n\\n20\\n")
    >>> read_input(str(p), id_column=None).frame["id"].to_list()
    ['1425543269983784962', '20']
    """
    name = "standard input" if path == "-" else repr(path)
    fmt, _ = input_format(path, fmt)
    data = load(path, name)
    if fmt is None:
        fmt = sniff(data)
        if fmt == "ids" and no_header:  # one column of IDs: a header-less CSV, as asked
            fmt = "csv"
    if no_header and fmt not in ("csv", "tsv"):
        raise InputError(f"--no-header goes with CSV and TSV input; {name} is read as {fmt}.")
    wanted = [c for c in (id_column, user_id_column) if c]
    notes: list[str] = []
    header = False
    try:
        if fmt == "ids":
            frame = _read_ids(data)
        elif fmt in ("csv", "tsv"):
            frame, renamed, header = _read_delimited(data, fmt, wanted, no_header, name, notes)
            if id_column is not None:
                id_column = renamed.get(id_column, id_column)
            if user_id_column is not None:
                user_id_column = renamed.get(user_id_column, user_id_column)
        elif fmt == "jsonl":
            frame = _read_jsonl(data, wanted)
        else:
            import polars as pl

            frame = pl.read_parquet(open_source(data))
    except InputError:
        raise
    except Exception as exc:  # polars' own errors: the file is not what it says
        text = " ".join(str(exc).split())[:300]
        raise InputError(f"Could not read {name} as {fmt}: {text}") from exc
    chosen = _choose_column(frame.columns, id_column, name, fmt, no_header)
    if user_id_column is not None and user_id_column not in frame.columns:
        raise InputError(_missing(name, user_id_column, frame.columns, "--user-id-column"))
    return InputTable(
        frame=frame,
        id_column=chosen,
        fmt=fmt,
        name=name,
        notes=notes,
        header=header,
        user_id_column=user_id_column,
    )


def _missing(name: str, column: str, columns: list[str], flag: str) -> str:
    return (
        f"{name} has no column {column!r}; its columns are {', '.join(map(repr, columns))}. "
        f"Name the right one with {flag}."
    )


def _choose_column(
    columns: list[str], id_column: str | None, name: str, fmt: str, no_header: bool
) -> str:
    if id_column is not None:
        if id_column not in columns:
            raise InputError(_missing(name, id_column, columns, "--id-column"))
        return id_column
    if "id" in columns:
        return "id"
    if len(columns) == 1:
        return columns[0]
    hint = " (with --no-header: column_1, column_2, ... or just 1, 2, ...)" if no_header else ""
    if not no_header and fmt in ("csv", "tsv") and any(map(_looks_like_data, columns)):
        hint = (
            ". Its first line looks like data, not a header: add --no-header and name the "
            "column of IDs by its number, for example --id-column 1"
        )
    raise InputError(
        f"{name} has {len(columns)} columns and none is called 'id': name the column of IDs "
        f"with --id-column{hint}. Its columns are {', '.join(map(repr, columns[:20]))}."
    )


def _looks_like_data(cell: str) -> bool:
    """A header cell that is an ID, digits, or an ID saved in scientific notation: the
    line is data, not column names.

    >>> [_looks_like_data(c) for c in ["20", " 1.7e+18", "0", "id", "tweet_id"]]
    [True, True, True, False, False]
    """
    text = cell.strip()
    return text.isdigit() or id_problem(text) in (None, SCIENTIFIC_NOTATION)


def _read_ids(data: Source) -> Any:
    """One ID per line: blank lines and ``#`` comments dropped, each line's surrounding
    white space (as the ID rule counts it) dropped, the rest kept as text."""
    import polars as pl

    if is_blank(data):
        return pl.DataFrame({"id": pl.Series([], dtype=pl.String)})
    frame = pl.read_csv(
        open_source(data),
        has_header=False,
        new_columns=["id"],
        schema={"id": pl.String},
        separator="\x1f",  # no separator: a whole line is one value
        quote_char=None,
        comment_prefix="#",
    )
    # the white space the ID rule ignores goes (a line is nothing but its ID), and with it
    # the blank lines
    text = pl.col("id").str.strip_chars(WHITESPACE)
    return frame.select(text).filter(text.str.len_bytes() > 0)


def _read_delimited(
    data: Source,
    fmt: str,
    wanted: list[str],
    no_header: bool,
    name: str,
    notes: list[str],
) -> tuple[Any, dict[str, str], bool]:
    """A CSV or TSV file, its ID columns (``wanted``, those the options name) as text;
    returns it, the new names of the named columns when the file has no header, and
    whether the first line was a header.

    Without ``--no-header``, a first line that holds an ID where the IDs are (the column
    named by ``--id-column``, ``id``, or the only column) is data, not a header: the file
    is read without one, so that no ID is lost, and a note says so. Without a header the
    columns are ``column_1``, ``column_2``, ... (``--id-column 2`` means ``column_2``).
    """
    import polars as pl

    separator = "\t" if fmt == "tsv" else ","
    renamed: dict[str, str] = {}
    if no_header:
        renamed = {c: f"column_{c}" for c in wanted if c.isdigit()}
    else:
        header = pl.read_csv(open_source(data), separator=separator, n_rows=0).columns
        target = wanted[0] if wanted else None
        if target is None:
            target = "id" if "id" in header else header[0] if len(header) == 1 else None
        if target is not None and target in header and _looks_like_data(target):
            no_header = True
            notes.append(
                f"The first line of {name} holds a value ({target.strip()}) where the IDs "
                "are, not a column name: every line is read as data (--no-header says so "
                "and silences this)."
            )
            # the options named columns by that line's cells: the same columns
            renamed = {c: f"column_{header.index(c) + 1}" for c in wanted if c in header}
            if not wanted and len(header) == 1:
                renamed = {target: "column_1"}
    if no_header:
        width = pl.read_csv(
            open_source(data), separator=separator, has_header=False, n_rows=1
        ).width
        names = [f"column_{i + 1}" for i in range(width)]
        text = {renamed.get(c, c) for c in wanted} | ({names[0]} if len(names) == 1 else set())
        frame = pl.read_csv(
            open_source(data),
            separator=separator,
            has_header=False,
            new_columns=names,
            schema_overrides={c: pl.String for c in text if c in names},
        )
        return frame, renamed, False
    text = set(wanted)
    if not wanted:
        text.add("id" if "id" in header or len(header) != 1 else header[0])
    frame = pl.read_csv(
        open_source(data),
        separator=separator,
        schema_overrides={c: pl.String for c in text if c in header},
    )
    return frame, renamed, True


def _read_jsonl(data: Source, wanted: list[str]) -> Any:
    """JSON lines, the ID columns as text (JSON numbers too). When the ID column is not
    named and there is no ``id``, the file is read twice: to find its only column, then
    with that column as text."""
    import polars as pl

    if is_blank(data):
        return pl.DataFrame({"id": pl.Series([], dtype=pl.String)})
    columns = wanted or ["id"]
    try:
        return pl.read_ndjson(
            open_source(data),
            schema_overrides={c: pl.String for c in columns},
            infer_schema_length=None,
        )
    except pl.exceptions.SchemaFieldNotFoundError:
        pass  # a column named is not there: read as it is (the caller names what is missing)
    frame = pl.read_ndjson(open_source(data), infer_schema_length=None)
    text = [c for c in wanted if c in frame.columns]
    if not wanted and frame.width == 1:
        text = frame.columns
    if any(frame.schema[c] != pl.String for c in text):
        frame = pl.read_ndjson(
            open_source(data),
            schema_overrides={c: pl.String for c in text},
            infer_schema_length=None,
        )
    return frame


def read_table(path: str, fmt: str | None = None) -> tuple[Any, str]:
    """Read a table as it is, for ``apply``: CSV and TSV with every column as text (each
    value is written back as it was read), JSON lines and Parquet with their own types.

    Parameters
    ----------
    path : str
        The file, or ``-`` for standard input.
    fmt : str, optional
        ``--format``: the format, whatever the extension.

    Returns
    -------
    tuple of (polars.DataFrame, str)
        The table, and how messages name it.

    Raises
    ------
    InputError
        A missing or unreadable file, an unknown format, or an ID list (which has no
        compliance columns to apply).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "checked.csv"
    >>> _ = p.write_text("id,n\\n007,1.50\\n")
    >>> read_table(str(p))[0].rows()
    [('007', '1.50')]
    """
    import polars as pl

    name = "standard input" if path == "-" else repr(path)
    fmt, _ = input_format(path, fmt)
    data = load(path, name)
    if fmt is None:
        fmt = sniff(data)
    if fmt == "ids":
        raise InputError(
            f"{name} is a list of IDs: `compliance-nb apply` takes the table that "
            "`compliance-nb check` wrote (with its compliance columns)."
        )
    try:
        if fmt in ("csv", "tsv"):
            frame = pl.read_csv(
                open_source(data), separator="\t" if fmt == "tsv" else ",", infer_schema=False
            )
        elif fmt == "jsonl":
            frame = pl.read_ndjson(open_source(data), infer_schema_length=None)
        else:
            frame = pl.read_parquet(open_source(data))
    except Exception as exc:
        text = " ".join(str(exc).split())[:300]
        raise InputError(f"Could not read {name} as {fmt}: {text}") from exc
    return frame, name
