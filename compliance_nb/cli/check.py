"""``compliance-nb check`` (the IDs in a file) and ``compliance-nb demo`` (sample data)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from .output import (
    apply_summary_text,
    check_writable,
    frame_format,
    note,
    plural,
    read_frame,
    say,
    summary_paragraph,
    write_frame,
)
from .session import Session, sandbox_client

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
    with Sandbox(processing_delay=args.delay) as sb:
        note(
            f"Using the built-in sandbox at {sb.url}: results are SIMULATED, not real X data."
            + (
                f" The demo always uses the sandbox; {var} is set but not used here "
                "(`compliance-nb check` uses it)."
                if var
                else ""
            )
        )
        note(f"Checking {plural(df.height, 'sample Tweet')} ...")
        checked = check_compliance(
            df, id_column="id", kind="tweets", client=sandbox_client(sb), progress="auto"
        )
        where = f"the built-in sandbox at {sb.url} (SIMULATED)"

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


def cmd_check(args: argparse.Namespace) -> int:
    """``compliance-nb check``: the IDs in ``FILE``, written with the added columns to ``OUT``.

    Parameters
    ----------
    args : argparse.Namespace
        ``file``, ``output``, ``id_column``, ``kind``, ``user_id_column``, ``sandbox``,
        ``delay``, ``api_url`` and ``on_conflict``.

    Returns
    -------
    int
        The exit status (0).
    """
    from ..frames.check import check_compliance

    source, dest = Path(args.file), Path(args.output)
    frame_format(dest, "output")  # refuse a bad output name before any work
    if args.kind not in ("tweets", "users"):
        raise InputError(f"--kind must be tweets or users, got {args.kind!r}.")
    if args.user_id_column and args.kind != "tweets":
        raise InputError("--user-id-column goes with --kind tweets (the Tweets' author IDs).")
    id_columns = [args.id_column] + ([args.user_id_column] if args.user_id_column else [])
    df = read_frame(source, id_columns)
    check_writable(df, dest)

    session = Session(args, delay=args.delay)
    try:
        note(f"Checking {plural(df.height, 'row')} of {source} against {session.where} ...")
        checked = check_compliance(
            df,
            id_column=args.id_column,
            kind=args.kind,
            user_id_column=args.user_id_column,
            client=session.client,
            progress="auto",
            on_conflict=args.on_conflict,
        )
    finally:
        session.close()
    write_frame(checked, dest)
    say(
        summary_paragraph(
            checked,
            id_column=args.id_column,
            kind=args.kind,
            where=session.where,
            prefix="compliance_",
        )
        + f" Wrote {dest}."
    )
    return 0
