"""The client a command talks to: the X API (with the token from the environment) or the
built-in sandbox (``--sandbox``)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from .._exceptions import InputError

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = ["Session", "real_client", "sandbox_client"]


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
        if getattr(args, "sandbox", False):
            from ..sandbox import Sandbox

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
