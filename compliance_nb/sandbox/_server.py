"""``Sandbox``: X's batch compliance API and its signed storage URLs on this machine.

>>> from compliance_nb.sandbox import Sandbox
>>> with Sandbox(processing_delay=0) as sb:          # doctest: +SKIP
...     import requests
...     r = requests.post(f"{sb.url}/2/compliance/jobs", json={"type": "tweets"},
...                       headers={"Authorization": f"Bearer {sb.bearer_token}"})
...     job = r.json()["data"]
...     requests.put(job["upload_url"], data=b"20\\n21\\n",
...                  headers={"Content-Type": "text/plain"})
...     # poll GET {sb.url}/2/compliance/jobs/{id} until "complete", then GET download_url
...     sb.expected(["20", "21"], "tweets")          # what the results say, one row per ID

Choices where the API is unconfirmed (see the ``Sandbox`` docstring for the switches):

* upload file: blank lines, surrounding whitespace and CRLF are ignored; duplicate IDs are
  answered once; any other line (letters, signs, > 20 digits) fails the job with an ``error``
  text naming the count and the first bad line;
* an upload to a job that is no longer ``created`` (a retry after a lost answer) is answered
  200 and changes nothing;
* a resumable session lives as long as the job's upload window;
* DELETE on a job that has finished (complete, failed, expired) answers 200, job unchanged;
* an unknown job ID answers 404 with a ``resource-not-found`` problem;
* jobs hand out signed storage URLs unless ``transfer_urls="api"``; the API's own upload
  and download routes (OpenAPI v2.168, ``_transfer.py``) are served either way, and want
  the bearer token as well as the job's signed ``token`` (both switchable).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from ..rules.ids import TWITTER_EPOCH_MS
from ..rules.limits import DOWNLOAD_WINDOW, RATE_LIMIT, RATE_WINDOW, UPLOAD_WINDOW
from ._budget import RouteBudget
from ._faults import FaultPlan
from ._handler import SandboxHandler
from ._jobs import JobRecord, JobStore
from ._oracle import Oracle
from ._processing import upload_complete
from ._urls import TransferUrls

__all__ = ["Sandbox"]

logger = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        super().__init__(address, SandboxHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up mid-request is normal here (see the fault plan)."""
        logger.debug("sandbox request from %s failed", client_address, exc_info=True)


class Sandbox:
    """A local HTTP server that behaves like X's batch compliance API.

    The job routes, the signed upload and download URLs, the rate limits and the problem
    answers of ``/2/compliance/jobs``, with results from a deterministic oracle: every
    verdict is SIMULATED, a function of the ID, its kind and ``seed``. Start it with
    :meth:`start` (or ``with``), point a client at :attr:`url` with :attr:`bearer_token`
    (:meth:`client` does both), stop it with :meth:`stop`.

    Parameters
    ----------
    host : str, default "127.0.0.1"
        The interface to listen on (loopback by default; ``"::"`` or ``"0.0.0.0"`` for all).
    port : int, default 0
        The port; 0 picks a free one (the chosen port is in :attr:`port` once started).
    bearer_token : str, optional
        The token the API accepts; by default a random ``sandbox-...`` one.
    public_url : str, optional
        The base URL handed out in job and storage URLs, for a proxy in front; requests
        under its path are served too.
    processing_delay : float, default 3.0
        Seconds from a finished upload to ``complete``.
    seed : int, default 0
        The oracle's seed: the same seed gives the same verdicts everywhere.
    rates : mapping, optional
        The oracle's reason rates, ``{"tweets": {"deleted": 0.06, ...}, "users": {...}}``,
        merged over its defaults (see ``_oracle.Oracle``).
    rate_limit : int, default ``rules.limits.RATE_LIMIT``
        Requests allowed per route of the job API in each window.
    rate_window : float, default ``rules.limits.RATE_WINDOW``
        Length of the rate-limit window, in seconds.
    upload_window : float, default ``rules.limits.UPLOAD_WINDOW``
        Lifetime of a job's signed upload URL, in seconds.
    download_window : float, default ``rules.limits.DOWNLOAD_WINDOW``
        Lifetime of a job's signed download URL, in seconds.
    estimated_completion : bool, default True
        Add ``estimated_completion`` to ``in_progress`` jobs.
    expire_complete_jobs : bool, default False
        Turn ``complete`` jobs ``expired`` after the download window.
    created_blocks_new_job : bool, default True
        A ``created`` job (still uploadable) blocks a new job of its type, as an
        ``in_progress`` one always does (409 conflict).
    storage_dir : str or os.PathLike, optional
        Where uploads and results live; by default a temporary folder, removed on
        :meth:`stop`.
    problem_host : str, default "https://api.twitter.com"
        The host in problem ``type`` URIs (``https://api.twitter.com`` or ``.x.com``).
    missing_redacted_at : float, default 0.15
        Share of result lines the oracle writes without ``redacted_at``.
    extra_lines : float, default 0.05
        Share of IDs needing action that get one extra result line.
    scrub_geo_action : str, default "delete"
        The ``action`` written with ``scrub_geo`` lines.
    unknown_job : {"404", "200"}, default "404"
        How a job ID the API does not know is answered: ``"404"`` (a
        ``resource-not-found`` problem) or ``"200"`` (no ``data``, the same error in
        ``errors``, as other v2 lookups answer). X does not document which.
    transfer_urls : {"storage", "api"}, default "storage"
        The shape of the ``upload_url`` and ``download_url`` jobs hand out: signed storage
        URLs (``/storage/...?X-Goog-Signature=...``, used without credentials, as X's docs
        show), or the API host's own routes of OpenAPI v2.168,
        ``{url}/2/compliance/jobs/{id}/upload?token=...`` and ``.../download?token=...``.
        The API routes are served in either mode.
    transfer_auth : bool, default True
        The API's upload and download routes require the bearer token (401 without it).
    transfer_rate_limit : bool, default True
        The API's upload and download routes count against a rate limit of their own
        (``rate_limit`` per window each; 429 beyond it).
    api_resumable : {"single", "sessions"}, default "single"
        How the API's upload route takes a resumable job's file: ``"single"``, one ``PUT``
        of the whole file (a session start is refused with 405); ``"sessions"``, the
        resumable protocol of the storage URLs (``POST`` with ``x-goog-resumable: start``,
        then ``PUT`` requests with ``Content-Range`` at the session URI; a plain ``PUT`` is
        refused with 400). X does not say which.
    transfer_base_url : str, optional
        The base URL of the handed-out upload and download URLs (default: :attr:`url`); for
        tests where they point at another host (a proxy in front of this sandbox).

    Raises
    ------
    ValueError
        When ``unknown_job``, ``transfer_urls`` or ``api_resumable`` is not one of its
        choices, ``rate_limit`` is below 1, a window is not
        positive or ``processing_delay`` is negative.

    See Also
    --------
    compliance_nb.connect : Uses the sandbox when no bearer token is set.

    Notes
    -----
    For tests: ``faults`` (a :class:`FaultPlan`), ``requests_log``, ``auth_leaks``,
    ``jobs_created``, ``created_job_ids``, :meth:`job_state` and :meth:`expected`. Faults
    apply to the next N matching requests (all routes and faults are listed in
    ``compliance_nb.sandbox._faults``)::

        sb.faults.add("get", "503", times=2)              # two 503s, then normal answers
        sb.faults.add("create", "drop", processed=True)   # job created, answer lost
        sb.faults.add("download", "drop", after_bytes=1000)
        sb.faults.add("processing", "fail", error="boom")  # the next upload's job fails

    Examples
    --------
    >>> from compliance_nb.sandbox import Sandbox
    >>> with Sandbox(processing_delay=0) as sb:
    ...     client = sb.client()
    ...     print(client.list_jobs("tweets"))
    ...     print(sb.url.startswith("http://127.0.0.1:"))
    []
    True

    Jobs handing out the API host's own upload and download routes (OpenAPI v2.168):

    >>> with Sandbox(processing_delay=0, transfer_urls="api") as sb:
    ...     job = sb.client().create_job("tweets")
    >>> job.upload_url.split("?")[0].endswith(f"/2/compliance/jobs/{job.id}/upload")
    True

    What the results will say, without running a job (one row per distinct ID):

    >>> Sandbox(seed=0).expected(["20", "20", "21"], "tweets").height
    2
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bearer_token: str | None = None,
        public_url: str | None = None,
        processing_delay: float = 3.0,
        seed: int = 0,
        rates: Mapping[str, Mapping[str, float]] | None = None,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW,
        upload_window: float = UPLOAD_WINDOW,
        download_window: float = DOWNLOAD_WINDOW,
        estimated_completion: bool = True,
        expire_complete_jobs: bool = False,
        created_blocks_new_job: bool = True,
        storage_dir: str | os.PathLike[str] | None = None,
        problem_host: str = "https://api.twitter.com",
        missing_redacted_at: float = 0.15,
        extra_lines: float = 0.05,
        scrub_geo_action: str = "delete",
        unknown_job: str = "404",
        transfer_urls: str = "storage",
        transfer_auth: bool = True,
        transfer_rate_limit: bool = True,
        api_resumable: str = "single",
        transfer_base_url: str | None = None,
    ) -> None:
        if unknown_job not in ("404", "200"):
            raise ValueError(f"unknown_job must be '404' or '200', not {unknown_job!r}")
        if api_resumable not in ("single", "sessions"):
            raise ValueError(f"api_resumable must be 'single' or 'sessions', not {api_resumable!r}")
        if rate_limit < 1 or rate_window <= 0:
            raise ValueError("rate_limit must be >= 1 and rate_window > 0")
        if processing_delay < 0 or upload_window <= 0 or download_window <= 0:
            raise ValueError("processing_delay must be >= 0 and the windows > 0")
        self.host = host
        self.port = port
        self.bearer_token = bearer_token or f"sandbox-{secrets.token_urlsafe(24)}"
        self.public_url = public_url.rstrip("/") if public_url else None
        # a proxy may pass the public URL's path on: requests under it are served too
        self._path_prefix = urlsplit(self.public_url).path.rstrip("/") if self.public_url else ""
        self.processing_delay = float(processing_delay)
        self.seed = seed
        self.rate_limit = int(rate_limit)
        self.rate_window = float(rate_window)
        self.upload_window = float(upload_window)
        self.download_window = float(download_window)
        self.estimated_completion = estimated_completion
        self.expire_complete_jobs = expire_complete_jobs
        self.created_blocks_new_job = created_blocks_new_job
        self.unknown_job = unknown_job
        self.problem_host = problem_host.rstrip("/")
        self.transfer_urls = transfer_urls
        self.transfer_auth = bool(transfer_auth)
        self.transfer_rate_limit = bool(transfer_rate_limit)
        self.api_resumable = api_resumable
        self.transfer_base_url = transfer_base_url.rstrip("/") if transfer_base_url else None
        self.oracle = Oracle(
            seed,
            rates,
            missing_redacted_at=missing_redacted_at,
            extra_lines=extra_lines,
            scrub_geo_action=scrub_geo_action,
        )
        self.faults = FaultPlan()
        self.requests_log: list[dict[str, Any]] = []
        self.auth_leaks: list[dict[str, Any]] = []
        self.created_job_ids: list[str] = []
        self._urls = TransferUrls(secrets.token_bytes(32), transfer_urls)
        self._signer = self._urls.signer
        self._jobs = JobStore(expire_complete_jobs)
        self._budget = RouteBudget(self.rate_limit, self.rate_window)
        self._log_lock = threading.Lock()
        self._id_lock = threading.Lock()
        self._last_id = 0
        self._app_id = str(1_100_000_000_000_000_000 + (int(seed) * 7919) % 10**17)
        self._storage_arg = Path(storage_dir) if storage_dir is not None else None
        self._storage: Path | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._stopped = threading.Event()

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve in a background thread; returns ``self``."""
        if self._server is not None:
            return self
        if self._storage_arg is not None:
            self._storage_arg.mkdir(parents=True, exist_ok=True)
            self._storage = self._storage_arg
        else:
            self._storage = Path(tempfile.mkdtemp(prefix="compliance-nb-sandbox-"))
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"compliance-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections, remove a temporary storage folder."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        for conn in list(server.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for worker in self._workers:
            worker.join(timeout=10)
        if self._storage_arg is None and self._storage is not None:
            shutil.rmtree(self._storage, ignore_errors=True)
        self._stopped.set()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"<Sandbox {state} url={self.url!r} jobs={self.jobs_created}>"

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop`, Ctrl-C or SIGTERM."""
        self.start()

        def _terminate(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.stop()

    # -- public helpers ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:40123`` (``public_url`` when given)."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def jobs_created(self) -> int:
        """How many jobs were created (see ``created_job_ids`` for their IDs)."""
        return len(self.created_job_ids)

    def client(self, **kwargs: Any) -> Any:
        """A ``compliance_nb.ComplianceClient`` pointed at this sandbox (``is_sandbox`` True)."""
        from compliance_nb.api.client import ComplianceClient

        client = ComplianceClient(bearer_token=self.bearer_token, base_url=self.url, **kwargs)
        client.is_sandbox = True
        return client

    def expected(self, ids: Any, kind: str) -> pl.DataFrame:
        """The oracle's primary verdict per distinct ID (first-seen order).

        Columns ``id``, ``action``, ``reason`` (String), ``created_at``, ``redacted_at``
        (Datetime("us", "UTC")); nulls where the ID needs no action.
        """
        return self.oracle.expected(ids, kind)

    def job_state(self, job_id: str) -> dict[str, Any]:
        """The server-side view of a job (status, uploads, ID counts, results size...)."""
        job = self._jobs.get(str(job_id), time.time())
        if job is None:
            raise KeyError(f"no job {job_id!r} in this sandbox")
        with self._jobs.lock:
            return job.state()

    # -- internals used by the handler ------------------------------------------------

    def _log_request(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self.requests_log.append(entry)

    def _record_leak(self, method: str, path: str, route: str) -> None:
        with self._log_lock:
            self.auth_leaks.append({"method": method, "path": path, "route": route})

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].encode(), self.bearer_token.encode())

    def _new_job_id(self) -> str:
        with self._id_lock:
            ms = int(time.time() * 1000) - TWITTER_EPOCH_MS
            candidate = (ms << 22) | (1 << 17) | (1 << 12)
            candidate = max(candidate, self._last_id + 1)
            self._last_id = candidate
            return str(candidate)

    def _job_dir(self, job_id: str) -> Path:
        assert self._storage is not None
        folder = self._storage / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _results_path(self, job_id: str) -> Path:
        return self._job_dir(job_id) / "results.jsonl"

    def _job_json(self, job: JobRecord) -> dict[str, Any]:
        with self._jobs.lock:
            return job.to_json(estimated_completion=self.estimated_completion)

    def _create_job(
        self, kind: str, name: str | None, resumable: bool, *, expire_now: bool
    ) -> tuple[JobRecord | None, JobRecord | None]:
        """Create a job, or return ``(None, blocking_job)`` on a conflict."""
        now = time.time()
        with self._jobs.lock:
            for other in self._jobs.all(now):
                if other.type != kind:
                    continue
                if other.status == "in_progress" or (
                    other.status == "created" and self.created_blocks_new_job
                ):
                    return None, other
            job_id = self._new_job_id()
            upload_url, download_url = self._urls.for_job(
                self.transfer_base_url or self.url,
                kind,
                job_id,
                f"{self._app_id}_{job_id}",
                resumable=resumable,
                created=float(int(now)),
                upload_window=self.upload_window,
                download_window=self.download_window,
            )
            job = JobRecord(
                id=job_id,
                type=kind,
                name=name,
                resumable=resumable,
                created=now,
                upload_expires=now if expire_now else now + self.upload_window,
                download_expires=now + self.download_window,
                upload_url=upload_url,
                download_url=download_url,
            )
            self._jobs.add(job)
            self.created_job_ids.append(job_id)
            return job, None

    def _upload_complete(self, job: JobRecord, source: Path, size: int) -> None:
        upload_complete(self, job, source, size)
