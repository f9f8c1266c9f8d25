"""Raw API collections in, a compliant copy out: :func:`apply_compliance_jsonl`.

Most research collections are the JSON lines that collection tools write. Two layouts
are read, detected line by line (a file may mix them):

* **pages**: one API response per line,
  ``{"data": [...], "includes": {"tweets": [...], "users": [...], "media": [...],
  "places": [...], "polls": [...]}, "meta": {...}}``;
* **tweets**: one Tweet object per line, expansions inlined by a flattening tool
  (``author``, ``in_reply_to_user``, ``referenced_tweets[]`` with the referenced Tweet
  merged in, ``geo`` merged with its place, user fields merged into
  ``entities.mentions[]``, ``pinned_tweet`` in users).

``data`` may also hold user objects (a collection of followers, say): an object with a
``username`` and no ``text`` is treated as a user. Files may be gzip-compressed (detected
by their first bytes, whatever the name). API v1.1 Tweets (``id_str``, ``user``) are
refused as malformed rather than half-handled: their users and retweets sit in fields
this module does not read.

How it runs
-----------
1. **Pass 1** reads the file once and collects, uniquely, every Tweet ID (``id`` of every
   Tweet object wherever it sits, and every ``referenced_tweets[].id``) and every user ID
   (``author_id`` of every Tweet, ``id`` of every user object: ``includes.users``,
   inlined ``author``, ``in_reply_to_user``, mentions with user fields merged in,
   ``data`` users). Bare ID references that carry no content and decide nothing
   (``in_reply_to_user_id``, ``pinned_tweet_id``, plain ``entities.mentions[].id``) are
   not checked: the object they point to is checked where the file holds it.
   A malformed line stops here, before anything is sent or written.
2. The Tweets job and the users job run at the same time (the pipeline engine: ledger,
   reattach, cache).
3. **Pass 2** writes the compliant copy, line by line, with :func:`compliant_line`.

The rules of the copy (what is removed, scrubbed, cut back to an ID or dropped) are in
:mod:`compliance_nb.jsonl.rules`. Where the code lives:

=======================  ================================================================
``_jsonl.py``            :func:`apply_compliance_jsonl`: the two passes and the jobs
``_jsonl_read.py``       opening (gzip or not), numbered lines, progress over the file
``_jsonl_scan.py``       pass 1: :func:`scan_ids`
``_jsonl_rules.py``      the layouts, :class:`Verdicts`, :func:`compliant_line` (pure)
``_jsonl_write.py``      pass 2: :func:`write_compliant_copy`
``_jsonl_summary.py``    :class:`JsonlSummary`
=======================  ================================================================

The rules of the copy, with an example, are in ``_jsonl_rules.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from .._exceptions import InputError, warn_simulated
from .read import check_paths
from .rules import SCRUB_REASONS, Verdicts, compliant_line
from .scan import MAX_SKIPPED_SHOWN, IdScan, scan_ids
from .summary import JsonlSummary
from .write import write_compliant_copy

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = [
    "SCRUB_REASONS",
    "IdScan",
    "JsonlSummary",
    "Verdicts",
    "apply_compliance_jsonl",
    "compliant_line",
    "scan_ids",
    "write_compliant_copy",
]


def apply_compliance_jsonl(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    client: ComplianceClient | None = None,
    progress: Any = "auto",
    errors: Literal["raise", "skip"] = "raise",
    cache: bool = True,
    on_conflict: str = "wait",
    **engine_kwargs: Any,
) -> JsonlSummary:
    """Write a compliant copy of a raw API collection (JSON lines, gzip or not).

    Reads ``source`` twice (it is never modified): pass 1 collects the Tweet and user
    IDs, then the Tweets job and the users job run at the same time, then pass 2 writes
    ``destination`` (gzip-compressed when its name ends with ``.gz``), atomically. The
    rules of the copy are in :mod:`compliance_nb.jsonl.rules`. Memory grows with the number of
    distinct IDs and of results, not with the size of the file.

    Parameters
    ----------
    source, destination : paths; they must differ. An existing destination is replaced.
    client : a :class:`~compliance_nb.ComplianceClient`; default one from the
        environment's bearer token (``sb.client()`` for the sandbox).
    progress : ``"auto"``, ``False`` or a callable receiving progress events: the
        ``reading`` events of pass 1, the jobs' events, then the ``writing`` events of
        pass 2 (one display shows all three).
    errors : ``"raise"`` (default): a malformed line raises
        :class:`~compliance_nb.InputError` naming its line number, before anything is
        sent or written. ``"skip"``: malformed lines are counted, listed in the summary
        and left out of the copy.
    cache : reuse stored results of the same IDs (younger than 7 days).
    on_conflict : ``"wait"`` (default): when X runs another job of a kind, wait for it to
        end, then run (the other job is never cancelled); ``"raise"``:
        :class:`~compliance_nb.ConflictError` at once.
    **engine_kwargs : passed to the pipeline engine (``name``, ``max_age``,
        ``max_ids_per_job``, ``ledger``, ``cancel``...). A ``cancel`` token stops the jobs
        and both passes (:class:`~compliance_nb.JobCancelledError`; no copy is left).

    Returns
    -------
    JsonlSummary
        ``print(summary)`` shows what was read, removed, scrubbed and dropped.

    Warns
    -----
    SimulatedResultsWarning
        The results came from the compliance_nb sandbox (simulated): the copy says
        nothing about the real content.

    Examples
    --------
    >>> from compliance_nb import Sandbox
    >>> from compliance_nb.datasets import sample_collection
    >>> with Sandbox() as sb:  # doctest: +SKIP
    ...     sample_collection("raw.jsonl", n_lines=50)
    ...     summary = apply_compliance_jsonl("raw.jsonl", "clean.jsonl", client=sb.client())
    >>> print(summary)  # doctest: +SKIP
    """
    src, dest = check_paths(source, destination)
    if errors not in ("raise", "skip"):
        raise InputError(f"errors must be 'raise' or 'skip', got {errors!r}.")
    from ..jobs.turns import check_on_conflict

    check_on_conflict(on_conflict)
    if client is None:
        from ..api.client import ComplianceClient

        client = ComplianceClient()  # raises MissingTokenError without a token

    from ..display.progress import resolve_progress
    from ..jobs.engine import run_kinds

    # one display for the whole run: reading, the jobs, writing
    reporter = resolve_progress(progress)
    error: BaseException | None = None
    try:
        cancel = engine_kwargs.get("cancel")  # the passes stop for it too, not only the jobs
        scan = scan_ids(src, errors=errors, progress=reporter, cancel=cancel)
        results = run_kinds(
            {"tweets": scan.tweet_ids, "users": scan.user_ids},
            client=client,
            progress=reporter,
            cache=cache,
            on_conflict=on_conflict,
            **engine_kwargs,
        )
        verdicts = Verdicts.from_results(results["tweets"].results, results["users"].results)
        jobs = [job for r in results.values() for job in r.jobs]
        simulated = bool(jobs) and (
            bool(getattr(client, "is_sandbox", False)) or any(job.simulated for job in jobs)
        )
        summary = write_compliant_copy(
            src,
            dest,
            verdicts,
            skip_lines=frozenset(scan.skipped),
            progress=reporter,
            cancel=cancel,
        )
    except BaseException as exc:
        error = exc
        raise
    finally:
        if reporter is not None:
            reporter.close(error)

    summary.lines_read = scan.lines_read
    summary.lines_skipped = len(scan.skipped)
    summary.skipped = dict(list(scan.skipped.items())[:MAX_SKIPPED_SHOWN])
    summary.layouts = dict(scan.layouts)
    summary.tweets_read = len(scan.tweet_ids)
    summary.users_read = len(scan.user_ids)
    summary.tweets_flagged = results["tweets"].results.height
    summary.users_flagged = results["users"].results.height
    summary.jobs = {kind: [job.id for job in r.jobs] for kind, r in results.items()}
    summary.from_cache = [kind for kind, r in results.items() if r.from_cache and r.jobs]
    if simulated:  # the sandbox marks its jobs, however the client reached it
        warn_simulated("Tweets and users")
    return summary
