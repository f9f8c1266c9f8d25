"""compliance_nb: keep Twitter/X datasets compliant from a notebook.

X's batch compliance API in one call, for pandas and polars::

    from compliance_nb import check_compliance
    checked = df.pipe(check_compliance)                       # Tweet IDs in column "id"
    checked = df.pipe(check_compliance, id_column="author_id", kind="users")

Without a bearer token, everything runs against the built-in sandbox::

    from compliance_nb import Sandbox
    with Sandbox() as sb:
        checked = df.pipe(check_compliance, client=sb.client())

The public names are loaded lazily (on first use), so ``import compliance_nb`` is fast
and does not import pandas, polars or matplotlib until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the client and its model
    "ComplianceClient": ".api.client",
    "Job": ".api.job",
    "ProgressEvent": "._events",
    "ProgressPanel": ".display.panel",
    "read_results": ".jobs.results",
    # the DataFrame pipeline
    "check_compliance": ".frames.check",
    "join_results": ".frames.joins",
    "apply_compliance": ".frames.apply",
    "start_compliance": ".frames.background",
    "ComplianceRun": ".frames.background",
    "apply_compliance_jsonl": ".jsonl.apply",
    # charts and report
    "plot_reasons": ".display.plots",
    "plot_redaction_dates": ".display.plots",
    "plot_availability": ".display.plots",
    "plot_redaction_lag": ".display.plots",
    "compliance_report": ".display.report",
    "ComplianceReport": ".display.report",
    "snowflake_time": ".display.snowflake",
    # the local sandbox server
    "Sandbox": ".sandbox",
    "connect": ".api.connect",
    # errors
    "ComplianceError": "._exceptions",
    "MissingTokenError": "._exceptions",
    "InputError": "._exceptions",
    "IDColumnTypeError": "._exceptions",
    "APIError": "._exceptions",
    "AuthenticationError": "._exceptions",
    "RateLimitError": "._exceptions",
    "ConflictError": "._exceptions",
    "NotFoundError": "._exceptions",
    "TransferError": "._exceptions",
    "UploadError": "._exceptions",
    "UploadWindowExpiredError": "._exceptions",
    "DownloadError": "._exceptions",
    "DownloadWindowExpiredError": "._exceptions",
    "JobError": "._exceptions",
    "JobFailedError": "._exceptions",
    "JobExpiredError": "._exceptions",
    "JobTimeoutError": "._exceptions",
    "JobCancelledError": "._exceptions",
    "JobNotCancellableError": "._exceptions",
    "ResultsFormatError": "._exceptions",
    "LedgerError": "._exceptions",
    "SimulatedResultsWarning": "._exceptions",
    # provenance
    "provenance_metadata": ".jobs.runinfo",
}

__all__ = [
    "APIError",
    "AuthenticationError",
    "ComplianceClient",
    "ComplianceError",
    "ComplianceReport",
    "ComplianceRun",
    "ConflictError",
    "DownloadError",
    "DownloadWindowExpiredError",
    "IDColumnTypeError",
    "InputError",
    "Job",
    "JobCancelledError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobNotCancellableError",
    "JobTimeoutError",
    "LedgerError",
    "MissingTokenError",
    "NotFoundError",
    "ProgressEvent",
    "ProgressPanel",
    "RateLimitError",
    "ResultsFormatError",
    "Sandbox",
    "SimulatedResultsWarning",
    "TransferError",
    "UploadError",
    "UploadWindowExpiredError",
    "__version__",
    "apply_compliance",
    "apply_compliance_jsonl",
    "check_compliance",
    "compliance_report",
    "connect",
    "join_results",
    "plot_availability",
    "plot_reasons",
    "plot_redaction_dates",
    "plot_redaction_lag",
    "provenance_metadata",
    "read_results",
    "snowflake_time",
    "start_compliance",
]  # kept equal to _EXPORTS by tests/test_public_api.py


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compliance_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._events import ProgressEvent
    from ._exceptions import (
        APIError,
        AuthenticationError,
        ComplianceError,
        ConflictError,
        DownloadError,
        DownloadWindowExpiredError,
        IDColumnTypeError,
        InputError,
        JobCancelledError,
        JobError,
        JobExpiredError,
        JobFailedError,
        JobTimeoutError,
        LedgerError,
        MissingTokenError,
        NotFoundError,
        RateLimitError,
        ResultsFormatError,
        SimulatedResultsWarning,
        TransferError,
        UploadError,
        UploadWindowExpiredError,
    )
    from .api.client import ComplianceClient
    from .api.connect import connect
    from .api.job import Job
    from .display.panel import ProgressPanel
    from .display.plots import (
        plot_availability,
        plot_reasons,
        plot_redaction_dates,
        plot_redaction_lag,
    )
    from .display.report import ComplianceReport, compliance_report
    from .display.snowflake import snowflake_time
    from .frames.apply import apply_compliance
    from .frames.background import ComplianceRun, start_compliance
    from .frames.check import check_compliance
    from .frames.joins import join_results
    from .jobs.results import read_results
    from .jobs.runinfo import provenance_metadata
    from .jsonl.apply import apply_compliance_jsonl
    from .sandbox import Sandbox
