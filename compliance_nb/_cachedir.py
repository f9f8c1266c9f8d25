"""Where compliance_nb keeps what it remembers on this machine (shared by every layer).

The job ledger and its results (:mod:`compliance_nb.jobs.ledger`) and the request budget
that every process of one App shares (:mod:`compliance_nb.api.sharedbudget`) live here.

>>> isinstance(default_cache_dir(), __import__("pathlib").Path)
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_DIR_ENV_VAR", "default_cache_dir"]

CACHE_DIR_ENV_VAR = "COMPLIANCE_NB_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$COMPLIANCE_NB_CACHE_DIR`` if set, else the platform's user cache folder."""
    env = os.environ.get(CACHE_DIR_ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("compliance_nb"))
