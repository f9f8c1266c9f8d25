"""The ``compliance-nb`` command: the same checks as the notebooks, from a shell.

::

    compliance-nb check ids.txt -o results.csv          # one ID per line
    compliance-nb apply results.csv -o keep.csv         # the rows (IDs) you may keep
    compliance-nb check tweets.csv --user-id-column author_id -o checked.parquet
    compliance-nb check ids.txt -o results.csv --no-wait   # prints the job ID; rerun later
    compliance-nb jobs list
    compliance-nb jobs wait 1425543269983784962
    compliance-nb jobs download 1425543269983784962 -o results.jsonl
    compliance-nb demo                                  # sample data, built-in sandbox
    compliance-nb sandbox --port 8765                   # the sandbox as a local server
    compliance-nb apply-jsonl collection.jsonl compliant.jsonl

Exit status: 0 on success, 1 when the command failed (one line on stderr starting
``compliance-nb: error:``), 2 for a usage error, 130 when interrupted. ``--debug`` shows
the full traceback. The bearer token is never printed, and signed URLs are shown with
their signatures masked, ``--json`` output included. A closed pipe (``| head``) ends the
command quietly. ``--quiet`` silences progress; ``NO_COLOR`` turns colour off.

The modules: ``parser`` (the arguments) and ``helptext`` (their examples), one per group
of commands (``check`` for check and demo, with ``detach`` for ``--no-wait``; ``apply``;
``jobs``; ``apply_jsonl``; ``sandbox``), ``sources`` (where input comes from, its
format) and ``inputs`` (ID lists and tables read),
``idcheck`` (ID columns worded for the shell), ``files`` (tables written), ``session``
(the client a command talks to) and ``output`` (printing without secrets, the summaries).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from .._exceptions import ComplianceError, ConflictError
from .output import PROG, error_line, note, set_quiet
from .parser import build_parser

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
    set_quiet(bool(getattr(args, "quiet", False)))
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with warnings.catch_warnings():
            # the library's warnings are shown as the command's own lines
            warnings.showwarning = _show_warning
            status = func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except BrokenPipeError:
        return _pipe_closed()
    except KeyboardInterrupt:
        if debug:
            raise
        note(f"{PROG}: interrupted")
        return 130
    except Exception as exc:
        if debug:
            raise
        error_line(PROG, _one_line(exc))
        return 1


def _show_warning(message: Warning | str, *_args: object, **_kw: object) -> None:
    """A warning as one ``compliance-nb: warning: ...`` line on stderr."""
    error_line(PROG, str(message), label="warning")


def _pipe_closed() -> int:
    """The reader of stdout went away (``| head``): nothing more to say, and nothing to
    flush at exit (Python would otherwise complain about it on stderr)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file behind stdout (a test's capture)
        pass
    return 0


def _one_line(exc: BaseException) -> str:
    """The error as one line; errors that are not the package's point to ``--debug``.

    >>> _one_line(ValueError("bad\\n  value"))
    'ValueError: bad value (run with --debug for the traceback)'
    """
    if isinstance(exc, ConflictError) and exc.job_id:  # worded for the shell, not Python
        return (
            f"Another job of this kind, {exc.job_id}, is running at the API, which allows one "
            "at a time: run the command again without --on-conflict raise to wait for it, or "
            f"cancel it with `compliance-nb jobs cancel {exc.job_id}`."
        )
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (ComplianceError, OSError)):
        text = f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
    return text
