"""The command line's arguments: :func:`build_parser`, its argument types and usage errors."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..rules.limits import JOB_NAME_MAX, is_job_id
from .apply import cmd_apply
from .apply_jsonl import cmd_apply_jsonl
from .check import cmd_check, cmd_demo
from .helptext import EPILOGS
from .jobs import cmd_jobs_cancel, cmd_jobs_download, cmd_jobs_get, cmd_jobs_list, cmd_jobs_wait
from .output import PROG, error_line
from .sandbox import cmd_sandbox
from .sources import FORMAT_NAMES

__all__ = ["PROG", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (and a pointer to ``--help``), and the help's
    examples kept as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        error_line(PROG, f"{message} (see `{self.prog} --help`)")
        raise SystemExit(2)


def _job_name(text: str) -> str:
    """The argument type of ``--name``: text of at most 64 characters.

    >>> _job_name("my-collection")
    'my-collection'
    """
    if not text or len(text) > JOB_NAME_MAX:
        raise argparse.ArgumentTypeError(
            f"a job name is 1 to {JOB_NAME_MAX} characters, got {len(text)}"
        )
    return text


def _job_id(text: str) -> str:
    """The argument type of a job ID: 1 to 19 digits (surrounding blanks dropped).

    >>> _job_id(" 1425543269983784962 ")
    '1425543269983784962'
    """
    text = text.strip()
    if not is_job_id(text):
        raise argparse.ArgumentTypeError(f"a job ID is 1 to 19 digits, got {text!r}")
    return text


def _version() -> str:
    from .._version import __version__

    return __version__


def _on_conflict(p: argparse.ArgumentParser) -> None:
    """``--on-conflict wait|raise``: what a run does while X runs another job of its kind."""
    p.add_argument(
        "--on-conflict",
        default="wait",
        choices=("wait", "raise"),
        help="when another job of the same kind is running for this App: wait for it to "
        "end, then run (default), or stop with an error",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``compliance-nb`` (exposed for documentation and tests).

    Returns
    -------
    argparse.ArgumentParser
        The parser; each command's parsed arguments carry the function that runs it
        (``func``). A usage error prints one line on stderr and exits with status 2.

    Examples
    --------
    >>> args = build_parser().parse_args(["jobs", "get", "1425543269983784962"])
    >>> args.command, args.jobs_command, args.job_id
    ('jobs', 'get', '1425543269983784962')
    """
    parser = _Parser(
        prog=PROG,
        description="Keep Twitter/X datasets compliant: X's batch compliance API from a shell.",
        epilog=EPILOGS["main"],
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or notes on stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")

    # options shared by subcommands (SUPPRESS keeps a value given before the subcommand)
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show full tracebacks on errors",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress or notes on stderr (errors, warnings and results still print)",
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
        epilog=EPILOGS["demo"],
    )
    p.add_argument("--out", default="compliance_nb_demo", metavar="DIR", help="output folder")
    p.add_argument("--n", type=int, default=None, help="number of sample Tweets")
    p.add_argument("--seed", type=int, default=None, help="seed of the sample dataset")
    p.add_argument("--delay", type=float, default=1.0, metavar="S", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "check",
        parents=[common, api, sandbox_opt],
        help="check the IDs in a list or table; write the table with the results",
        description="Check the IDs in FILE (an ID list, CSV, TSV, Parquet or JSON lines, "
        "plain or gzip; - for standard input) and write its rows with the compliance "
        "columns added to OUT (.csv, .tsv, .parquet, .jsonl; .gz for gzip).",
        epilog=EPILOGS["check"],
    )
    p.add_argument("file", metavar="FILE", help="the input file, or - for standard input")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file")
    p.add_argument(
        "--id-column",
        metavar="COL",
        help="the column of IDs (default: `id`, else the only column; with --no-header, "
        "a number: 1 is the first column)",
    )
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
    p.add_argument(
        "--format",
        choices=FORMAT_NAMES,
        help="the input's format, whatever its name (default: by extension; standard "
        "input: by its content)",
    )
    p.add_argument(
        "--no-header", action="store_true", help="CSV/TSV: the first line is data, not names"
    )
    p.add_argument("--name", type=_job_name, metavar="NAME", help="a name for the job(s)")
    p.add_argument(
        "--errors",
        choices=("raise", "coerce"),
        default="raise",
        help="values that are not IDs: stop before anything is sent (raise, the default), "
        "or check the others and give those rows empty results (coerce)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="create and upload the job(s), print the job ID(s) and exit; the same command "
        "run again later reattaches and writes OUT",
    )
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    _on_conflict(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "apply",
        parents=[common],
        help="drop the removed rows and the scrubbed geo data of a checked table",
        description="Bring CHECKED (a table `compliance-nb check` wrote) into compliance "
        "and write it to CLEAN.",
        epilog=EPILOGS["apply"],
    )
    p.add_argument("checked", metavar="CHECKED", help="the checked table, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="CLEAN", help="output file")
    p.add_argument(
        "--geo-columns",
        action="append",
        metavar="COLS",
        help="the columns to empty for geo scrubs, comma-separated (default: geo, "
        "coordinates, place, place_id, lat, lon, ... and geo_*, place_* names)",
    )
    p.add_argument(
        "--drop-compliance-columns",
        action="store_true",
        default=None,
        help="leave the compliance columns out of CLEAN",
    )
    p.add_argument("--format", choices=FORMAT_NAMES[1:], help="CHECKED's format, whatever its name")
    p.add_argument("--force", action="store_true", help="replace CLEAN if it exists")
    p.set_defaults(func=cmd_apply)

    jobs = sub.add_parser(
        "jobs",
        parents=[common],
        help="list, inspect, cancel and download compliance jobs",
        description="The job endpoints of the API at --api-url (default https://api.x.com).",
        epilog=EPILOGS["jobs"],
    )
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", parser_class=_Parser)
    jsub.required = True
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON (URLs masked)")

    def job_command(name: str, help: str, *extra: _Parser) -> Any:
        return jsub.add_parser(
            name,
            parents=[common, api, *extra],
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=EPILOGS[f"jobs {name}"],
        )

    p = job_command("list", "list recent jobs, Tweets and users", as_json)
    p.add_argument("--kind", choices=("tweets", "users"), help="only this kind")
    p.add_argument("--status", choices=("created", "in_progress", "complete", "failed"))
    p.set_defaults(func=cmd_jobs_list)
    p = job_command("get", "show one job", as_json)
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.set_defaults(func=cmd_jobs_get)
    p = job_command("wait", "wait until a job is complete, failed or expired", as_json)
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.set_defaults(func=cmd_jobs_wait)
    p = job_command("cancel", "cancel a running job", as_json)
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.set_defaults(func=cmd_jobs_cancel)
    p = job_command("download", "download a job's results")
    p.add_argument("job_id", type=_job_id, metavar="ID")
    p.add_argument("-o", "--output", metavar="FILE", help="where to save the JSON lines")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=cmd_jobs_download)

    p = sub.add_parser(
        "sandbox",
        parents=[common],
        help="run the sandbox API server in the foreground",
        description="Serve the built-in sandbox (a local stand-in for X's API with "
        "SIMULATED results) until Ctrl-C. It prints its API URL and its own bearer token.",
        epilog=EPILOGS["sandbox"],
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
    p.add_argument(
        "--transfer-urls",
        choices=("storage", "api"),
        help="upload/download URLs jobs hand out: signed storage URLs (default) or the "
        "API host's own /2/compliance/jobs/{id}/upload and /download routes",
    )
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser(
        "apply-jsonl",
        parents=[common, api, sandbox_opt],
        help="write a compliant copy of a raw JSON-lines collection",
        description="Read a collection of raw API objects (one JSON object per line), check "
        "every Tweet and author in it, and write the compliant copy to DESTINATION.",
        epilog=EPILOGS["apply-jsonl"],
    )
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("destination", metavar="DESTINATION")
    _on_conflict(p)
    p.set_defaults(func=cmd_apply_jsonl)
    return parser
