"""The warning given when simulated results are applied to a dataset.

Part of the one hierarchy described in :mod:`compliance_nb._exceptions` (a warning, not an
error: nothing stops).
"""

from __future__ import annotations

import warnings

__all__ = ["SimulatedResultsWarning", "warn_simulated"]


class SimulatedResultsWarning(UserWarning):
    """Simulated results (from the compliance_nb sandbox) were applied to a dataset.

    ``apply_compliance`` and ``apply_compliance_jsonl`` give it when the results they
    apply came from the local sandbox, however it was reached: ``connect()`` without a
    token, ``Sandbox().client()``, or a client pointed at a sandbox's URL (the sandbox
    marks every job it returns). The rows it removed say nothing about the real content:
    check again against X's API (set a bearer token) before you publish or delete.

    Turn it into an error with ``warnings.simplefilter("error", SimulatedResultsWarning)``,
    or silence it in a demo with ``warnings.simplefilter("ignore", ...)``.

    Examples
    --------
    >>> import warnings
    >>> from compliance_nb import SimulatedResultsWarning
    >>> from compliance_nb._exceptions import warn_simulated
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_simulated("rows")
    >>> caught[0].category is SimulatedResultsWarning
    True
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    The results applied here are SIMULATED by the compliance_nb sandbox: the rows removed
    or scrubbed say nothing about real content. Check again against X's API (set a bearer
    token) before you publish or delete anything.
    """


def warn_simulated(what: str, stacklevel: int = 3) -> None:
    """Warn (:class:`SimulatedResultsWarning`) that simulated results were applied to
    ``what`` (``"rows"``, ``"Tweets and users"``); worded for Python and the shell alike."""
    warnings.warn(
        "The results applied here are SIMULATED by the compliance_nb sandbox: the "
        f"{what} removed or scrubbed say nothing about real content. Check again against X's API "
        "(set a bearer token) before you publish or delete anything.",
        SimulatedResultsWarning,
        stacklevel=stacklevel,
    )
