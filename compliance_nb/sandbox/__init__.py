"""The local sandbox: X's batch compliance API and its signed storage URLs on 127.0.0.1.

A product of its own: it imports nothing from the client side of ``compliance_nb``
(``Sandbox.client()`` imports the client lazily, inside the method).

>>> from compliance_nb.sandbox import Sandbox
>>> with Sandbox(processing_delay=0) as sb:          # doctest: +SKIP
...     client = sb.client()

From a shell: ``compliance-nb sandbox`` or ``python -m compliance_nb.sandbox``.
"""

from __future__ import annotations

from ._cli import serve_cli
from ._faults import FaultPlan
from ._server import Sandbox

__all__ = ["FaultPlan", "Sandbox", "serve_cli"]
