"""Every error compliance_nb raises, in one hierarchy.

Catch :class:`ComplianceError` to catch them all. Errors about bad input also
subclass the matching built-in (``ValueError`` or ``TypeError``), so ordinary
``except ValueError`` code keeps working.

The tree::

    ComplianceError
    ├── MissingTokenError              no bearer token in the arguments or environment
    ├── InputError (+ ValueError)      bad IDs, bad kind, bad job ID, bad column, ...
    │   └── IDColumnTypeError (+ TypeError)   a float (or other unusable) ID column
    ├── APIError                       the API answered with an error (status, type, title, detail)
    │   ├── AuthenticationError        401 / 403
    │   ├── RateLimitError             429, carries ``reset_at``
    │   ├── ConflictError              a job of this type is already running
    │   └── NotFoundError              no such job
    ├── TransferError                  the signed storage URLs; carries ``status`` and ``code``
    │   ├── UploadError                the IDs could not be uploaded
    │   │   └── UploadWindowExpiredError
    │   └── DownloadError              the results could not be downloaded
    │       └── DownloadWindowExpiredError
    ├── JobError                       a job ended badly; carries ``job``
    │   ├── JobFailedError             status ``failed``; carries the job's ``error`` text
    │   ├── JobExpiredError            status ``expired``
    │   ├── JobTimeoutError            ``wait(timeout=...)`` or ``run.result(timeout=...)`` ran out
    │   ├── JobCancelledError          cancelled by the user (``run.cancel()``)
    │   └── JobNotCancellableError     ``cancel_job`` on a job that had already ended
    ├── ResultsFormatError (+ ValueError)  a malformed results line; carries ``line_number``
    └── LedgerError                    the local job ledger could not be read or written

    SimulatedResultsWarning (+ UserWarning)   a warning: simulated (sandbox) results were
                                              applied to a dataset

No message ever contains the bearer token or the signature part of a signed URL.
"""

from __future__ import annotations

from .api import APIError, AuthenticationError, ConflictError, NotFoundError, RateLimitError
from .base import TOKEN_ENV_VARS as TOKEN_ENV_VARS
from .base import (
    ComplianceError,
    IDColumnTypeError,
    InputError,
    LedgerError,
    MissingTokenError,
    ResultsFormatError,
)
from .jobs import (
    JobCancelledError,
    JobError,
    JobExpiredError,
    JobFailedError,
    JobNotCancellableError,
    JobTimeoutError,
)
from .simulated import SimulatedResultsWarning, warn_simulated
from .transfer import (
    DownloadError,
    DownloadWindowExpiredError,
    TransferError,
    UploadError,
    UploadWindowExpiredError,
)

__all__ = [
    "APIError",
    "AuthenticationError",
    "ComplianceError",
    "ConflictError",
    "DownloadError",
    "DownloadWindowExpiredError",
    "IDColumnTypeError",
    "InputError",
    "JobCancelledError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobNotCancellableError",
    "JobTimeoutError",
    "LedgerError",
    "MissingTokenError",
    "NotFoundError",
    "RateLimitError",
    "ResultsFormatError",
    "SimulatedResultsWarning",
    "TransferError",
    "UploadError",
    "UploadWindowExpiredError",
]

# They are public as compliance_nb.<Name>: tracebacks and reprs say so, not the module
# that happens to define them.
for _name in __all__:
    globals()[_name].__module__ = "compliance_nb"
del _name

__all__ += ["warn_simulated"]  # internal helper, not renamed above
