"""``compliance-nb check`` (the IDs in a file) and ``compliance-nb demo`` (sample data).

``check`` reads its input (:mod:`.inputs`), looks at the ID columns by the ID rule
(:mod:`.idcheck`) and refuses a bad output (:mod:`.files`) before anything is sent, then
calls :func:`~compliance_nb.check_compliance` and writes the frame it returns as it is.
With ``--no-wait`` it stops once the jobs are processing (:mod:`.detach`); the ledger
remembers them, so the same command run again reattaches instead of starting new jobs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from .files import check_destination, check_writable, write_frame
from .idcheck import check_id_column
from .inputs import read_input
from .output import (
    PROG,
    apply_summary_text,
    error_line,
    info,
    plural,
    progress_lines,
    say,
    summary_paragraph,
)
from .session import Session, ThrowawayCache, sandbox_client

__all__ = ["CHARTS", "cmd_check", "cmd_demo"]

#: The charts the demo saves, as named in ``display.plots`` (the file drops ``plot_``).
CHARTS = ("plot_reasons", "plot_redaction_dates", "plot_availability", "plot_redaction_lag")


def cmd_demo(args: argparse.Namespace) -> int:
    """``compliance-nb demo``: sample Tweets through the built-in sandbox, files in ``--out``.

    Parameters
    ----------
    args : argparse.Namespace
        ``out``, ``n``, ``seed`` and ``delay``.

    Returns
    -------
    int
        The exit status (0).
    """
    from matplotlib.figure import Figure

    from ..api.session import token_from_env
    from ..datasets import sample_tweets
    from ..display import plots as _plots
    from ..display.report import compliance_report
    from ..frames.apply import apply_compliance
    from ..frames.check import check_compliance
    from ..sandbox import Sandbox

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} exists and is not a folder.")
    kwargs: dict[str, Any] = {"backend": "polars"}
    if args.n is not None:
        if args.n < 1:
            raise InputError("--n must be at least 1.")
        kwargs["n"] = args.n
    if args.seed is not None:
        kwargs["seed"] = args.seed
    df = sample_tweets(**kwargs)

    _, var = token_from_env()
    cache = ThrowawayCache().start()  # the demo's jobs end with it: none in the user's cache
    try:
        with Sandbox(processing_delay=args.delay) as sb:
            info(
                f"Using the built-in sandbox at {sb.url}: results are SIMULATED, not real X data."
                + (
                    f" The demo always uses the sandbox; {var} is set but not used here "
                    "(`compliance-nb check` uses it)."
                    if var
                    else ""
                )
            )
            info(f"Checking {plural(df.height, 'sample Tweet')} ...")
            checked = check_compliance(
                df,
                id_column="id",
                kind="tweets",
                client=sandbox_client(sb),
                progress=progress_lines() or False,
            )
            where = f"the built-in sandbox at {sb.url} (SIMULATED)"
    finally:
        cache.stop()

    clean, summary = apply_compliance(checked, return_summary=True)
    report = compliance_report(checked)

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in (("checked", checked), ("clean", clean)):
        for ext in (".parquet", ".csv"):
            path = out / f"{name}{ext}"
            write_frame(frame, path)
            written.append(path)
    for chart in CHARTS:
        fig = Figure(figsize=(7, 4), layout="constrained")
        getattr(_plots, chart)(checked, ax=fig.subplots())
        path = out / f"{chart.removeprefix('plot_')}.png"
        fig.savefig(path, dpi=110)
        written.append(path)
    report_path = out / "report.txt"
    report_path.write_text(str(report) + "\n", encoding="utf-8")
    written.append(report_path)

    say(
        summary_paragraph(checked, id_column="id", kind="tweets", where=where, prefix="compliance_")
    )
    say()
    say(apply_summary_text(summary))
    say()
    say(str(report))
    say()
    say(f"Wrote {len(written)} files to {out.resolve()}:")
    for path in written:
        say(f"  {path.name}")
    return 0


def _earlier_results(columns: list[str], *id_columns: str | None) -> list[str]:
    """The columns a check adds (with authors or without) that ``columns`` holds already.

    >>> _earlier_results(["id", "compliant", "compliance_status", "text"], "id")
    ['compliant', 'compliance_status']
    """
    from ..frames.columns import ColumnNames

    names = ColumnNames.for_prefix()
    added = [*names.added(with_user=True), names.source]
    return [c for c in columns if c in added and c not in id_columns]


def cmd_check(args: argparse.Namespace) -> int:
    """``compliance-nb check``: the IDs in ``FILE``, written with the added columns to ``OUT``.

    Parameters
    ----------
    args : argparse.Namespace
        ``file``, ``output``, ``force``, ``format``, ``no_header``, ``id_column``,
        ``kind``, ``user_id_column``, ``name``, ``errors``, ``no_wait``, ``quiet``,
        ``sandbox``, ``delay``, ``api_url`` and ``on_conflict``.

    Returns
    -------
    int
        The exit status (0).
    """
    import warnings

    from .._exceptions import JobCancelledError
    from ..frames.check import check_compliance
    from .detach import Detach

    dest = Path(args.output)
    if args.user_id_column and args.kind != "tweets":
        raise InputError("--user-id-column goes with --kind tweets (the Tweets' author IDs).")
    if args.no_wait and args.sandbox:
        raise InputError(
            "--no-wait needs an API that outlives the command: the built-in sandbox "
            "(--sandbox) stops when it ends. Start one with `compliance-nb sandbox` and "
            "use --api-url instead."
        )
    check_destination(dest, [args.file], force=args.force, flag="-o")
    table = read_input(
        args.file,
        id_column=args.id_column,
        user_id_column=args.user_id_column,
        fmt=args.format,
        no_header=args.no_header,
    )
    df, id_column, user_id_column = table.frame, table.id_column, table.user_id_column
    earlier = _earlier_results(df.columns, id_column, user_id_column)
    if earlier:  # a table checked before, checked again: its old results make way
        df = df.drop(earlier)
        table.notes.append(
            f"{table.name} holds the results of an earlier check ({', '.join(earlier)}): "
            "they are replaced by this check's."
        )
    line_offset = {"csv": 1 + table.header, "tsv": 1 + table.header, "jsonl": 1}.get(table.fmt)
    columns = {args.kind: (id_column, "Tweet ID" if args.kind == "tweets" else "user ID")}
    if user_id_column:
        columns["users"] = (user_id_column, "user ID")
    kinds: set[str] = set()
    for kind, (column, what) in columns.items():
        found = check_id_column(
            df, column, what=what, source=table.name, errors=args.errors, line_offset=line_offset
        )
        if found.n_invalid:
            one = found.n_invalid == 1
            error_line(
                PROG,
                f"{plural(found.n_invalid, 'row')} of column {column!r} "
                + (f"holds a value that is not a {what}; it gets" if one else
                   f"hold values that are not {what}s; they get")
                + " empty results (--errors coerce).",
                label="warning",
            )  # fmt: skip
        if found.n_ids:
            kinds.add(kind)
    check_writable(df, dest)
    for text in table.notes:  # once the input is known to be usable (an error comes alone)
        info(text)

    session = Session(args, delay=args.delay)
    progress = progress_lines()
    detach = Detach(progress, kinds) if args.no_wait else None
    try:
        info(f"Checking {plural(df.height, 'row')} of {table.name} against {session.where} ...")
        with warnings.catch_warnings():
            # --errors coerce: counted above in the command's own words
            warnings.filterwarnings("ignore", message=".*errors='coerce'", category=UserWarning)
            checked = check_compliance(
                df,
                id_column=id_column,
                kind=args.kind,
                user_id_column=user_id_column,
                client=session.client,
                name=args.name,
                errors=args.errors,
                on_conflict=args.on_conflict,
                progress=detach if detach is not None else (progress or False),
                cancel=detach.cancel if detach is not None else None,
            )
    except JobCancelledError:
        if detach is None or not detach.fired:
            raise
        detach.report(session.where, dest)
        return 0
    except KeyboardInterrupt:
        if not args.sandbox:
            info(
                "A job created for these IDs goes on at the API: run the same command again "
                "to reattach to it (no new job)."
            )
        raise
    finally:
        session.close()
    write_frame(checked, dest)
    say(
        summary_paragraph(
            checked,
            id_column=id_column,
            kind=args.kind,
            where=session.where,
            prefix="compliance_",
        )
        + f" Wrote {dest}."
    )
    return 0
