"""The written report: the paragraph a researcher pastes into a paper's methods section.

``compliance_report(checked)`` reads the columns ``check_compliance`` added and the run's
provenance (:mod:`compliance_nb.jobs.runinfo`: the API or the sandbox, the jobs, when their
results were produced, whether they were reused) and states, per kind, how many distinct
IDs were checked, the share still available, counts and shares per reason, the time from
creation to redaction and what each label means (:mod:`compliance_nb.display.reasons`).
Simulated results are said to be SIMULATED in the first words.

Counts are of distinct IDs: an ID that appears on several rows is counted once, and rows
whose ID was null (never sent) are not counted. (``apply_compliance``'s summary counts rows.)

>>> import polars as pl
>>> df = pl.DataFrame({
...     "id": ["1", "2", "3", "4"],
...     "compliance_reason": [None, "deleted", None, "protected"],
...     "compliant": [True, False, True, False]})
>>> rep = compliance_report(df)
>>> rep.to_dict()["kinds"]["tweets"]["available"]
2
>>> "2 (50.0%) were still available" in rep.text
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from ..jobs.runinfo import JobProvenance, recall
from ..rules.outcomes import AVAILABLE
from .counting import days_text, lag_days, outcomes, quartiles
from .reasons import meaning

__all__ = ["ComplianceReport", "KindSummary", "compliance_report"]

_KIND_NOUN = {"tweets": "Tweet IDs", "users": "user IDs"}
_KIND_TITLE = {"tweets": "Tweets", "users": "Users"}


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KindSummary:
    """The numbers for one kind (Tweets or users), in distinct IDs."""

    kind: str
    checked: int
    available: int
    reasons: dict[str, int]
    lag_n: int = 0
    lag_quartiles_days: tuple[float, float, float] | None = None

    @property
    def needing_action(self) -> int:
        return self.checked - self.available

    def share(self, n: int) -> float:
        return n / self.checked if self.checked else 0.0


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _when(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def _by_count(reasons: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))


_SIMULATED_LINE = (
    "SIMULATED RESULTS: these come from the compliance_nb sandbox, not from X; they say "
    "nothing about real Tweets or users."
)


@dataclass(frozen=True)
class ComplianceReport:
    """What a compliance run found, as numbers (``to_dict``) and as prose (``text``).

    In a notebook it renders as a short HTML paragraph with a table. Counts are of
    distinct IDs, per kind. :func:`compliance_report` builds it from a checked frame.

    Parameters
    ----------
    kinds : dict of str to KindSummary
        The numbers for each kind checked (``"tweets"``, ``"users"``), in the order the
        report states them.
    checked_at : datetime, optional
        When the results were produced (UTC): the latest completion among ``jobs``;
        left out of the text when None.
    job_ids : dict of str to tuple of str, optional
        The job IDs to cite, per kind.
    sandbox : bool, default False
        The results came from the local sandbox: the text starts with SIMULATED.
    api_url : str, optional
        The API the run talked to; one on this machine is named in the text as not X's.
    jobs : tuple of JobProvenance, optional
        Each job with when its results were produced and whether they were reused.

    Examples
    --------
    >>> from compliance_nb.display.report import KindSummary
    >>> tweets = KindSummary(kind="tweets", checked=4, available=3, reasons={"deleted": 1})
    >>> report = ComplianceReport({"tweets": tweets}, job_ids={"tweets": ("42",)})
    >>> print(report.text)  # doctest: +NORMALIZE_WHITESPACE
    We checked Tweet IDs with X's batch compliance API (v2), job 42. Tweets: of 4 distinct
    Tweet IDs, 3 (75.0%) were still available and 1 (25.0%) required action: 1 deleted
    (25.0%). The labels: deleted: the Tweet was deleted.
    >>> report.to_dict()["kinds"]["tweets"]["needing_action"]
    1
    """

    kinds: dict[str, KindSummary]
    checked_at: datetime | None = None
    job_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sandbox: bool = False
    api_url: str | None = None
    jobs: tuple[JobProvenance, ...] = ()

    # prose -------------------------------------------------------------------------
    def _kind_sentences(self, s: KindSummary) -> list[str]:
        noun = _KIND_NOUN.get(s.kind, f"{s.kind} IDs")
        title = _KIND_TITLE.get(s.kind, s.kind)
        if s.checked == 0:
            return [f"{title}: no {noun} were checked."]
        out = [
            f"{title}: of {s.checked:,} distinct {noun}, {s.available:,} "
            f"({_pct(s.share(s.available))}) were still available"
        ]
        if s.reasons:
            listed = ", ".join(
                f"{n:,} {reason} ({_pct(s.share(n))})" for reason, n in _by_count(s.reasons)
            )
            out[0] += (
                f" and {s.needing_action:,} ({_pct(s.share(s.needing_action))}) required "
                f"action: {listed}."
            )
        else:
            out[0] += "; none required action."
        if s.lag_quartiles_days is not None:
            q1, med, q3 = s.lag_quartiles_days
            out.append(
                f"For the {s.lag_n:,} with both a creation and a redaction date, the median "
                f"time from creation to redaction was {days_text(med)} days (quartiles "
                f"{days_text(q1)} and {days_text(q3)} days)."
            )
        return out

    def _job_sentences(self) -> list[str]:
        """When each kind's results were produced, and which were reused."""
        out = []
        for kind in self.kinds:
            jobs = [j for j in self.jobs if j.kind == kind]
            if not jobs:
                continue
            noun = _KIND_NOUN.get(kind, f"{kind} IDs")
            dated = [j for j in jobs if j.completed_at is not None]
            ids = ", ".join(j.id for j in jobs)
            several = "s" if len(jobs) > 1 else ""
            when = ""
            if dated:
                latest = max(j.completed_at for j in dated)  # type: ignore[type-var]
                last = " (the last)" if len(jobs) > 1 else ""
                when = f"{last} completed on {_when(latest)}"  # type: ignore[arg-type]
            if all(j.reused for j in jobs):
                out.append(
                    f"The results for the {noun} were reused from this machine's stored "
                    f"results of job{several} {ids}{when}; no new job ran."
                )
            else:
                out.append(f"The results for the {noun} were produced by job{several} {ids}{when}.")
        return out

    def _label_sentences(self) -> list[str]:
        """What each label the report uses means, per kind (``deleted`` is a Tweet for
        Tweets and an account for users)."""
        out = []
        for s in self.kinds.values():
            if s.reasons:
                listed = "; ".join(
                    f"{lab}: {meaning(lab, s.kind)}" for lab, _ in _by_count(s.reasons)
                )
                which = f" for {_KIND_NOUN.get(s.kind, s.kind)}" if len(self.kinds) > 1 else ""
                out.append(f"The labels{which}: {listed}.")
        return out

    @property
    def text(self) -> str:
        nouns = " and ".join(_KIND_NOUN.get(k, k) for k in self.kinds)
        if self.sandbox:
            api = "the compliance_nb sandbox, a local server simulating X's batch compliance API"
        elif _is_local(self.api_url):
            api = f"an API server on this machine ({self.api_url})"
        else:
            api = "X's batch compliance API (v2)"
        sentences = [_SIMULATED_LINE] if self.sandbox else []
        job_sentences = self._job_sentences()
        cited = ""
        if not job_sentences:  # jobs without times (given by hand, or an older record)
            ids = [j for js in self.job_ids.values() for j in js]
            if ids:
                cited = f", job{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
        sentences.append(f"We checked {nouns} with {api}{cited}.")
        if not self.sandbox and _is_local(self.api_url):
            sentences.append(
                "That is not X's API: if it is the compliance_nb sandbox, these results are "
                "simulated."
            )
        sentences.extend(job_sentences)
        for s in self.kinds.values():
            sentences.extend(self._kind_sentences(s))
        sentences.extend(self._label_sentences())
        return " ".join(sentences)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ComplianceReport({self.text!r})"

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        rows = []
        for s in self.kinds.values():
            for reason, n in [(AVAILABLE, s.available), *_by_count(s.reasons)]:
                rows.append(
                    f"<tr><td>{html.escape(_KIND_TITLE.get(s.kind, s.kind))}</td>"
                    f"<td title='{html.escape(meaning(reason, s.kind))}'>"
                    f"{html.escape(reason)}</td>"
                    f"<td style='text-align:right'>{n:,}</td>"
                    f"<td style='text-align:right'>{_pct(s.share(n))}</td></tr>"
                )
        title = "<b>Compliance report</b>"
        if self.sandbox:
            title = (
                "<b style='color:#b35806'>SIMULATED RESULTS (compliance_nb sandbox)</b> "
                "&ndash; compliance report"
            )
        return (
            f"<div class='compliance-nb-report'>{title}<p>{html.escape(self.text)}</p>"
            "<table><tr><th>kind</th><th>status</th><th>distinct IDs</th><th>share</th></tr>"
            f"{''.join(rows)}</table></div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers and strings (JSON-serialisable); counts are of distinct IDs."""
        return {
            "counts": "distinct IDs",
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "sandbox": self.sandbox,
            "api_url": self.api_url,
            "job_ids": {k: list(v) for k, v in self.job_ids.items()},
            "jobs": [j.to_dict() for j in self.jobs],
            "kinds": {
                k: {
                    "checked": s.checked,
                    "available": s.available,
                    "needing_action": s.needing_action,
                    "reasons": dict(s.reasons),
                    "lag_days": (
                        None
                        if s.lag_quartiles_days is None
                        else dict(
                            zip(("q1", "median", "q3"), s.lag_quartiles_days, strict=True),
                            n=s.lag_n,
                        )
                    ),
                }
                for k, s in self.kinds.items()
            },
            "text": self.text,
        }


def _is_local(url: str | None) -> bool:
    """True for an API URL on this machine (loopback): never X's own API."""
    if not url:
        return False
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _summarise(kind: str, items: pl.DataFrame) -> KindSummary:
    counts = dict(items.group_by("status").len().iter_rows())
    available = int(counts.pop(AVAILABLE, 0))
    lags = lag_days(items.filter(pl.col("status") != AVAILABLE))
    return KindSummary(
        kind=kind,
        checked=items.height,
        available=available,
        reasons={str(k): int(v) for k, v in counts.items()},
        lag_n=lags.len(),
        lag_quartiles_days=quartiles(lags),
    )


def compliance_report(
    df: Any,
    *,
    id_column: str | None = None,
    jobs: Any = None,
    user_id_column: str | None = None,
) -> ComplianceReport:
    """Summarise the frame ``check_compliance`` returned, in numbers and in prose.

    The paragraph names the API (and starts with SIMULATED for the sandbox's results),
    the jobs and when their results were produced (the jobs' completion; results reused
    from this machine's ledger say so, with their job), then, per kind (Tweets, users),
    the distinct IDs checked, the share still available, the counts per reason, the time
    from creation to redaction, and what each label it uses means. It works on the frame
    as returned and on one saved to CSV, Parquet or JSON lines and read back (see
    "Provenance" in docs/reference.md).

    Parameters
    ----------
    df : DataFrame
        The checked frame (pandas, polars, or anything narwhals reads), or one saved and
        read back.
    id_column : str, optional
        The ID column; by default the one the run used, else ``"id"``.
    jobs : list or dict, optional
        Job IDs to cite, when the frame does not remember its run (for example after its
        ``compliance_source`` column was dropped): a job ID, a ``Job``, a list of those,
        or a dict ``{kind: [ids]}``. By default, the jobs the run remembers.
    user_id_column : str, optional
        For a run with users, the user ID column; by default the run's.

    Returns
    -------
    ComplianceReport
        The numbers and the paragraph; ``str(report)`` is the paragraph.

    Raises
    ------
    InputError
        ``df`` has none of the columns ``check_compliance`` adds.

    Examples
    --------
    >>> import polars as pl
    >>> checked = pl.DataFrame({
    ...     "id": ["1", "2", "3", "3"],
    ...     "compliance_reason": [None, "bounced", None, None],
    ...     "compliant": [True, False, True, True]})
    >>> report = compliance_report(checked, jobs=["1400000000000000001"])
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    We checked Tweet IDs with X's batch compliance API (v2), job 1400000000000000001.
    Tweets: of 3 distinct Tweet IDs, 2 (66.7%) were still available and 1 (33.3%) required
    action: 1 bounced (33.3%). The labels: bounced: the Tweet failed X's compliance check
    (X: "Post failed compliance check").
    """
    info = recall(df)
    per_kind = outcomes(df, id_column=id_column, user_id_column=user_id_column)
    job_ids: dict[str, tuple[str, ...]] = dict(info.job_ids) if info is not None else {}
    provenance = info.jobs if info is not None else ()
    if jobs is not None:
        job_ids = _job_ids(jobs, default_kind=next(iter(per_kind)))
        provenance = ()
    times = [j.completed_at for j in provenance if j.completed_at is not None]
    return ComplianceReport(
        kinds={k: _summarise(k, items) for k, items in per_kind.items()},
        checked_at=max(times) if times else None,
        job_ids=job_ids,
        sandbox=bool(info.sandbox) if info is not None else False,
        api_url=info.api_url if info is not None else None,
        jobs=provenance,
    )


def _job_ids(jobs: Any, default_kind: str) -> dict[str, tuple[str, ...]]:
    if isinstance(jobs, dict):
        return {str(k): tuple(str(getattr(j, "id", j)) for j in v) for k, v in jobs.items()}
    if isinstance(jobs, (str, int)) or hasattr(jobs, "id"):
        jobs = [jobs]
    out: dict[str, list[str]] = {}
    for j in jobs:
        kind = getattr(j, "type", None) or getattr(j, "kind", None) or default_kind
        out.setdefault(str(kind), []).append(str(getattr(j, "id", j)))
    return {k: tuple(v) for k, v in out.items()}
