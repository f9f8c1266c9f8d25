"""The compliance job object, as the API returns it.

>>> job = Job.from_api({
...     "id": "1425543269983784962", "type": "tweets", "status": "created",
...     "resumable": False, "created_at": "2021-08-11T19:42:55.000Z",
...     "upload_url": "https://storage.example/u?X-Goog-Signature=abc",
...     "upload_expires_at": "2021-08-11T19:57:55.000Z",
...     "download_url": "https://storage.example/d?X-Goog-Signature=def",
...     "download_expires_at": "2021-08-18T19:42:55.000Z",
...     "colour": "blue"})
>>> job.status, job.is_terminal, job.extra
('created', False, {'colour': 'blue'})
>>> "abc" in repr(job)
False
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from .._exceptions import InputError
from .._redact import mask_url
from ..rules.limits import is_job_id

__all__ = [
    "JOB_KINDS",
    "JOB_STATUSES",
    "SIMULATED_MARK",
    "TERMINAL_STATUSES",
    "Job",
    "JobKind",
    "check_job_id",
    "check_kind",
    "parse_timestamp",
]

JobKind = Literal["tweets", "users"]
JOB_KINDS: tuple[str, ...] = ("tweets", "users")
JOB_STATUSES: tuple[str, ...] = ("created", "in_progress", "complete", "failed", "expired")
TERMINAL_STATUSES = frozenset({"complete", "failed", "expired"})

_KNOWN_FIELDS = (
    "id",
    "type",
    "status",
    "name",
    "resumable",
    "created_at",
    "upload_url",
    "upload_expires_at",
    "download_url",
    "download_expires_at",
    "error",
    "estimated_completion",
)

#: The field the compliance_nb sandbox adds to every job object it returns (``true``): its
#: results are simulated. X's jobs never carry it; a client reading the job object knows
#: the results are simulated however it reached the server (``connect()``, a client built
#: with the sandbox's URL, the command line).
SIMULATED_MARK = "compliance_nb_simulated"


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse the API's timestamps (``...000Z`` or ``+00:00`` forms) to aware UTC datetimes.

    >>> parse_timestamp("2021-08-11T19:42:55.000Z")
    datetime.datetime(2021, 8, 11, 19, 42, 55, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2013-03-26T02:46:15+00:00").year
    2013
    """
    if value is None or value == "":
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Job:
    """One batch compliance job (immutable; fetch a fresh one with ``client.get_job``).

    Every documented field is an attribute; fields the API sends that this version does
    not know are kept in ``extra``. Signed URLs are credentials: ``repr``, ``str`` and
    the notebook HTML mask their signatures; the attributes themselves hold the full
    URLs for the client to use. Build one from an API answer with :meth:`from_api`.

    Parameters
    ----------
    id : str
        The job's ID (1-19 digits).
    type : str
        ``"tweets"`` or ``"users"``.
    status : str
        ``created``, ``in_progress``, ``complete``, ``failed`` or ``expired``.
    created_at : datetime, optional
        When the job was created (aware, UTC).
    upload_url : str, optional
        The signed URL to upload the IDs to.
    upload_expires_at : datetime, optional
        The end of the upload window (15 minutes after creation).
    download_url : str, optional
        The signed URL of the results.
    download_expires_at : datetime, optional
        The end of the download window (7 days after creation).
    resumable : bool
        Whether the upload uses the resumable protocol.
    name : str, optional
        The job's name.
    error : str, optional
        Why a ``failed`` job failed.
    estimated_completion : datetime, optional
        When X expects the job to be complete.
    simulated : bool
        The job object carries the compliance_nb sandbox's mark (:data:`SIMULATED_MARK`):
        its results are simulated. Never true for X's own jobs.
    completed_at : datetime, optional
        When the job's results were produced, as near as this machine knows: X's job
        object has no completion time, so the job engine (``check_compliance``,
        ``apply_compliance_jsonl``) sets it to the moment it first saw the job
        ``complete`` (to the second; the job finished then or at most one poll before) and
        keeps it in the ledger, so that results reused later keep their job's time. None
        on jobs read from the API (``get_job``, ``wait``).
    extra : mapping
        The fields the API sent that this version does not know.
    raw : mapping
        The object exactly as received (not compared).

    Attributes
    ----------
    is_terminal : bool
        True once the job can no longer change.
    upload_expired : bool
        True once the upload window is over.
    download_expired : bool
        True once the download window is over.

    Examples
    --------
    >>> job = Job(id="1425543269983784962", type="tweets", status="in_progress", name="mine")
    >>> job
    Job(id='1425543269983784962', type='tweets', status='in_progress', name='mine', \
upload_url=None, download_url=None)
    >>> job.is_terminal, job.upload_expired
    (False, False)
    """

    id: str
    type: str
    status: str
    created_at: datetime | None = None
    upload_url: str | None = field(default=None, repr=False)
    upload_expires_at: datetime | None = None
    download_url: str | None = field(default=None, repr=False)
    download_expires_at: datetime | None = None
    resumable: bool = False
    name: str | None = None
    error: str | None = None
    estimated_completion: datetime | None = None
    simulated: bool = False
    completed_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Job:
        """Build a Job from the ``data`` object of an API response; tolerant of extra fields.

        Parameters
        ----------
        data : mapping
            The job object as the API sends it (timestamps as ISO strings).

        Returns
        -------
        Job
            The job; unknown fields are kept in ``extra``.

        Examples
        --------
        >>> Job.from_api({"id": 7, "type": "users", "status": "complete"}).id
        '7'
        """
        return cls(
            id=str(data["id"]),
            type=str(data.get("type", "")),
            status=str(data.get("status", "")),
            created_at=parse_timestamp(data.get("created_at")),
            upload_url=data.get("upload_url"),
            upload_expires_at=parse_timestamp(data.get("upload_expires_at")),
            download_url=data.get("download_url"),
            download_expires_at=parse_timestamp(data.get("download_expires_at")),
            resumable=bool(data.get("resumable", False)),
            name=data.get("name"),
            error=data.get("error"),
            estimated_completion=parse_timestamp(data.get("estimated_completion")),
            simulated=data.get(SIMULATED_MARK) is True,
            extra={k: v for k, v in data.items() if k not in _KNOWN_FIELDS and k != SIMULATED_MARK},
            raw=dict(data),
        )

    # -- derived state -------------------------------------------------------------
    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change: complete, failed or expired."""
        return self.status in TERMINAL_STATUSES

    @property
    def upload_expired(self) -> bool:
        """True when the upload window (15 minutes from creation) has passed."""
        return self.upload_expires_at is not None and _now() >= self.upload_expires_at

    @property
    def download_expired(self) -> bool:
        """True when the download window (7 days from creation) has passed."""
        return self.download_expires_at is not None and _now() >= self.download_expires_at

    # -- display ---------------------------------------------------------------------
    def __repr__(self) -> str:
        parts = [f"id={self.id!r}", f"type={self.type!r}", f"status={self.status!r}"]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.created_at is not None:
            parts.append(f"created_at={self.created_at.isoformat()!r}")
        if self.resumable:
            parts.append("resumable=True")
        if self.simulated:
            parts.append("simulated=True")
        if self.error:
            parts.append(f"error={self.error!r}")
        parts.append(f"upload_url={mask_url(self.upload_url)!r}")
        parts.append(f"download_url={mask_url(self.download_url)!r}")
        return f"Job({', '.join(parts)})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = {
            "complete": "#1a7f37",
            "failed": "#cf222e",
            "expired": "#9a6700",
        }.get(self.status, "#0969da")
        rows = [
            ("type", self.type),
            ("name", self.name),
            ("created", self.created_at and self.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            (
                "upload until",
                self.upload_expires_at and self.upload_expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            ),
            (
                "results until",
                self.download_expires_at
                and self.download_expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            ),
            ("error", self.error),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in rows
            if v not in (None, "")
        )
        return (
            "<div class='compliance-nb-job'>"
            f"<b>Compliance job {html.escape(self.id)}</b> "
            f"<span style='color:{colour};font-weight:bold'>{html.escape(self.status)}</span>"
            f"<table>{cells}</table></div>"
        )


def check_kind(kind: Any) -> str:
    """Return ``kind`` if it is ``"tweets"`` or ``"users"``, else raise :class:`InputError`.

    >>> check_kind("users")
    'users'
    """
    if kind not in JOB_KINDS:
        raise InputError(
            f"Unknown kind {kind!r}: use kind='tweets' (Tweet/Post IDs) or kind='users' (user IDs)."
        )
    return kind


def check_job_id(job_id: Any) -> str:
    """Return the ID of ``job_id`` (a job, or its ID as str or int) as a string of digits.

    >>> check_job_id(1425543269983784962)
    '1425543269983784962'
    >>> check_job_id("12 3")
    Traceback (most recent call last):
    ...
    compliance_nb.InputError: '12 3' is not a job ID: job IDs are 1-19 digits.
    """
    if isinstance(job_id, Job):
        job_id = job_id.id
    if isinstance(job_id, bool) or not isinstance(job_id, (str, int)):
        raise InputError(f"A job ID is a string of 1-19 digits, not a {type(job_id).__name__}.")
    text = str(job_id).strip()
    if not is_job_id(text):
        raise InputError(f"{text[:40]!r} is not a job ID: job IDs are 1-19 digits.")
    return text
