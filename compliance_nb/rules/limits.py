"""The limits and thresholds of the API and of compliance_nb, each defined once.

The API's own limits come from X's documentation (the facts are listed in docs/reference.md);
the product's thresholds say why they have the value they have.

>>> RATE_LIMIT, RATE_WINDOW
(150, 900.0)
>>> is_job_id("1421185651106480129"), is_job_id("12a")
(True, False)
"""

from __future__ import annotations

import re

__all__ = [
    "DOWNLOAD_WINDOW",
    "JOB_ID_PATTERN",
    "JOB_NAME_MAX",
    "MAX_IDS_PER_JOB",
    "RATE_LIMIT",
    "RATE_WINDOW",
    "RESUMABLE_CHUNK",
    "RESUMABLE_THRESHOLD",
    "UPLOAD_WINDOW",
    "is_job_id",
]

# -- the API's ---------------------------------------------------------------------------
#: Requests allowed on each compliance route per window, per App.
RATE_LIMIT = 150
#: The rate-limit window, in seconds (15 minutes).
RATE_WINDOW = 900.0
#: Seconds from a job's creation until its upload URL expires (15 minutes).
UPLOAD_WINDOW = 900.0
#: Seconds from a job's creation until its download URL expires (7 days).
DOWNLOAD_WINDOW = 604_800.0
#: A job ID as the API's path parameter pattern has it: 1 to 19 ASCII digits.
JOB_ID_PATTERN = r"[0-9]{1,19}"
#: Resumable upload chunks (all but the last) are multiples of this many bytes.
RESUMABLE_CHUNK = 256 * 1024

# -- compliance_nb's ----------------------------------------------------------------------
#: Upload files larger than this (bytes) use the resumable protocol, so that a cut
#: connection resumes where it stopped; a smaller file is sent again whole, which costs
#: less than the protocol's extra requests against the rate budget.
RESUMABLE_THRESHOLD = 64 * 1024 * 1024
#: The most IDs sent in one job; larger sets are split over several jobs, run one after
#: another. The API documents no maximum; 25 million IDs make an upload file of about 500 MB.
MAX_IDS_PER_JOB = 25_000_000
#: The longest job name compliance_nb gives a job.
JOB_NAME_MAX = 64

_JOB_ID = re.compile(JOB_ID_PATTERN)


def is_job_id(text: str) -> bool:
    """True when ``text`` is a job ID by the API's pattern."""
    return _JOB_ID.fullmatch(text) is not None
