"""``compliance-nb sandbox``: the sandbox API server in the foreground."""

from __future__ import annotations

import argparse

__all__ = ["cmd_sandbox"]


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Hand the options on to the sandbox's own command line and serve until Ctrl-C.

    Parameters
    ----------
    args : argparse.Namespace
        ``port``, ``host``, ``public_url``, ``delay``, ``seed``, ``token`` and
        ``transfer_urls`` (each may be None: the sandbox's default).

    Returns
    -------
    int
        The sandbox's exit status.
    """
    from ..sandbox import serve_cli

    argv: list[str] = []
    for flag, value in (
        ("--port", args.port),
        ("--host", args.host),
        ("--public-url", args.public_url),
        ("--delay", args.delay),
        ("--seed", args.seed),
        ("--token", args.token),
        ("--transfer-urls", getattr(args, "transfer_urls", None)),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return int(serve_cli(argv) or 0)
