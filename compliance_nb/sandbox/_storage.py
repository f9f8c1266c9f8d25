"""The storage routes behind the signed URLs (no Authorization header allowed)::

    PUT  /storage/{bucket}/{job}/submission/{object}?X-Goog-...              upload
    POST /storage/{bucket}/{job}/submission/{object}?X-Goog-...              upload_start
    PUT  /storage/{bucket}/{job}/submission/{object}?X-Goog-...&upload_id=   upload_chunk
    GET  /storage/{bucket}/{job}/delivery/{object}?X-Goog-...                download

Errors are Google-Cloud-Storage-style XML. Uploads go to disk in pieces; downloads are
sent from disk and honour ``Range``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from urllib.parse import urlsplit

from ..rules.limits import RESUMABLE_CHUNK
from ._faults import Fault
from ._http import CHUNK, Dropped, HandlerBase
from ._jobs import JobRecord, UploadSession

__all__ = ["RESUMABLE_BLOCK", "StorageRoutes"]

RESUMABLE_BLOCK = RESUMABLE_CHUNK
_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_STORAGE = re.compile(r"^/storage/([^/]+)/([0-9]+)/(submission|delivery)/([^/]+)$")


class StorageRoutes(HandlerBase):
    """Plain and resumable uploads, ranged downloads, signature and expiry checks."""

    def _transfer_fault(self, job: JobRecord, fault: Fault | None) -> int | None:
        """Apply a planned fault of an upload or download, whichever URL shape it came to:
        ``expire_upload`` closes the job's upload window now; ``drop`` returns the byte
        count after which the connection is cut (None: no cut)."""
        sb = self.sandbox
        if fault is not None and fault.fault == "expire_upload":
            with sb._jobs.lock:
                job.upload_expires = min(job.upload_expires, time.time())
                job.refresh(time.time(), sb.expire_complete_jobs)
        if fault is not None and fault.fault == "drop" and not fault.params.get("processed"):
            return int(fault.param("after_bytes", 0))
        return None

    # -- storage ----------------------------------------------------------------------

    def _storage(self, method: str) -> None:
        sb = self.sandbox
        match = _STORAGE.match(self._path)
        part = match.group(3) if match else None
        if part == "submission":
            if method == "POST":
                self._route = "upload_start"
            elif method == "PUT":
                self._route = "upload_chunk" if "upload_id" in self._query else "upload"
        elif part == "delivery" and method in ("GET", "HEAD"):
            self._route = "download"
        if match:
            self._job_id = match.group(2)
        if self.headers.get("Authorization") is not None:
            sb._record_leak(self.command, self._path, self._route)
            self._discard_body()
            self._send_xml(
                403,
                "AccessDenied",
                "Signed URLs must be used without an Authorization header.",
                "The sandbox refuses storage requests that carry an Authorization header, "
                "so that a client which leaks its bearer token fails its tests.",
            )
            return
        if self._route == "unknown":
            self._discard_body()
            self._send_xml(404, "NoSuchKey", "The specified key does not exist.")
            return
        fault = self._take_fault(self._route)
        if fault is not None and self._answer_status_fault(fault, api=False):
            return
        job = sb._jobs.get(self._job_id or "", time.time())
        query = {k: v[0] for k, v in self._query.items()}
        expected_path = None
        if job is not None:
            url = job.upload_url if part == "submission" else job.download_url
            expected_path = urlsplit(url).path[len(sb._path_prefix) :]
        if job is None or expected_path != self._path:
            self._discard_body()
            self._send_xml(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
            return
        drop_after = self._transfer_fault(job, fault)
        if self._route == "download":
            self._download(job, query, drop_after)
        elif self._route == "upload":
            self._upload(job, query, drop_after)
        elif self._route == "upload_start":
            self._upload_start(job, query)
        else:
            self._upload_chunk(job, query, drop_after)

    def _signature_ok(self, query: dict[str, str], method: str, content_type: str | None) -> bool:
        ok = self.sandbox._signer.verify(
            self._path, query, method=method, content_type=content_type
        )
        if not ok:
            self._discard_body()
            self._send_xml(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your Google secret key and signing method.",
            )
        return ok

    def _expired(self, deadline: float) -> bool:
        if time.time() < deadline:
            return False
        self._discard_body()
        self._transfer_error(
            400, "ExpiredToken", "Invalid argument.", "The provided token has expired."
        )
        return True

    def _upload(self, job: JobRecord, query: dict[str, str], drop_after: int | None) -> None:
        if not self._signature_ok(query, "PUT", self.headers.get("Content-Type")):
            return
        if self._expired(job.upload_expires):
            return
        self._receive_upload(job, drop_after)

    def _receive_upload(self, job: JobRecord, drop_after: int | None) -> None:
        """Store the whole body as the job's ID file and answer (after the checks)."""
        folder = self.sandbox._job_dir(job.id)
        part = folder / f"upload-{secrets.token_hex(6)}.part"
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with open(part, "wb") as handle:
                for piece in self._body_chunks(limit=drop_after):
                    handle.write(piece)
                    digest.update(piece)
                    size += len(piece)
            if drop_after is not None:
                raise Dropped
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self.sandbox._upload_complete(job, part, size)
        self._upload_answer(job, {"ETag": f'"{digest.hexdigest()}"'})

    def _upload_answer(self, job: JobRecord, headers: dict[str, str] | None = None) -> None:
        """The answer to a finished upload: empty from storage, the job from the API."""
        if self._api_style:
            self._send_json(200, {"data": self.sandbox._job_json(job)}, headers)
        else:
            self._send(200, b"", None, headers)

    def _upload_start(self, job: JobRecord, query: dict[str, str]) -> None:
        if not self._signature_ok(query, "POST", self.headers.get("Content-Type")):
            return
        if self._expired(job.upload_expires):
            return
        self._start_session(job)

    def _start_session(self, job: JobRecord) -> None:
        """Start a resumable session (after the checks): 201 with the session's Location."""
        self._discard_body()
        if self.headers.get("x-goog-resumable", "").lower() != "start":
            self._transfer_error(
                400,
                "InvalidArgument",
                "Invalid argument.",
                "A resumable upload starts with a POST carrying 'x-goog-resumable: start'.",
            )
            return
        upload_id = secrets.token_urlsafe(24)
        path = self.sandbox._job_dir(job.id) / f"session-{secrets.token_hex(6)}.part"
        path.touch()
        with self.sandbox._jobs.lock:
            job.sessions[upload_id] = UploadSession(upload_id, path)
        location = f"{job.upload_url}&upload_id={upload_id}"
        self._send(201, b"", None, {"Location": location})

    def _session_status(self, job: JobRecord, session: UploadSession) -> None:
        if session.complete:
            self._upload_answer(job)
        elif session.stored:
            self._send(308, headers={"Range": f"bytes=0-{session.stored - 1}"})
        else:
            self._send(308)

    def _upload_chunk(self, job: JobRecord, query: dict[str, str], drop_after: int | None) -> None:
        base = {k: v for k, v in query.items() if k != "upload_id"}
        if not self._signature_ok(base, "POST", "text/plain"):
            return
        self._store_chunk(job, query["upload_id"], drop_after)

    def _store_chunk(self, job: JobRecord, upload_id: str, drop_after: int | None) -> None:
        """One ``PUT`` at a session URI (after the signature check): a chunk or a query."""
        session = job.sessions.get(upload_id)
        if session is None:
            self._discard_body()
            self._transfer_error(404, "NoSuchUpload", "The requested upload was not found.")
            return
        if self._expired(job.upload_expires):
            return
        header = self.headers.get("Content-Range")
        length = self.headers.get("Content-Length")
        if header is None:
            first, last, total = 0, None, None  # the whole file in one PUT
        else:
            m = _CONTENT_RANGE.match(header.strip())
            if not m:
                self._bad_range(f"Cannot parse Content-Range {header!r}.")
                return
            total = None if m.group(3) == "*" else int(m.group(3))
            if m.group(1) is None:  # "bytes */total": a status query
                self._discard_body()
                if total is not None and session.total is None:
                    session.total = total
                self._session_status(job, session)
                return
            first, last = int(m.group(1)), int(m.group(2))
            if last < first or (total is not None and last >= total):
                self._bad_range(f"Content-Range {header!r} is not a valid byte range.")
                return
            if length is not None and int(length) != last - first + 1:
                self._bad_range("Content-Length does not match the Content-Range.")
                return
            final = total is not None and last + 1 == total
            if not final and (last - first + 1) % RESUMABLE_BLOCK:
                self._bad_range("Every chunk except the last must be a multiple of 262144 bytes.")
                return
        if session.complete:
            self._discard_body()
            self._upload_answer(job)
            return
        if first > session.stored:
            self._bad_range(
                f"The chunk starts at byte {first} but only {session.stored} bytes are stored; "
                "query the upload status and resume from there."
            )
            return
        skip = session.stored - first
        received = 0
        kept = bytearray()
        with open(session.path, "ab") as handle:
            for piece in self._body_chunks(limit=drop_after):
                received += len(piece)
                if skip:
                    cut = min(skip, len(piece))
                    piece = piece[cut:]
                    skip -= cut
                if drop_after is not None:
                    kept += piece
                    continue
                handle.write(piece)
                session.stored += len(piece)
            if drop_after is not None:
                keep = len(kept) // RESUMABLE_BLOCK * RESUMABLE_BLOCK
                handle.write(kept[:keep])
                session.stored += keep
                raise Dropped
        if total is not None:
            session.total = total
        whole = header is None or (total is not None and session.stored >= total)
        if whole:
            session.complete = True
            self.sandbox._upload_complete(job, session.path, session.stored)
            self._upload_answer(job)
        else:
            self._session_status(job, session)

    def _bad_range(self, message: str) -> None:
        self._discard_body()
        self._transfer_error(400, "InvalidArgument", "Invalid argument.", message)

    def _download(self, job: JobRecord, query: dict[str, str], drop_after: int | None) -> None:
        if not self._signature_ok(query, "GET", None):
            return
        if self._expired(job.download_expires):
            return
        self._send_results(job, drop_after)

    def _send_results(self, job: JobRecord, drop_after: int | None) -> None:
        """The results file (after the checks), honouring ``Range``."""
        self._discard_body()
        results = self.sandbox._results_path(job.id)
        if job.status != "complete" or not results.exists():
            self._transfer_error(
                404,
                "NoSuchKey",
                "The specified key does not exist.",
                f"The results of job {job.id} are not ready (the job is {job.status}).",
            )
            return
        size = results.stat().st_size
        start, end, status = 0, size - 1, 200
        headers = {"Accept-Ranges": "bytes"}
        wanted = self.headers.get("Range")
        if wanted and size > 0:
            m = _RANGE.match(wanted.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                else:
                    start = max(0, size - int(m.group(2)))
                if start >= size or start > end:
                    self._api_headers = {**self._api_headers, "Content-Range": f"bytes */{size}"}
                    self._transfer_error(
                        416, "InvalidRange", "The requested range cannot be satisfied."
                    )
                    return
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(0, end - start + 1)
        if drop_after is None:
            self._log(status)
        self.send_response(status)
        kind = "application/octet-stream" if self._api_style else "text/plain; charset=utf-8"
        self.send_header("Content-Type", kind)
        for key, value in {**self._api_headers, **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        budget = length if drop_after is None else min(length, drop_after)
        with open(results, "rb") as handle:
            handle.seek(start)
            while budget > 0:
                piece = handle.read(min(CHUNK, budget))
                if not piece:
                    break
                self.wfile.write(piece)
                budget -= len(piece)
        if drop_after is not None:
            self.wfile.flush()
            raise Dropped
