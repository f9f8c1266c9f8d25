"""``connect()``: one call that gives a notebook a working client, token or not.

With a bearer token in the environment (``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN`` or
``BEARER_TOKEN``, first one set wins) you get a client for the real X API. Without one,
or with ``COMPLIANCE_NB_SANDBOX=1``, you get a client for the built-in sandbox: a local
server that behaves like the API and returns SIMULATED results. The sandbox is started
once per process and stopped when the interpreter exits.

>>> client = connect(sandbox=True, verbose=False, processing_delay=0)
>>> client.base_url.startswith("http://127.0.0.1:")
True

The one line ``connect()`` prints says which of the two you got. It never shows the token.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Any

from .._exceptions import TOKEN_ENV_VARS, MissingTokenError
from .session import token_from_env

if TYPE_CHECKING:
    from .client import ComplianceClient

__all__ = ["connect"]

SANDBOX_ENV_VAR = "COMPLIANCE_NB_SANDBOX"

# processing_delay -> the running Sandbox for it (one per delay, started on first use)
_sandboxes: dict[float, Any] = {}
_lock = threading.Lock()


def _sandbox_forced_by_env() -> bool:
    return os.environ.get(SANDBOX_ENV_VAR, "").strip() == "1"


def _shared_sandbox(processing_delay: float) -> Any:
    """The process-wide sandbox for this processing delay, started on first use."""
    from ..sandbox import Sandbox

    key = float(processing_delay)
    with _lock:
        sb = _sandboxes.get(key)
        if sb is None:
            sb = Sandbox(processing_delay=key).start()
            _sandboxes[key] = sb
            atexit.register(_stop, key)
        return sb


def _stop(key: float) -> None:
    with _lock:
        sb = _sandboxes.pop(key, None)
    if sb is not None:
        sb.stop()


def connect(
    *,
    sandbox: bool | None = None,
    verbose: bool = True,
    processing_delay: float = 2.0,
) -> ComplianceClient:
    """A client for the real X API when a token is set, else for the built-in sandbox.

    Parameters
    ----------
    sandbox : bool, optional
        ``None`` (default) decides from the environment: the real API when a bearer
        token is set and ``COMPLIANCE_NB_SANDBOX`` is not ``1``, else the sandbox.
        ``True`` always uses the sandbox; ``False`` always the real API (and raises
        :class:`~compliance_nb.MissingTokenError` without a token).
    verbose : bool
        Print one line saying which one is used (the token is never shown).
    processing_delay : float
        For the sandbox, seconds a job spends ``in_progress``, so the progress display
        has something to show. Ignored for the real API.

    Returns
    -------
    ComplianceClient
        A client of the real API (at ``COMPLIANCE_NB_API_URL`` when set, else
        ``https://api.x.com``), or of the sandbox, started once per process and
        stopped when the interpreter exits.

    Raises
    ------
    MissingTokenError
        ``sandbox=False`` without a bearer token.

    Examples
    --------
    >>> client = connect(sandbox=True, processing_delay=0)   # doctest: +ELLIPSIS
    Using the built-in sandbox at http://127.0.0.1:...: results are SIMULATED, ...
    >>> client.is_sandbox
    True
    >>> client.base_url.startswith("http://127.0.0.1:")  # this process's own sandbox
    True
    """
    token, var = token_from_env()
    use_sandbox = (
        bool(sandbox) if sandbox is not None else token is None or _sandbox_forced_by_env()
    )

    if not use_sandbox:
        if token is None:
            raise MissingTokenError(
                "connect(sandbox=False) needs a bearer token: set one of the environment "
                "variables " + ", ".join(TOKEN_ENV_VARS) + " (see notebooks/02_your_data.ipynb "
                "for a hidden prompt), or call connect() to use the built-in sandbox."
            )
        from .client import ComplianceClient

        client = ComplianceClient(bearer_token=token)
        if verbose:
            print(f"Using the X API at {client.base_url} (token from {var}).")
        return client

    sb = _shared_sandbox(processing_delay)
    client = sb.client()
    client.is_sandbox = True  # the report then says the results are SIMULATED
    if verbose:
        if token is not None:
            why = (
                f"{SANDBOX_ENV_VAR}=1 is set"
                if sandbox is None
                else "connect(sandbox=True) was asked for"
            )
            hint = f"The token in {var} is not used because {why}."
        else:
            hint = "Set X_BEARER_TOKEN to use the real API."
        print(
            f"Using the built-in sandbox at {sb.url}: results are SIMULATED, "
            f"not real X data. {hint}"
        )
    return client
