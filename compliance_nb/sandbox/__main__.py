"""``python -m compliance_nb.sandbox``: run the sandbox until Ctrl-C."""

from __future__ import annotations

import sys

from ._cli import serve_cli

if __name__ == "__main__":
    sys.exit(serve_cli())
