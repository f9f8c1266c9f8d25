"""``python -m compliance_nb.cli``: the same as the ``compliance-nb`` command."""

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
