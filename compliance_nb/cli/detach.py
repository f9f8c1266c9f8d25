"""``check --no-wait``: stop once every job is processing, and say how to come back.

The jobs are created, recorded in the ledger and uploaded by ``check_compliance`` as
always; :class:`Detach` watches its progress events and, once the API says every job is
processing (or a kind's results came from the cache or are downloaded already), cancels
the wait. The jobs go on at
the API. The same command run again finds them in the ledger (the same IDs, kind and API
URL) and reattaches: no new job is created. A job that is complete at its first poll is
downloaded there and then, and the command finishes as without ``--no-wait``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._events import CancelToken, ProgressEvent
from ..display.reporter import Reporter
from .output import info, say

__all__ = ["Detach"]


class Detach(Reporter):
    """A progress reporter that cancels the run once every job is processing.

    Parameters
    ----------
    inner : Reporter or None
        The display the events go on to (None: ``--quiet``).
    kinds : iterable of str
        The kinds that have IDs to check (``tweets``, ``users``).

    Attributes
    ----------
    cancel : CancelToken
        Give it to ``check_compliance(cancel=...)``.
    fired : bool
        Whether it cancelled the run.
    jobs : dict
        ``{kind: job ID}`` of the jobs left processing.
    """

    def __init__(self, inner: Reporter | None, kinds: Iterable[str]) -> None:
        self.inner = inner
        self.kinds = set(kinds)
        self.cancel = CancelToken()
        self.fired = False
        self.jobs: dict[str, str] = {}
        self._done: set[str] = set()

    def __call__(self, event: ProgressEvent) -> None:
        if self.inner is not None and not (self.fired and event.stage == "cancelled"):
            self.inner(event)  # (the stop it asked for is said by report())
        kind = event.kind
        if kind is None or self.fired:
            return
        if event.stage in ("cached", "downloaded"):  # this kind needs no more waiting
            self._done.add(kind)
        elif (
            event.stage == "processing"
            and event.job is not None
            and event.job_id
            and event.job.status != "complete"
        ):
            self.jobs[kind] = event.job_id
        if self.jobs and self.kinds <= set(self.jobs) | self._done:
            self.fired = True
            self.cancel.cancel()

    def close(self, error: BaseException | None = None) -> None:
        if self.inner is not None:
            self.inner.close(None if self.fired else error)

    def report(self, where: str, dest: Path) -> None:
        """Print the job IDs on stdout (one a line) and how to come back on stderr.

        Parameters
        ----------
        where : str
            The API, as the summary names it.
        dest : Path
            The output the finished run will write.
        """
        for job_id in self.jobs.values():
            say(job_id)
        listed = ", ".join(f"{job_id} ({kind})" for kind, job_id in self.jobs.items())
        plural = "s" if len(self.jobs) > 1 else ""
        first = next(iter(self.jobs.values()))
        info(
            f"Job{plural} {listed} processing at {where}. Run the same command again (without "
            f"--no-wait) to wait for the results and write {dest}: it reattaches to the "
            f"job{plural}, no new job is created. `compliance-nb jobs wait {first}` waits "
            "without writing anything."
        )
