"""``compliance-nb apply-jsonl``: the compliant copy of a raw JSON-lines collection."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._exceptions import InputError
from .output import apply_summary_text, info, progress_lines, say
from .session import Session

__all__ = ["cmd_apply_jsonl"]


def cmd_apply_jsonl(args: argparse.Namespace) -> int:
    """Check every Tweet and author in ``SOURCE``; write the compliant copy to ``DESTINATION``.

    Parameters
    ----------
    args : argparse.Namespace
        ``source``, ``destination``, ``sandbox``, ``delay``, ``api_url`` and ``on_conflict``.

    Returns
    -------
    int
        The exit status (0).
    """
    from ..jsonl.apply import apply_compliance_jsonl

    source, dest = Path(args.source), Path(args.destination)
    if not source.is_file():
        raise InputError(f"No such input file: {str(source)!r}.")
    if source.resolve() == dest.resolve():
        raise InputError("SOURCE and DESTINATION must be different files.")
    session = Session(args, delay=args.delay)
    try:
        info(f"Checking the objects in {source} against {session.where} ...")
        summary = apply_compliance_jsonl(
            source,
            dest,
            client=session.client,
            progress=progress_lines() or False,
            on_conflict=args.on_conflict,
        )
    finally:
        session.close()
    say(apply_summary_text(summary))
    return 0
