"""The sandbox's command line: ``compliance-nb sandbox`` delegates to :func:`serve_cli`.

>>> serve_cli(["--help"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import shlex

from ._urls import TRANSFER_URL_MODES

__all__ = ["serve_cli"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compliance-nb sandbox",
        description="Run a local server that behaves like X's batch compliance API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    parser.add_argument("--public-url", default=None, help="base URL to hand out (behind a proxy)")
    parser.add_argument(
        "--delay", type=float, default=3.0, help="seconds from upload to complete (default 3)"
    )
    parser.add_argument("--seed", type=int, default=0, help="oracle seed (default 0)")
    parser.add_argument("--token", default=None, help="bearer token to accept (default: random)")
    parser.add_argument(
        "--transfer-urls",
        choices=TRANSFER_URL_MODES,
        default="storage",
        help="the upload/download URLs jobs hand out: signed storage URLs (default) or the "
        "API host's own /2/compliance/jobs/{id}/upload and /download routes",
    )
    return parser


def serve_cli(argv: list[str] | None = None) -> int:
    """Parse ``argv``, print the URL and token, and serve until Ctrl-C or SIGTERM."""
    from ._server import Sandbox

    args = _parser().parse_args(argv)
    if args.delay < 0:
        _parser().error("--delay must be >= 0")
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        processing_delay=args.delay,
        seed=args.seed,
        bearer_token=args.token,
        transfer_urls=args.transfer_urls,
    ).start()
    lines = [
        "compliance_nb sandbox: X's batch compliance API on this machine",
        f"API URL: {sandbox.url}",
        f"Bearer token: {sandbox.bearer_token}",
        f"Upload and download URLs: {sandbox.transfer_urls}",
        "Use it from a shell or a notebook started from that shell:",
        f"  export COMPLIANCE_NB_API_URL={shlex.quote(sandbox.url)} "
        f"X_BEARER_TOKEN={shlex.quote(sandbox.bearer_token)}",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    sandbox.serve_forever()
    print("sandbox stopped", flush=True)
    return 0
