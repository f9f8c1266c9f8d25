"""The transfers of :class:`~compliance_nb.api.client.ComplianceClient`: ``upload`` and
``download`` at a job's URLs, whatever their shape.

:class:`ClientTransfers` is the part of the client that moves a job's two files; the
client inherits it. The requests go through the client's storage session; the bearer
token goes along only to the API's own routes (:mod:`compliance_nb.api.origin`), so
signed storage URLs and any other host never see it.

>>> "upload" in vars(ClientTransfers) and "download" in vars(ClientTransfers)
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from .._events import CancelToken, ProgressCallback, emit, job_event
from .downloads import ByteSink
from .files import download_results, upload_ids
from .job import Job
from .session import ApiSession, BearerAuth
from .storage import TransferContext

__all__ = ["ClientTransfers"]


class ClientTransfers:
    """Uploads and downloads for a client with an :class:`ApiSession` and a storage session.

    Examples
    --------
    >>> from compliance_nb import ComplianceClient
    >>> issubclass(ComplianceClient, ClientTransfers)
    True
    """

    _api: ApiSession
    _storage: requests.Session

    @property
    def base_url(self) -> str:
        """The API host, without a trailing slash.

        The bearer token goes to this origin's routes only (see
        :mod:`compliance_nb.api.origin`).

        Examples
        --------
        >>> from compliance_nb import ComplianceClient
        >>> ComplianceClient(bearer_token="AAAA-example", base_url="https://api.x.com/").base_url
        'https://api.x.com'
        """
        return self._api.base_url

    def _transfer_context(
        self, job: Job, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> TransferContext:
        token = self._api.require_token() if self._api.has_token else None

        def rate_wait(response: requests.Response) -> bool:
            wait = self._api._rate_limit_wait(response)
            if wait is None or wait > self._api.max_rate_limit_wait:
                return False
            message = f"Rate limit of the API's transfer route: waiting {wait:.0f} s (HTTP 429)."
            event = job_event("waiting", job, kind=job.type, wait_seconds=wait, message=message)
            emit(progress, event)
            self._api.sleep(wait, cancel)
            return True

        return TransferContext(
            api_url=self.base_url,
            bearer=BearerAuth(token) if token else None,
            rate_wait=rate_wait,
            session=self._storage,
            timeout=self._api.timeout,
            max_retries=self._api.max_retries,
            pause=lambda attempt, msg: self._api.pause(attempt, msg, progress, cancel, job=job),
            progress=progress,
            cancel=cancel,
            kind=job.type,
            job_id=job.id,
            job_name=job.name,
        )

    def upload(
        self,
        job: Job,
        source: Any,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
        chunk_size: int = 8 * 1024 * 1024,
    ) -> Job:
        """Upload the IDs to the job's ``upload_url``; return the job as the upload left it.

        Every line is validated before a byte is sent. Resumable jobs upload in chunks
        and resume after failures. The bearer token goes along only when the URL is on
        the API's own origin (X's ``/2/compliance/jobs/{id}/upload`` route); signed
        storage URLs and any other host never see it.

        Parameters
        ----------
        job : Job
            A ``created`` job whose upload window is open.
        source : iterable, path or binary file
            IDs (int or decimal str), a path to a file with one ID per line, or a binary
            file object.
        progress : callable, optional
            Receives ``uploading``, ``uploaded`` and ``retrying`` events.
        cancel : CancelToken, optional
            Stops the upload as soon as it is set.
        chunk_size : int
            Bytes per chunk of a resumable upload.

        Returns
        -------
        Job
            The job from the upload's answer when it sends one (the API's upload route:
            usually ``in_progress``), else ``job`` unchanged (storage URLs answer without it).

        Raises
        ------
        InputError
            A bad ID (the message names the line), or a job that takes no upload.
        UploadWindowExpiredError
            The job's 15-minute upload window is over.
        UploadError
            The storage service (or the API's upload route) refused the upload.

        Examples
        --------
        With signed storage URLs (X's documented ones), no token goes along and the job
        comes back as it was; with the API's own upload route (OpenAPI v2.168, the
        sandbox's ``transfer_urls="api"``), the token goes along and the route's answer is
        the job, now processing:

        >>> from compliance_nb.sandbox import Sandbox
        >>> for shape in ("storage", "api"):
        ...     with Sandbox(processing_delay=0, transfer_urls=shape) as sb:
        ...         client = sb.client()
        ...         job = client.create_job("tweets")
        ...         after = client.upload(job, ["20", 1265324480517361664])
        ...         print(shape, after.status, sb.auth_leaks)
        storage created []
        api in_progress []
        """
        ctx = self._transfer_context(job, progress, cancel)
        return upload_ids(ctx, job, source, chunk_size)

    def download(
        self,
        job: Job,
        dest: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
        sink: ByteSink | None = None,
    ) -> Path:
        """Download a complete job's results (JSON lines) to a file.

        The file appears only when complete (it is written next to ``dest`` and renamed
        into place).

        Parameters
        ----------
        job : Job
            A ``complete`` job.
        dest : str or path-like, optional
            A file path or an existing folder; by default a file named after the job in
            the temporary folder.
        progress : callable, optional
            Receives ``downloading``, ``downloaded`` and ``retrying`` events.
        cancel : CancelToken, optional
            Stops the download as soon as it is set.
        sink : ByteSink, optional
            An object with ``feed(bytes)`` and ``restart()`` (such as a
            ``ResultsParser``), given the bytes as they are written: the results can be
            parsed while they download.

        Returns
        -------
        Path
            The results file.

        Raises
        ------
        DownloadWindowExpiredError
            The 7-day download window is over.
        DownloadError
            The job is not complete, or the storage service refused.

        Examples
        --------
        >>> import tempfile
        >>> from compliance_nb.jobs.results import read_results
        >>> from compliance_nb.sandbox import Sandbox
        >>> ids = [str(1265324480517361664 + 7919 * i) for i in range(200)]
        >>> with Sandbox(processing_delay=0) as sb, tempfile.TemporaryDirectory() as tmp:
        ...     client = sb.client()
        ...     job = client.create_job("tweets")
        ...     _ = client.upload(job, ids)
        ...     path = client.download(client.wait(job), tmp)
        ...     results = read_results(path)
        ...     expected = sb.expected(ids, "tweets")["action"].count()
        >>> path.name == f"compliance-tweets-{job.id}.jsonl"
        True
        >>> results["id"].n_unique() == expected   # one or more lines per flagged ID
        True
        """
        ctx = self._transfer_context(job, progress, cancel)
        return download_results(ctx, job, dest, sink)
