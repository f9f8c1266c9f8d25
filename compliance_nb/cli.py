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
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ._exceptions import ComplianceError, InputError
from ._redact import mask_text, mask_url
from .rules.limits import is_job_id

if TYPE_CHECKING:
    from .api.client import ComplianceClient
    from .api.job import Job

__all__ = ["main"]

PROG = "compliance-nb"
FRAME_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_KIND_NOUN = {"tweets": "Tweet IDs", "users": "user IDs"}
CHARTS = ("plot_reasons", "plot_redaction_dates", "plot_availability", "plot_redaction_lag")


# --------------------------------------------------------------------------------------
# output that never shows a secret
# --------------------------------------------------------------------------------------
def _secrets() -> list[str]:
    from .api.session import token_from_env

    token, _ = token_from_env()
    return [token] if token else []


def _clean(text: str) -> str:
    """``text`` with the bearer token removed and signed-URL signatures masked."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return mask_text(text)


def _say(text: str = "") -> None:
    print(_clean(text))


def _note(text: str) -> None:
    print(_clean(text), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (and a pointer to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


# --------------------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------------------
def _api_url(args: argparse.Namespace) -> str | None:
    url = getattr(args, "api_url", None) or os.environ.get("COMPLIANCE_NB_API_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--api-url must start with http:// or https://, got {url!r}.")
    return url.rstrip("/")


def _real_client(args: argparse.Namespace) -> ComplianceClient:
    """A client for the API at --api-url / COMPLIANCE_NB_API_URL with the env token."""
    from ._exceptions import MissingTokenError
    from .api.client import ComplianceClient
    from .api.session import token_from_env

    token, _ = token_from_env()
    if token is None:
        raise MissingTokenError(
            "No bearer token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN, BEARER_TOKEN)"
            + (", or add --sandbox to use the built-in sandbox." if _has_sandbox(args) else ".")
        )
    return ComplianceClient(bearer_token=token, base_url=_api_url(args))


def _has_sandbox(args: argparse.Namespace) -> bool:
    return hasattr(args, "sandbox")


def _sandbox_client(sb: Any) -> ComplianceClient:
    """The sandbox's client, marked so that the report says the results are SIMULATED."""
    client = sb.client()
    client.is_sandbox = True
    return client


class _Session:
    """The client a command uses, and the sandbox behind it when there is one."""

    def __init__(self, args: argparse.Namespace, *, delay: float = 0.5) -> None:
        self._sandbox: Any = None
        if getattr(args, "sandbox", False):
            from .sandbox import Sandbox

            self._sandbox = Sandbox(processing_delay=delay).start()
            self.client = _sandbox_client(self._sandbox)
            self.where = (
                f"the built-in sandbox at {self._sandbox.url} (SIMULATED results, not real X data)"
            )
        else:
            self.client = _real_client(args)
            self.where = f"the X API at {self.client.base_url}"

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


# --------------------------------------------------------------------------------------
# frames in and out
# --------------------------------------------------------------------------------------
def _frame_format(path: Path, what: str) -> str:
    fmt = FRAME_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"Cannot tell the format of the {what} file {str(path)!r} from its extension: "
            "use .csv, .parquet, .jsonl or .ndjson."
        )
    return fmt


def _read_frame(path: Path, id_columns: Sequence[str]) -> Any:
    """Read a CSV, Parquet or JSON-lines file with polars; ID columns always as strings."""
    import polars as pl

    fmt = _frame_format(path, "input")
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


def _write_frame(df: Any, path: Path) -> None:
    fmt = _frame_format(path, "output")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "jsonl":
        df.write_ndjson(path)
    else:
        df.write_parquet(path)


def _check_writable(df: Any, dest: Path) -> None:
    """Refuse, before any job, a frame the output format cannot hold (nested columns in CSV)."""
    if _frame_format(dest, "output") != "csv":
        return
    nested = [name for name, dtype in df.schema.items() if dtype.is_nested()]
    if nested:
        raise InputError(
            f"CSV cannot hold the nested column(s) {', '.join(map(repr, nested))}: write to "
            ".parquet or .jsonl instead."
        )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _summary_paragraph(df: Any, *, id_column: str, kind: str, where: str, prefix: str) -> str:
    """One paragraph saying what was checked and what came back."""
    import polars as pl

    from .jobs.runinfo import recall

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
        f"Checked {_plural(n_rows, 'row')} ({n_ids:,} distinct {_KIND_NOUN[kind]}) against "
        f"{where}{jobs}: {_plural(n_ok, 'row')} need no action, {n_action:,} need action"
    )
    text += f" ({', '.join(parts)})" if parts else ""
    if n_unchecked:
        text += f", and {n_unchecked:,} could not be checked (a missing or invalid ID)"
    return text + "."


def _apply_summary_text(summary: Any) -> str:
    """``apply_compliance``'s summary (a dict) as a sentence."""
    if not isinstance(summary, dict):
        return str(summary)
    removed = summary.get("removed") or {}
    why = ", ".join(f"{k} {v:,}" for k, v in removed.items())
    text = (
        f"The clean dataset keeps {summary.get('rows_out', 0):,} of "
        f"{summary.get('rows_in', 0):,} rows: {_plural(summary.get('rows_removed', 0), 'row')} "
        f"removed" + (f" ({why})" if why else "")
    )
    geo = summary.get("rows_geo_scrubbed", 0)
    if geo:
        cols = ", ".join(summary.get("geo_columns") or [])
        text += f", and the geo columns ({cols}) blanked in {_plural(geo, 'row')}"
    return text + "."


# --------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    from matplotlib.figure import Figure

    from .api.session import token_from_env
    from .datasets import sample_tweets
    from .display import plots as _plots
    from .display.report import compliance_report
    from .frames.apply import apply_compliance
    from .frames.check import check_compliance
    from .sandbox import Sandbox

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
        _note(
            f"Using the built-in sandbox at {sb.url}: results are SIMULATED, not real X data."
            + (
                f" The demo always uses the sandbox; {var} is set but not used here "
                "(`compliance-nb check` uses it)."
                if var
                else ""
            )
        )
        _note(f"Checking {_plural(df.height, 'sample Tweet')} ...")
        checked = check_compliance(
            df, id_column="id", kind="tweets", client=_sandbox_client(sb), progress="auto"
        )
        where = f"the built-in sandbox at {sb.url} (SIMULATED)"

    clean, summary = apply_compliance(checked, return_summary=True)
    report = compliance_report(checked)

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in (("checked", checked), ("clean", clean)):
        for ext in (".parquet", ".csv"):
            path = out / f"{name}{ext}"
            _write_frame(frame, path)
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

    _say(
        _summary_paragraph(
            checked, id_column="id", kind="tweets", where=where, prefix="compliance_"
        )
    )
    _say()
    _say(_apply_summary_text(summary))
    _say()
    _say(str(report))
    _say()
    _say(f"Wrote {len(written)} files to {out.resolve()}:")
    for path in written:
        _say(f"  {path.name}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .frames.check import check_compliance

    source, dest = Path(args.file), Path(args.output)
    _frame_format(dest, "output")  # refuse a bad output name before any work
    if args.kind not in ("tweets", "users"):
        raise InputError(f"--kind must be tweets or users, got {args.kind!r}.")
    if args.user_id_column and args.kind != "tweets":
        raise InputError("--user-id-column goes with --kind tweets (the Tweets' author IDs).")
    id_columns = [args.id_column] + ([args.user_id_column] if args.user_id_column else [])
    df = _read_frame(source, id_columns)
    _check_writable(df, dest)

    session = _Session(args, delay=args.delay)
    try:
        _note(f"Checking {_plural(df.height, 'row')} of {source} against {session.where} ...")
        checked = check_compliance(
            df,
            id_column=args.id_column,
            kind=args.kind,
            user_id_column=args.user_id_column,
            client=session.client,
            progress="auto",
        )
    finally:
        session.close()
    _write_frame(checked, dest)
    _say(
        _summary_paragraph(
            checked,
            id_column=args.id_column,
            kind=args.kind,
            where=session.where,
            prefix="compliance_",
        )
        + f" Wrote {dest}."
    )
    return 0


def _cmd_apply_jsonl(args: argparse.Namespace) -> int:
    from .jsonl.apply import apply_compliance_jsonl

    source, dest = Path(args.source), Path(args.destination)
    if not source.is_file():
        raise InputError(f"No such input file: {str(source)!r}.")
    if source.resolve() == dest.resolve():
        raise InputError("SOURCE and DESTINATION must be different files.")
    session = _Session(args, delay=args.delay)
    try:
        _note(f"Checking the objects in {source} against {session.where} ...")
        summary = apply_compliance_jsonl(source, dest, client=session.client, progress="auto")
    finally:
        session.close()
    _say(_apply_summary_text(summary))
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import serve_cli

    argv: list[str] = []
    for flag, value in (
        ("--port", args.port),
        ("--host", args.host),
        ("--public-url", args.public_url),
        ("--delay", args.delay),
        ("--seed", args.seed),
        ("--token", args.token),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return int(serve_cli(argv) or 0)


# -- jobs ------------------------------------------------------------------------------
def _job_dict(job: Job) -> dict[str, Any]:
    """The job as the API sent it, with the signed URLs masked."""
    data: dict[str, Any] = (
        dict(job.raw) if job.raw else {"id": job.id, "type": job.type, "status": job.status}
    )
    for key in ("upload_url", "download_url"):
        if data.get(key):
            data[key] = mask_url(str(data[key]))
    return data


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "-"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(lines)


def _job_details(job: Job) -> str:
    rows = [
        ("id", job.id),
        ("type", job.type),
        ("status", job.status),
        ("name", job.name),
        ("error", job.error),
        ("created", _when(job.created_at)),
        ("upload until", _when(job.upload_expires_at)),
        ("results until", _when(job.download_expires_at)),
        ("resumable", "yes" if job.resumable else "no"),
        ("upload url", mask_url(job.upload_url)),
        ("download url", mask_url(job.download_url)),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows if v not in (None, ""))


def _print_json(data: Any) -> None:
    _say(json.dumps(data, indent=2, default=str))


def _cmd_jobs_list(args: argparse.Namespace) -> int:
    client = _real_client(args)
    jobs = client.list_jobs(args.kind, status=args.status)
    if args.json:
        _print_json([_job_dict(j) for j in jobs])
        return 0
    if not jobs:
        which = f"{args.status} " if args.status else ""
        _say(f"No {which}{args.kind} jobs at {client.base_url}.")
        return 0
    rows = [
        [j.id, j.type, j.status, _when(j.created_at), _when(j.download_expires_at), j.name or ""]
        for j in jobs
    ]
    _say(_table(rows, ["id", "type", "status", "created", "results until", "name"]))
    return 0


def _cmd_jobs_get(args: argparse.Namespace) -> int:
    job = _real_client(args).get_job(args.job_id)
    _print_json(_job_dict(job)) if args.json else _say(_job_details(job))
    return 0


def _cmd_jobs_cancel(args: argparse.Namespace) -> int:
    job = _real_client(args).cancel_job(args.job_id)
    if args.json:
        _print_json(_job_dict(job))
    else:
        _say(f"Cancelled job {job.id}; its status is now {job.status}.")
    return 0


def _cmd_jobs_download(args: argparse.Namespace) -> int:
    client = _real_client(args)
    job = client.get_job(args.job_id)
    if job.status != "complete":
        raise InputError(
            f"Job {job.id} is {job.status}, not complete: there are no results to download"
            + (" yet." if not job.is_terminal else ".")
        )
    dest = Path(args.output or f"compliance_results_{job.id}.jsonl")
    dest.parent.mkdir(parents=True, exist_ok=True)
    client.download(job, dest)
    with open(dest, "rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    _say(f"Downloaded the results of job {job.id} ({_plural(lines, 'line')}) to {dest}.")
    return 0


def _job_id(text: str) -> str:
    text = text.strip()
    if not is_job_id(text):
        raise argparse.ArgumentTypeError(f"a job ID is 1 to 19 digits, got {text!r}")
    return text


# --------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------
def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``compliance-nb`` (exposed for documentation and tests)."""
    parser = _Parser(
        prog=PROG,
        description="Keep Twitter/X datasets compliant: X's batch compliance API from a shell.",
        epilog="Without a bearer token, try `compliance-nb demo` (the built-in sandbox).",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")

    # options shared by subcommands (SUPPRESS keeps a value given before the subcommand)
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show full tracebacks on errors",
    )
    api = _Parser(add_help=False)
    api.add_argument(
        "--api-url",
        metavar="URL",
        help="API base URL (default: $COMPLIANCE_NB_API_URL, else https://api.x.com); "
        "the token comes from $X_BEARER_TOKEN, $TWITTER_BEARER_TOKEN or $BEARER_TOKEN",
    )
    sandbox_opt = _Parser(add_help=False)
    sandbox_opt.add_argument(
        "--sandbox",
        action="store_true",
        help="use the built-in sandbox (SIMULATED results) instead of the real API",
    )
    sandbox_opt.add_argument(
        "--delay",
        type=float,
        default=0.5,
        metavar="S",
        help="with --sandbox: seconds each job spends processing (default 0.5)",
    )

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="check a sample dataset against the built-in sandbox and write the results",
        description="Check a sample dataset of Tweets against the built-in sandbox (always "
        "the sandbox, even when a token is set), print the summary and the report, and "
        "write the results (Parquet, CSV), the clean dataset and the charts (PNG).",
    )
    p.add_argument("--out", default="compliance_nb_demo", metavar="DIR", help="output folder")
    p.add_argument("--n", type=int, default=None, help="number of sample Tweets")
    p.add_argument("--seed", type=int, default=None, help="seed of the sample dataset")
    p.add_argument("--delay", type=float, default=1.0, metavar="S", help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "check",
        parents=[common, api, sandbox_opt],
        help="check the IDs in a CSV, Parquet or JSON-lines file",
        description="Check the IDs in FILE and write FILE with the compliance columns added "
        "to OUT. Formats follow the extensions: .csv, .parquet, .jsonl/.ndjson. ID columns "
        "are always read as strings.",
    )
    p.add_argument("file", metavar="FILE", help="the input file (.csv, .parquet, .jsonl)")
    p.add_argument("--id-column", required=True, metavar="COL", help="the column of IDs")
    p.add_argument(
        "--kind",
        default="tweets",
        choices=("tweets", "users"),
        help="what the IDs are (default: tweets)",
    )
    p.add_argument(
        "--user-id-column",
        metavar="COL",
        help="with --kind tweets: also check the authors in this column",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file")
    p.set_defaults(func=_cmd_check)

    jobs = sub.add_parser(
        "jobs",
        parents=[common],
        help="list, inspect, cancel and download compliance jobs",
        description="The job endpoints of the API at --api-url (default https://api.x.com).",
    )
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", parser_class=_Parser)
    jsub.required = True
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON (URLs masked)")

    p = jsub.add_parser("list", parents=[common, api, as_json], help="list recent jobs")
    p.add_argument("--kind", required=True, choices=("tweets", "users"))
    p.add_argument("--status", choices=("created", "in_progress", "complete", "failed"))
    p.set_defaults(func=_cmd_jobs_list)
    p = jsub.add_parser("get", parents=[common, api, as_json], help="show one job")
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.set_defaults(func=_cmd_jobs_get)
    p = jsub.add_parser("cancel", parents=[common, api, as_json], help="cancel a running job")
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.set_defaults(func=_cmd_jobs_cancel)
    p = jsub.add_parser("download", parents=[common, api], help="download a job's results")
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.add_argument("-o", "--output", metavar="FILE", help="where to save the JSON lines")
    p.set_defaults(func=_cmd_jobs_download)

    p = sub.add_parser(
        "sandbox",
        parents=[common],
        help="run the sandbox API server in the foreground",
        description="Serve the built-in sandbox (a local stand-in for X's API with "
        "SIMULATED results) until Ctrl-C. It prints its API URL and its own bearer token.",
    )
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--public-url", metavar="URL", help="base URL clients see (behind a proxy)")
    p.add_argument("--delay", type=float, metavar="S", help="seconds a job spends processing")
    p.add_argument("--seed", type=int, help="seed of the simulated verdicts")
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="the bearer token the sandbox accepts (default: a random one, printed at start)",
    )
    p.set_defaults(func=_cmd_sandbox)

    p = sub.add_parser(
        "apply-jsonl",
        parents=[common, api, sandbox_opt],
        help="write a compliant copy of a raw JSON-lines collection",
        description="Read a collection of raw API objects (one JSON object per line), check "
        "every Tweet and author in it, and write the compliant copy to DESTINATION.",
    )
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("destination", metavar="DESTINATION")
    p.set_defaults(func=_cmd_apply_jsonl)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``compliance-nb`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> main(["--help"])  # doctest: +SKIP
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
        _note(f"{PROG}: interrupted")
        return 130
    except Exception as exc:
        if debug:
            raise
        _note(f"{PROG}: error: {_one_line(exc)}")
        return 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (ComplianceError, OSError)):
        text = f"{type(exc).__name__}: {text} (run with --debug for the traceback)"
    return text


if __name__ == "__main__":
    raise SystemExit(main())
