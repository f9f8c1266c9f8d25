"""Plumbing shared by the sandbox's routes: answers, request bodies, injected faults.

``HandlerBase`` is a ``BaseHTTPRequestHandler`` speaking HTTP/1.1 (keep-alive). Bodies are
streamed in 1 MiB pieces (Content-Length or chunked); raising :class:`Dropped` ends a
request by closing the connection without an answer.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from . import _problems as problems
from ._faults import Fault

if TYPE_CHECKING:
    from ._server import Sandbox

__all__ = ["CHUNK", "Dropped", "HandlerBase"]

CHUNK = 1 << 20
#: the routes whose bodies a "drop" fault can cut after some bytes
_STREAMED = ("upload", "upload_chunk", "download")


class Dropped(Exception):
    """Raised to end a request by closing the connection without an answer."""


class HandlerBase(BaseHTTPRequestHandler):
    """One connection's requests; the route mixins build on it."""

    protocol_version = "HTTP/1.1"
    server_version = "compliance-nb-sandbox"
    timeout = 120  # idle keep-alive connections end after this many seconds

    # per-request state, set by SandboxHandler._dispatch
    _route: str  # the route name used by the fault plan and requests_log
    _path: str  # the path without a public_url prefix
    _query: dict[str, list[str]]
    _job_id: str | None
    _api_headers: dict[str, str]  # added to every answer (rate-limit headers)
    _drop_answer: bool  # a "drop" fault with processed=True: act, then hang up
    _body_read: bool
    _api_style: bool  # the API's transfer routes: JSON problems, the job in upload answers

    # -- plumbing ---------------------------------------------------------------------

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.connections.discard(self.connection)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox keeps its own ``requests_log``."""

    def _log(self, status: int | None) -> None:
        self.sandbox._log_request(
            {
                "method": self.command,
                "route": self._route,
                "status": status,
                "job_id": self._job_id,
                "dropped": status is None,
                "client_port": self.client_address[1],
                "time": time.time(),  # when it was answered (rate-budget tests)
            }
        )

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self._drop_answer:
            raise Dropped
        self._log(status)  # before answering, so the log order is the order clients see
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in {**self._api_headers, **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        kind = "application/json" if status < 400 else "application/problem+json"
        self._send(status, json.dumps(payload).encode(), kind, headers)

    def _send_xml(self, status: int, code: str, message: str, details: str | None = None) -> None:
        body = problems.storage_error(code, message, details)
        self._send(status, body, "application/xml; charset=UTF-8")

    def _transfer_error(
        self, status: int, code: str, message: str, details: str | None = None
    ) -> None:
        """A refused transfer: storage-style XML, or a problem on the API's own routes."""
        if self._api_style:
            status, body = problems.transfer_problem(
                self.sandbox.problem_host, status, code, details or message
            )
            self._send_json(status, body)
        else:
            self._send_xml(status, code, message, details)

    # -- request bodies ---------------------------------------------------------------

    def _body_chunks(self, limit: int | None = None) -> Iterator[bytes]:
        """The request body in pieces (Content-Length or chunked), at most ``limit`` bytes.

        A body is read once; later calls yield nothing.
        """
        if self._body_read:
            return
        self._body_read = True
        encoding = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in encoding:
            yield from self._chunked(limit)
            return
        remaining = int(self.headers.get("Content-Length") or 0)
        if limit is not None:
            remaining = min(remaining, limit)
        while remaining > 0:
            piece = self.rfile.read(min(CHUNK, remaining))
            if not piece:
                raise ConnectionError("client closed the connection mid-body")
            remaining -= len(piece)
            yield piece

    def _chunked(self, limit: int | None) -> Iterator[bytes]:
        sent = 0
        while True:
            size_line = self.rfile.readline(1024)
            if not size_line:
                raise ConnectionError("client closed the connection mid-body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            remaining = size
            while remaining > 0:
                piece = self.rfile.read(min(CHUNK, remaining))
                if not piece:
                    raise ConnectionError("client closed the connection mid-body")
                remaining -= len(piece)
                if limit is not None and sent + len(piece) > limit:
                    piece = piece[: max(0, limit - sent)]
                    sent += len(piece)
                    if piece:
                        yield piece
                    raise Dropped
                sent += len(piece)
                yield piece
            self.rfile.readline(1024)

    def _discard_body(self) -> None:
        for _ in self._body_chunks():
            pass

    def _read_small_body(self, limit: int = 1 << 20) -> bytes | None:
        declared = int(self.headers.get("Content-Length") or 0)
        if declared > limit:
            self.close_connection = True
            return None
        data = bytearray()
        for piece in self._body_chunks():
            data += piece
            if len(data) > limit:
                self.close_connection = True  # the rest of the body is left unread
                return None
        return bytes(data)

    # -- faults -----------------------------------------------------------------------

    def _take_fault(self, route: str) -> Fault | None:
        return self.sandbox.faults.take(route)

    def _answer_status_fault(self, fault: Fault, api: bool) -> bool:
        """Answer a 429/500/503 fault; True when the request is done."""
        if fault.fault == "429":
            reset = int(time.time() + float(fault.param("reset_after", 2))) + 1
            headers = {
                "x-rate-limit-limit": str(self.sandbox.rate_limit),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            }
            self._discard_body()
            if api or self._api_style:
                self._api_headers.update(headers)
                self._send_json(429, problems.too_many_requests())
            else:
                self._send(
                    429,
                    problems.storage_error("SlowDown", "Please reduce your request rate."),
                    "application/xml; charset=UTF-8",
                    headers,
                )
            return True
        if fault.fault in ("500", "503"):
            status = int(fault.param("status", int(fault.fault)))
            self._discard_body()
            if api or self._api_style:
                title = "Service Unavailable" if status == 503 else "Internal Server Error"
                self._send_json(status, problems.generic(status, title, "Injected fault."))
            else:
                code = "ServiceUnavailable" if status == 503 else "InternalError"
                self._send_xml(status, code, "Injected fault.")
            return True
        if fault.fault == "drop":
            if fault.params.get("processed"):
                self._drop_answer = True  # the request takes effect, its answer is lost
            elif not fault.params.get("after_bytes") or self._route not in _STREAMED:
                raise Dropped
        return False
