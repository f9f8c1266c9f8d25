"""What the commands read and write: frames by file extension, the summaries, printed lines.

Everything printed goes through :func:`say` (stdout) or :func:`note` (stderr), which remove
the bearer token and mask signed-URL signatures.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from .._redact import mask_text

__all__ = [
    "FRAME_SUFFIXES",
    "apply_summary_text",
    "check_writable",
    "frame_format",
    "note",
    "plural",
    "print_json",
    "read_frame",
    "say",
    "summary_paragraph",
    "write_frame",
]

FRAME_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_KIND_NOUN = {"tweets": "Tweet IDs", "users": "user IDs"}


# --------------------------------------------------------------------------------------
# output that never shows a secret
# --------------------------------------------------------------------------------------
def _secrets() -> list[str]:
    from ..api.session import token_from_env

    token, _ = token_from_env()
    return [token] if token else []


def _clean(text: str) -> str:
    """``text`` with the bearer token removed and signed-URL signatures masked."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return mask_text(text)


def say(text: str = "") -> None:
    """Print ``text`` on stdout, without the token and with signatures masked.

    Parameters
    ----------
    text : str
        The line(s) to print.

    Examples
    --------
    >>> say("https://storage.example/u?X-Goog-Signature=abc123&x=1")
    https://storage.example/u?X-Goog-Signature=***&x=1
    """
    print(_clean(text))


def note(text: str) -> None:
    """Print ``text`` on stderr, cleaned as :func:`say` does.

    Parameters
    ----------
    text : str
        The line(s) to print.
    """
    print(_clean(text), file=sys.stderr)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON (cleaned as :func:`say` does).

    Parameters
    ----------
    data : Any
        Anything :func:`json.dumps` takes; other values are written as their ``str``.

    Examples
    --------
    >>> print_json({"id": "1"})
    {
      "id": "1"
    }
    """
    say(json.dumps(data, indent=2, default=str))


def plural(n: int, word: str) -> str:
    """``n`` with thousands separators and ``word``, with an ``s`` unless ``n`` is 1.

    Parameters
    ----------
    n : int
        The count.
    word : str
        The singular noun.

    Returns
    -------
    str
        For example ``"1,200 rows"``.

    Examples
    --------
    >>> plural(1, "row"), plural(1200, "row")
    ('1 row', '1,200 rows')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------
# frames in and out
# --------------------------------------------------------------------------------------
def frame_format(path: Path, what: str) -> str:
    """The format of a frame file by its extension: ``csv``, ``parquet`` or ``jsonl``.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        ``"input"`` or ``"output"``, for the error message.

    Returns
    -------
    str
        ``"csv"``, ``"parquet"`` or ``"jsonl"``.

    Raises
    ------
    InputError
        For any other extension.

    Examples
    --------
    >>> frame_format(Path("tweets.NDJSON"), "input")
    'jsonl'
    """
    fmt = FRAME_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Cannot tell the format of the {what} file {str(path)!r} from its extension: "
            "use .csv, .parquet, .jsonl or .ndjson."
        )
    return fmt


def read_frame(path: Path, id_columns: Sequence[str]) -> Any:
    """Read a CSV, Parquet or JSON-lines file with polars; ID columns always as strings.

    Parameters
    ----------
    path : Path
        The input file; its extension says its format.
    id_columns : Sequence[str]
        Columns that must exist, read as text (CSV and JSON lines) so no ID loses digits.

    Returns
    -------
    polars.DataFrame
        The file's rows.

    Raises
    ------
    InputError
        When the file is missing, cannot be read, or lacks one of ``id_columns``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("id\\n1425543269983784962\\n")
    >>> read_frame(p, ["id"])["id"].to_list()
    ['1425543269983784962']
    """
    import polars as pl

    fmt = frame_format(path, "input")
    if not path.is_file():
        raise InputError(f"No such input file: {str(path)!r}.")
    overrides = {c: pl.String for c in id_columns}
    try:
        if fmt == "csv":
            df = pl.read_csv(path, schema_overrides=overrides)
        elif fmt == "jsonl":
            df = pl.read_ndjson(path, schema_overrides=overrides)
        else:
            df = pl.read_parquet(path)  # typed already: a float ID column is refused later
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"Could not read {str(path)!r} as {fmt}: {exc}") from exc
    missing = [c for c in id_columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{str(path)!r} has no column {missing[0]!r}; its columns are "
            f"{', '.join(map(repr, df.columns))}. Pass the right one with --id-column "
            "(or --user-id-column)."
        )
    return df


def write_frame(df: Any, path: Path) -> None:
    """Write a polars frame in the format of ``path``'s extension, making its folder.

    Parameters
    ----------
    df : polars.DataFrame
        The frame.
    path : Path
        Where to write (``.csv``, ``.parquet``, ``.jsonl`` or ``.ndjson``).
    """
    fmt = frame_format(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "jsonl":
        df.write_ndjson(path)
    else:  # with the run's provenance in the file's key-value metadata too
        from ..jobs.runinfo import provenance_metadata

        df.write_parquet(path, metadata=provenance_metadata(df) or None)


def check_writable(df: Any, dest: Path) -> None:
    """Refuse, before any job, a frame the output format cannot hold (nested columns in CSV).

    Parameters
    ----------
    df : polars.DataFrame
        The frame that will be written.
    dest : Path
        Where it will be written.

    Raises
    ------
    InputError
        When ``dest`` is a CSV file and ``df`` has nested columns.
    """
    if frame_format(dest, "output") != "csv":
        return
    nested = [name for name, dtype in df.schema.items() if dtype.is_nested()]
    if nested:
        raise InputError(
            f"CSV cannot hold the nested column(s) {', '.join(map(repr, nested))}: write to "
            ".parquet or .jsonl instead."
        )


# --------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------
def summary_paragraph(df: Any, *, id_column: str, kind: str, where: str, prefix: str) -> str:
    """One paragraph saying what was checked and what came back.

    Parameters
    ----------
    df : polars.DataFrame
        A frame returned by ``check_compliance``.
    id_column : str
        Its column of IDs.
    kind : str
        ``"tweets"`` or ``"users"``.
    where : str
        The API the IDs were checked against, as the sentence names it.
    prefix : str
        The prefix of the added columns (``"compliance_"``).

    Returns
    -------
    str
        The paragraph.
    """
    import polars as pl

    from ..jobs.runinfo import recall

    compliant = df.get_column("compliant")
    n_rows = df.height
    n_ids = df.get_column(id_column).drop_nulls().n_unique()
    n_ok = int(compliant.sum() or 0)
    n_action = int((~compliant).sum() or 0)
    n_unchecked = int(compliant.null_count())
    statuses = (  # each row's status, as check_compliance gave it (rules.outcomes)
        df.filter(pl.col("compliant") == False)  # noqa: E712 - a polars expression
        .group_by(pl.col(f"{prefix}status").cast(pl.String))
        .len()
        .sort(["len", f"{prefix}status"], descending=[True, False])
    )
    parts = [f"{status} {n:,}" for status, n in statuses.iter_rows()]
    info = recall(df)
    jobs = ""
    if info is not None and info.job_ids:
        ids = [j for js in info.job_ids.values() for j in js]
        if ids:
            jobs = f" in job{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
    text = (
        f"Checked {plural(n_rows, 'row')} ({n_ids:,} distinct {_KIND_NOUN[kind]}) against "
        f"{where}{jobs}: {plural(n_ok, 'row')} need no action, {n_action:,} need action"
    )
    text += f" ({', '.join(parts)})" if parts else ""
    if n_unchecked:
        text += f", and {n_unchecked:,} could not be checked (a missing or invalid ID)"
    return text + "."


def apply_summary_text(summary: Any) -> str:
    """``apply_compliance``'s summary (a dict) as a sentence.

    Parameters
    ----------
    summary : Any
        The summary dict of ``apply_compliance`` or ``apply_compliance_jsonl``; anything
        else is shown as its ``str``.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> apply_summary_text({"rows_in": 10, "rows_out": 9, "rows_removed": 1,
    ...                     "removed": {"deleted": 1}})
    'The clean dataset keeps 9 of 10 rows: 1 row removed (rows per reason: deleted 1).'
    """
    if not isinstance(summary, dict):
        return str(summary)
    removed = summary.get("removed") or {}
    why = ", ".join(f"{k} {v:,}" for k, v in removed.items())
    text = (
        f"The clean dataset keeps {summary.get('rows_out', 0):,} of "
        f"{summary.get('rows_in', 0):,} rows: {plural(summary.get('rows_removed', 0), 'row')} "
        f"removed" + (f" (rows per reason: {why})" if why else "")
    )
    geo = summary.get("rows_geo_scrubbed", 0)
    if geo:
        cols = ", ".join(summary.get("geo_columns") or [])
        text += f", and the geo columns ({cols}) blanked in {plural(geo, 'row')}"
    return text + "."
