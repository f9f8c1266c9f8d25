"""The root of the hierarchy and the errors about the caller's own input and files.

Part of the one hierarchy described in :mod:`compliance_nb._exceptions`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ComplianceError",
    "IDColumnTypeError",
    "InputError",
    "LedgerError",
    "MissingTokenError",
    "ResultsFormatError",
]

#: The environment variables that may hold the bearer token, the first one set wins.
TOKEN_ENV_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")


class ComplianceError(Exception):
    """Base class of every error raised by compliance_nb.

    Nothing in compliance_nb raises this class itself: it raises one of the
    subclasses below it. Catch it to handle every failure of a compliance run in one
    place; the message says what went wrong and what to do next.

    See Also
    --------
    InputError : The input cannot be used; nothing was sent.
    APIError : The X API answered with an error.
    JobError : A job ended without results.

    Examples
    --------
    Every error of the package is a ``ComplianceError``:

    >>> from compliance_nb import ComplianceError, JobTimeoutError
    >>> try:
    ...     raise JobTimeoutError("Job 1 is still in_progress after 60 s; it goes on.")
    ... except ComplianceError as exc:
    ...     print(type(exc).__name__, "-", exc)
    JobTimeoutError - Job 1 is still in_progress after 60 s; it goes on.
    """


class MissingTokenError(ComplianceError):
    """No bearer token was given and none was found in the environment.

    Raised before any request is sent (by a :class:`ComplianceClient` call,
    ``connect(sandbox=False)``, :func:`check_compliance` or the command line), when
    no ``bearer_token=...`` was passed and none of the environment variables
    ``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN`` or ``BEARER_TOKEN`` is set. Pass the
    app's bearer token, set one of those variables, or try the package without a token
    against the built-in :class:`Sandbox`.

    Parameters
    ----------
    message : str, optional
        The message; by default one that names the environment variables and the
        sandbox.

    Examples
    --------
    >>> from compliance_nb import MissingTokenError
    >>> message = str(MissingTokenError())
    >>> message.startswith("No bearer token")
    True
    >>> "X_BEARER_TOKEN" in message and "Sandbox" in message
    True
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "No bearer token: pass bearer_token=... to ComplianceClient, or set one of the "
            "environment variables "
            + ", ".join(TOKEN_ENV_VARS)
            + ". Without a token, use the "
            "built-in sandbox: `with compliance_nb.Sandbox() as sb: client = sb.client()`."
        )


class InputError(ComplianceError, ValueError):
    """Input that cannot be used as given; nothing was sent or written.

    Raised before anything reaches the API or the disk: IDs that are not Tweet or
    user IDs, a ``kind`` other than ``"tweets"`` or ``"users"``, a malformed job ID,
    a missing ID column, a bad command-line option, and the like. Fix the input as the
    message says and call again. It is also a :class:`ValueError`, so existing
    ``except ValueError`` code catches it.

    See Also
    --------
    IDColumnTypeError : The ID column's type cannot hold IDs.

    Examples
    --------
    >>> from compliance_nb import InputError
    >>> issubclass(InputError, ValueError)
    True
    >>> try:
    ...     raise InputError("kind must be 'tweets' or 'users', got 'posts'.")
    ... except ValueError as exc:
    ...     print(exc)
    kind must be 'tweets' or 'users', got 'posts'.
    """


class IDColumnTypeError(InputError, TypeError):
    """The ID column has a type that cannot hold Twitter IDs exactly (e.g. float).

    Raised when the frame's ID column holds floating-point numbers, decimals, bytes
    or another type that is neither integers nor text. Tweet IDs above 2**53 (every
    one since about 2014) are already corrupted in a float column, so they cannot be
    sent: read the IDs as text (for example ``dtype={"id": str}`` in pandas) and call
    again. It is an :class:`InputError` and also a :class:`TypeError`.

    Examples
    --------
    >>> from compliance_nb import IDColumnTypeError, InputError
    >>> issubclass(IDColumnTypeError, InputError), issubclass(IDColumnTypeError, TypeError)
    (True, True)
    >>> issubclass(IDColumnTypeError, ValueError)
    True

    Why a float column cannot be used: two different Tweet IDs become the same float.

    >>> float(1460323737035677698) == float(1460323737035677697)
    True
    """


class ResultsFormatError(ComplianceError, ValueError):
    """A results file has a line that is not a valid result; ``line_number`` is 1-based.

    Raised by :func:`read_results` and while results download, when a line is not a
    JSON object, has no ``id`` or an ``id`` that is not an ID, a text field that is not
    text, or a timestamp that cannot be read. The message names the line and shows
    its start. Check that the file is the results file of a compliance job, whole and
    unedited. It is also a :class:`ValueError`.

    Parameters
    ----------
    message : str
        What went wrong, naming the file and the line.
    line_number : int, optional
        The 1-based number of the first bad line, when known.
    path : str or os.PathLike, optional
        The results file.

    Attributes
    ----------
    line_number : int or None
        The 1-based number of the first bad line, when known.
    path : str or os.PathLike or None
        The results file.

    Examples
    --------
    >>> from compliance_nb import ResultsFormatError
    >>> err = ResultsFormatError(
    ...     "Line 3 of results.jsonl is not a valid result: not JSON.",
    ...     line_number=3,
    ...     path="results.jsonl",
    ... )
    >>> err.line_number, err.path, isinstance(err, ValueError)
    (3, 'results.jsonl', True)
    """

    def __init__(self, message: str, *, line_number: int | None = None, path: Any = None):
        super().__init__(message)
        self.line_number = line_number
        self.path = path


class LedgerError(ComplianceError):
    """The local job ledger could not be read or written.

    The ledger is the SQLite file where compliance_nb records its jobs and keeps
    their results, so that a run can reattach to its jobs and reuse results. Raised
    when that file or the results folder cannot be opened, read or written, or holds
    no results for a job it lists. Set ``COMPLIANCE_NB_CACHE_DIR`` (or pass
    ``ledger_path=...``) to keep the ledger in a writable place.

    Examples
    --------
    >>> from compliance_nb import ComplianceError, LedgerError
    >>> err = LedgerError("Cannot open the job ledger at /readonly/ledger.sqlite3: denied.")
    >>> isinstance(err, ComplianceError), isinstance(err, OSError)
    (True, False)
    """
