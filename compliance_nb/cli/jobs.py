"""``compliance-nb jobs list|get|wait|cancel|download``: the API's job routes, URLs masked."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InputError
from .._redact import mask_url
from .files import refuse_overwrite
from .output import plural, print_json, progress_lines, say
from .session import real_client

if TYPE_CHECKING:
    from ..api.job import Job

__all__ = ["cmd_jobs_cancel", "cmd_jobs_download", "cmd_jobs_get", "cmd_jobs_list", "cmd_jobs_wait"]


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
    """Columns padded to their widest cell, a rule of dashes under the header.

    >>> print(_table([["1", "tweets"]], ["id", "type"]))
    id  type
    --  ------
    1   tweets
    """
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


def cmd_jobs_list(args: argparse.Namespace) -> int:
    """``jobs list``: recent jobs of both kinds (or ``--kind``), newest first; a table or JSON.

    Parameters
    ----------
    args : argparse.Namespace
        ``kind`` (None: both), ``status``, ``json`` and ``api_url``.

    Returns
    -------
    int
        The exit status (0).
    """
    from datetime import datetime, timezone

    client = real_client(args)
    kinds = [args.kind] if args.kind else ["tweets", "users"]
    jobs = [job for kind in kinds for job in client.list_jobs(kind, status=args.status)]
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    jobs.sort(key=lambda j: j.created_at or oldest, reverse=True)
    if args.json:
        print_json([_job_dict(j) for j in jobs])
        return 0
    if not jobs:
        which = f"{args.status} " if args.status else ""
        what = f"{args.kind} jobs" if args.kind else "jobs (tweets or users)"
        say(f"No {which}{what} at {client.base_url}.")
        return 0
    rows = [
        [j.id, j.type, j.status, _when(j.created_at), _when(j.download_expires_at), j.name or ""]
        for j in jobs
    ]
    say(_table(rows, ["id", "type", "status", "created", "results until", "name"]))
    return 0


def cmd_jobs_wait(args: argparse.Namespace) -> int:
    """``jobs wait ID``: wait until the job is complete (or failed, or expired); print it.

    Parameters
    ----------
    args : argparse.Namespace
        ``job_id``, ``json``, ``quiet`` and ``api_url``.

    Returns
    -------
    int
        0 when the job is complete, 1 when it failed or expired (its status is printed
        either way).
    """
    from .._exceptions import JobExpiredError, JobFailedError

    client = real_client(args)
    job = client.get_job(args.job_id)
    progress = progress_lines()
    status = 0
    if not job.is_terminal:
        try:
            job = client.wait(job, on_update=progress)
        except (JobFailedError, JobExpiredError):
            job = client.get_job(args.job_id)
    if job.status != "complete":
        status = 1
    if args.json:
        print_json(_job_dict(job))
    else:
        extra = f" ({job.error})" if job.error else ""
        say(f"Job {job.id} ({job.type}) is {job.status}{extra}.")
    return status


def cmd_jobs_get(args: argparse.Namespace) -> int:
    """``jobs get ID``: one job, field by field or as JSON.

    Parameters
    ----------
    args : argparse.Namespace
        ``job_id``, ``json`` and ``api_url``.

    Returns
    -------
    int
        The exit status (0).
    """
    job = real_client(args).get_job(args.job_id)
    print_json(_job_dict(job)) if args.json else say(_job_details(job))
    return 0


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    """``jobs cancel ID``: cancel a job and say its new status.

    Parameters
    ----------
    args : argparse.Namespace
        ``job_id``, ``json`` and ``api_url``.

    Returns
    -------
    int
        The exit status (0).

    Raises
    ------
    JobNotCancellableError
        The job had already ended (complete, failed or expired): ``main`` prints the
        message and exits 1.
    """
    job = real_client(args).cancel_job(args.job_id)
    if args.json:
        print_json(_job_dict(job))
    else:
        say(f"Cancelled job {job.id}; its status is now {job.status}.")
    return 0


def cmd_jobs_download(args: argparse.Namespace) -> int:
    """``jobs download ID``: save a complete job's results (JSON lines).

    Parameters
    ----------
    args : argparse.Namespace
        ``job_id``, ``output`` (default ``compliance_results_<ID>.jsonl``), ``force``
        (replace an existing output) and ``api_url``.

    Returns
    -------
    int
        The exit status (0).

    Raises
    ------
    InputError
        When the job is not complete, or the output exists and ``force`` is not set.
    """
    dest = Path(args.output or f"compliance_results_{args.job_id}.jsonl")
    refuse_overwrite(dest, force=args.force, flag="-o")  # before any request
    client = real_client(args)
    job = client.get_job(args.job_id)
    if job.status != "complete":
        raise InputError(
            f"Job {job.id} is {job.status}, not complete: there are no results to download"
            + (" yet." if not job.is_terminal else ".")
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    client.download(job, dest)
    with open(dest, "rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    say(f"Downloaded the results of job {job.id} ({plural(lines, 'line')}) to {dest}.")
    return 0
