"""What the commands read and write: frames by file extension, the summaries, printed lines.

Everything printed goes through :func:`say` (stdout) or :func:`note` (stderr), which remove
the bearer token and mask signed-URL signatures.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from .._redact import mask_text

__all__ = [
    "PROG",
    "apply_summary_text",
    "error_line",
    "info",
    "note",
    "plural",
    "print_json",
    "progress_lines",
    "say",
    "set_quiet",
    "summary_paragraph",
    "use_colour",
]

#: The program's name, as messages start.
PROG = "compliance-nb"
_state = {"quiet": False}
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


def set_quiet(quiet: bool) -> None:
    """``--quiet``: :func:`info` prints nothing (errors and results still print).

    Parameters
    ----------
    quiet : bool
        Whether to silence the notes.
    """
    _state["quiet"] = bool(quiet)


def info(text: str) -> None:
    """A note on stderr about the work (what is checked, where), silenced by ``--quiet``.

    Parameters
    ----------
    text : str
        The line(s) to print.
    """
    if not _state["quiet"]:
        note(text)


def progress_lines() -> Any:
    """The progress display of a command: lines on stderr, or None with ``--quiet``.

    An error that stops the work is not said by the display: the command prints it once,
    as its error line.

    Returns
    -------
    LineReporter or None
        The display.
    """
    if _state["quiet"]:
        return None
    from ..display.lines import LineReporter

    class CommandLines(LineReporter):
        def close(self, error: BaseException | None = None) -> None:
            super().close(None)

    return CommandLines()


def use_colour(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: only a terminal, and never when
    ``NO_COLOR`` is set to anything (https://no-color.org) or ``TERM`` is ``dumb``.

    Parameters
    ----------
    stream : TextIO
        Where the text goes.

    Returns
    -------
    bool
        True when colour may be used.

    Examples
    --------
    >>> import io
    >>> use_colour(io.StringIO())
    False
    """
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


def error_line(prefix: str, text: str, *, label: str = "error") -> None:
    """Print ``PREFIX: error: TEXT`` on stderr, once, with ``error`` in red on a terminal
    (see :func:`use_colour`).

    Parameters
    ----------
    prefix : str
        The program's name.
    text : str
        The message (one line).
    label : str, default "error"
        ``"error"`` or ``"warning"`` (yellow).
    """
    head = f"{label}:"
    if use_colour(sys.stderr):
        colour = "31" if label == "error" else "33"
        head = f"\033[1;{colour}m{head}\033[0m"
    print(f"{prefix}: {head} {_clean(text)}", file=sys.stderr, flush=True)


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
    if geo and summary.get("geo_columns"):
        cols = ", ".join(summary["geo_columns"])
        text += f", and the geo columns ({cols}) blanked in {plural(geo, 'row')}"
    elif geo:
        text += (
            f"; {plural(geo, 'row')} kept {'has' if geo == 1 else 'have'} a geo scrub, but no "
            "column of geo data was found (--geo-columns names them)"
        )
    return text + "."
