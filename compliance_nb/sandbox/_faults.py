"""Fault injection for the sandbox: make the next N matching requests misbehave.

Routes: ``"create"``, ``"get"``, ``"list"``, ``"cancel"`` (the job API), ``"upload"``
(single PUT), ``"upload_start"`` (resumable POST), ``"upload_chunk"`` (resumable PUT),
``"download"`` and ``"processing"`` (what happens after an upload completes). The transfer
routes name the same step at either URL shape: the storage URLs and the API's own upload
and download routes (``transfer_urls="api"``); there the status faults answer as problems.

Faults and their parameters:

==================  ==========================================================================
``"429"``           answer 429 with ``x-rate-limit-remaining: 0`` and a reset ``reset_after``
                    seconds ahead (default 2). API and storage routes.
``"500"``/``"503"`` answer with that status (``status=`` overrides it). API and storage routes.
``"drop"``          close the connection without an answer. With ``processed=True`` the
                    request takes effect first and only the answer is lost (a job is created,
                    an upload is stored). With ``after_bytes=n`` (storage routes): on
                    ``download`` send the headers and ``n`` body bytes first; on uploads read
                    ``n`` body bytes first (a resumable chunk keeps the whole 256 KiB blocks
                    among them, as GCS does).
``"fail"``          ``processing`` only: the job fails with ``error=`` (a default text).
``"slow"``          ``processing`` only: processing takes ``seconds=`` (default 5).
``"expire_upload"`` the job's upload window ends now (on ``create``: the new job's window; on
                    an upload route: the window of the job being uploaded to).
==================  ==========================================================================

>>> plan = FaultPlan()
>>> _ = plan.add("get", "503", times=2)
>>> plan.take("get").fault, plan.take("get").fault, plan.take("get")
('503', '503', None)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULTS", "ROUTES", "Fault", "FaultPlan"]

ROUTES = (
    "create",
    "get",
    "list",
    "cancel",
    "upload",
    "upload_start",
    "upload_chunk",
    "download",
    "processing",
)
FAULTS = ("429", "500", "503", "drop", "fail", "expire_upload", "slow")
_PROCESSING_ONLY = {"fail", "slow"}
_UPLOAD_WINDOW_ROUTES = {"create", "upload", "upload_start", "upload_chunk"}


@dataclass
class Fault:
    """One planned fault: ``fault`` on the next ``times`` requests to ``route``."""

    route: str
    fault: str
    times: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


class FaultPlan:
    """The queue of planned faults of one sandbox (thread-safe).

    ``add`` plans a fault, ``take`` (called by the server) consumes one use of the first
    fault planned for a route, ``fired`` lists what was applied, ``clear`` forgets the plan.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[Fault] = []
        self.fired: list[Fault] = []

    def add(self, route: str, fault: str, times: int = 1, **params: Any) -> Fault:
        """Plan ``fault`` for the next ``times`` requests to ``route``.

        >>> FaultPlan().add("download", "drop", after_bytes=100).params
        {'after_bytes': 100}
        """
        fault = str(fault)
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; use one of {', '.join(ROUTES)}")
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; use one of {', '.join(FAULTS)}")
        if (fault in _PROCESSING_ONLY) != (route == "processing") and fault != "expire_upload":
            raise ValueError(
                f"fault {fault!r} does not apply to route {route!r}: 'fail' and 'slow' are "
                "for 'processing', which takes only those (and 'expire_upload' is not one)"
            )
        if fault == "expire_upload" and route not in _UPLOAD_WINDOW_ROUTES:
            raise ValueError(
                "'expire_upload' applies to 'create', 'upload', 'upload_start' or 'upload_chunk'"
            )
        if times < 1:
            raise ValueError("times must be at least 1")
        planned = Fault(route, fault, int(times), dict(params))
        with self._lock:
            self._planned.append(planned)
        return planned

    def take(self, route: str) -> Fault | None:
        """Consume one use of the first fault planned for ``route`` (None if there is none)."""
        with self._lock:
            for planned in self._planned:
                if planned.route == route:
                    planned.times -= 1
                    if planned.times <= 0:
                        self._planned.remove(planned)
                    self.fired.append(planned)
                    return planned
        return None

    def pending(self) -> list[Fault]:
        """The faults still planned."""
        with self._lock:
            return list(self._planned)

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._planned.clear()
