"""The ``compliance-nb`` command: the same checks as the notebooks, from a shell.

::

    compliance-nb demo                                  # sample data, built-in sandbox
    compliance-nb check tweets.csv --id-column id -o checked.parquet
    compliance-nb check users.jsonl --id-column id --kind users -o users_checked.csv
    compliance-nb jobs list --kind tweets
    compliance-nb jobs get 1425543269983784962 --json
    compliance-nb jobs download 1425543269983784962 -o results.jsonl
    compliance-nb sandbox --port 8765                   # the sandbox as a local server
    compliance-nb apply-jsonl collection.jsonl compliant.jsonl

Exit status: 0 on success, 1 when the command failed (one line on stderr starting
``compliance-nb: error:``), 2 for a usage error, 130 when interrupted. ``--debug`` shows
the full traceback. The bearer token is never printed, and signed URLs are shown with
their signatures masked, ``--json`` output included.

The modules: ``parser`` (the arguments), one per group of commands (``check`` for check and
demo, ``jobs``, ``apply_jsonl``, ``sandbox``), ``session`` (the client a command talks to)
and ``output`` (files in and out by extension, the summaries, printing without secrets).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from .._exceptions import ComplianceError
from .output import note
from .parser import PROG, build_parser

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``compliance-nb`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Parameters
    ----------
    argv : Sequence[str] or None
        The arguments after the program name.

    Returns
    -------
    int
        0 on success, 1 when the command failed (one line on stderr starting
        ``compliance-nb: error:``), 2 for a usage error, 130 when interrupted.

    Examples
    --------
    A job ID is digits: anything else is a usage error, reported on stderr.

    >>> main(["jobs", "get", "not-a-job"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
        return int(exc.code or 0)
    debug = bool(getattr(args, "debug", False))
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        note(f"{PROG}: interrupted")
        return 130
    except Exception as exc:
        if debug:
            raise
        note(f"{PROG}: error: {_one_line(exc)}")
        return 1


def _one_line(exc: BaseException) -> str:
    """The error as one line; errors that are not the package's point to ``--debug``.

    >>> _one_line(ValueError("bad\\n  value"))
    'ValueError: bad value (run with --debug for the traceback)'
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (ComplianceError, OSError)):
        text = f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
    return text
