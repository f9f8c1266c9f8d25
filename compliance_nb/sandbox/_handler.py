"""The HTTP request handler: each request goes to the job API or to the storage service.

See ``_api.py`` (``/2/compliance/jobs...``), ``_transfer.py`` (the API's own upload and
download routes, ``/2/compliance/jobs/{id}/upload`` and ``.../download``) and ``_storage.py``
(``/storage/...``); the shared plumbing is in ``_http.py``.
"""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import parse_qs, urlsplit

from . import _problems as problems
from ._api import ApiRoutes
from ._http import Dropped
from ._transfer import TRANSFER_PATH, TransferRoutes

__all__ = ["SandboxHandler"]


class SandboxHandler(ApiRoutes, TransferRoutes):
    """One connection's requests (HTTP/1.1 keep-alive)."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        self._route = "unknown"
        self._drop_answer = False
        self._body_read = False
        self._api_style = False
        self._job_id: str | None = None
        self._api_headers: dict[str, str] = {}
        split = urlsplit(self.path)
        prefix = self.sandbox._path_prefix
        if prefix and (split.path == prefix or split.path.startswith(prefix + "/")):
            split = split._replace(path=split.path[len(prefix) :] or "/")
        self._path = split.path
        self._query = {k: v for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            if TRANSFER_PATH.match(split.path):
                self._transfer_api(method)
            elif split.path.rstrip("/") == "/2/compliance/jobs" or split.path.startswith(
                "/2/compliance/jobs/"
            ):
                self._api(method)
            elif split.path.startswith("/storage/"):
                self._storage(method)
            else:
                self._discard_body()
                self._send_json(404, problems.generic(404, "Not Found", "No such route."))
        except Dropped:
            self._log(None)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
