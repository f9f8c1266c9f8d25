"""``compliance-nb apply CHECKED -o CLEAN``: the checked table brought into compliance.

The rules are :func:`~compliance_nb.apply_compliance`'s (called here, not written again):
rows whose result asks for removal are dropped, the geo columns of geo-scrubbed rows are
emptied. The summary goes to stderr, so that nothing but data is ever on stdout.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .._exceptions import InputError
from .files import check_destination, check_writable, write_frame
from .inputs import read_table
from .output import apply_summary_text, note

__all__ = ["cmd_apply", "geo_column_list"]


def geo_column_list(values: list[str] | None) -> list[str] | None:
    """``--geo-columns`` as a list: comma-separated names, the option given once or more.

    Parameters
    ----------
    values : list of str or None
        Each value given to ``--geo-columns``.

    Returns
    -------
    list of str or None
        The column names, or None (the default rule) when the option was not given.

    Examples
    --------
    >>> geo_column_list(["geo, place_id", "lat"])
    ['geo', 'place_id', 'lat']
    >>> geo_column_list([""])
    []
    """
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def cmd_apply(args: argparse.Namespace) -> int:
    """Drop the rows ``CHECKED`` says to remove, empty the geo columns of geo scrubs.

    Parameters
    ----------
    args : argparse.Namespace
        ``checked``, ``output``, ``force``, ``format``, ``geo_columns`` and
        ``drop_compliance_columns``.

    Returns
    -------
    int
        The exit status (0).
    """
    from ..frames.apply import apply_compliance
    from ..frames.columns import ColumnNames

    dest = Path(args.output)
    check_destination(dest, [args.checked], force=args.force, flag="-o")
    frame, name = read_table(args.checked, args.format)
    names = ColumnNames.for_prefix("compliance_")
    if not any(names.main[f] in frame.columns for f in ("action", "reason")):
        raise InputError(
            f"{name} has no {names.main['action']!r} or {names.main['reason']!r} column: "
            "`compliance-nb apply` takes the table `compliance-nb check` wrote. Run "
            "`compliance-nb check` on it first."
        )
    geo = geo_column_list(args.geo_columns)
    if geo is not None:
        missing = [c for c in geo if c not in frame.columns]
        if missing:
            raise InputError(
                f"--geo-columns: {', '.join(map(repr, missing))} not a column of {name}; its "
                f"columns are {', '.join(map(repr, frame.columns))}."
            )
    check_writable(frame, dest)
    # the library logs its summary (and a warning worded for Python); the command says
    # the same below in its own words, once
    quiet = logging.NullHandler()
    library_log = logging.getLogger("compliance_nb")
    library_log.addHandler(quiet)
    try:
        clean, summary = apply_compliance(
            frame,
            geo_columns=geo,
            return_summary=True,
            drop_compliance_columns=args.drop_compliance_columns,
        )
    finally:
        library_log.removeHandler(quiet)
    write_frame(clean, dest)
    note(apply_summary_text(summary) + f" Wrote {dest}.")
    return 0
