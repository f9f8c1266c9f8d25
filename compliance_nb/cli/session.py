"""The client a command talks to: the X API (with the token from the environment) or the
built-in sandbox (``--sandbox``)."""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import TYPE_CHECKING, Any

from .._exceptions import InputError

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = ["Session", "ThrowawayCache", "real_client", "sandbox_client"]


def _api_url(args: argparse.Namespace) -> str | None:
    url = getattr(args, "api_url", None) or os.environ.get("COMPLIANCE_NB_API_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--api-url must start with http:// or https://, got {url!r}.")
    return url.rstrip("/")


def _has_sandbox(args: argparse.Namespace) -> bool:
    return hasattr(args, "sandbox")


def real_client(args: argparse.Namespace) -> ComplianceClient:
    """A client for the API at --api-url / COMPLIANCE_NB_API_URL with the env token.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``api_url``, and ``sandbox`` on commands that offer it).

    Returns
    -------
    ComplianceClient
        The client.

    Raises
    ------
    MissingTokenError
        When no bearer token is set.
    InputError
        When the API URL is not an http(s) URL.
    """
    from .._exceptions import MissingTokenError
    from ..api.client import ComplianceClient
    from ..api.session import token_from_env

    token, _ = token_from_env()
    if token is None:
        raise MissingTokenError(
            "No bearer token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN, BEARER_TOKEN)"
            + (", or add --sandbox to use the built-in sandbox." if _has_sandbox(args) else ".")
        )
    return ComplianceClient(bearer_token=token, base_url=_api_url(args))


def sandbox_client(sb: Any) -> ComplianceClient:
    """The sandbox's client, marked so that the report says the results are SIMULATED.

    Parameters
    ----------
    sb : Sandbox
        A started sandbox.

    Returns
    -------
    ComplianceClient
        Its client, with ``is_sandbox`` set.
    """
    client: ComplianceClient = sb.client()
    client.is_sandbox = True
    return client


class Session:
    """The client a command uses, and the sandbox behind it when there is one.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: ``--sandbox`` starts the built-in sandbox, otherwise the
        client is :func:`real_client`'s.
    delay : float
        With ``--sandbox``: seconds each job spends processing.

    Attributes
    ----------
    client : ComplianceClient
        The client to use.
    where : str
        What the client talks to, as the summary names it.
    """

    def __init__(self, args: argparse.Namespace, *, delay: float = 0.5) -> None:
        self._sandbox: Any = None
        self._cache: ThrowawayCache | None = None
        if getattr(args, "sandbox", False):
            from ..sandbox import Sandbox

            self._cache = ThrowawayCache().start()
            self._sandbox = Sandbox(processing_delay=delay).start()
            self.client = sandbox_client(self._sandbox)
            self.where = (
                f"the built-in sandbox at {self._sandbox.url} (SIMULATED results, not real X data)"
            )
        else:
            self.client = real_client(args)
            self.where = f"the X API at {self.client.base_url}"

    def close(self) -> None:
        """Stop the sandbox, if one was started."""
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        if self._cache is not None:
            self._cache.stop()
            self._cache = None


class ThrowawayCache:
    """While the built-in sandbox of one command runs: a temporary cache folder for the
    ledger, its results and the request budget. The sandbox's jobs end with the command,
    so nothing of them belongs in the user's own cache.

    >>> import os
    >>> cache = ThrowawayCache().start()
    >>> folder = os.environ["COMPLIANCE_NB_CACHE_DIR"]
    >>> cache.stop()
    >>> os.path.exists(folder), os.environ.get("COMPLIANCE_NB_CACHE_DIR") == folder
    (False, False)
    """

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._before: str | None = None

    def start(self) -> ThrowawayCache:
        """Point the cache at a new temporary folder; return self."""
        from .._cachedir import CACHE_DIR_ENV_VAR

        self._tmp = tempfile.TemporaryDirectory(prefix="compliance_nb_sandbox_cache_")
        self._before = os.environ.get(CACHE_DIR_ENV_VAR)
        os.environ[CACHE_DIR_ENV_VAR] = self._tmp.name
        return self

    def stop(self) -> None:
        """Point the cache back where it was, and remove the temporary folder."""
        from .._cachedir import CACHE_DIR_ENV_VAR

        if self._tmp is None:
            return
        if self._before is None:
            os.environ.pop(CACHE_DIR_ENV_VAR, None)
        else:
            os.environ[CACHE_DIR_ENV_VAR] = self._before
        self._tmp.cleanup()
        self._tmp = None
