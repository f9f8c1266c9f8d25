"""Results files: JSON lines from a finished job -> polars DataFrames.

A results file has one JSON object per line, one line per ID that needs action::

    {"id":"1265324480517361664","action":"delete","created_at":"2019-10-29T17:02:47.000Z",
     "redacted_at":"2020-07-29T17:02:47.000Z","reason":"deleted"}

:func:`read_results` turns a file into a frame with one row per line;
:func:`~compliance_nb.jobs.collapse.collapse_results` then keeps one row per ID (the rule
is in docs/architecture.md).

>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "results.json"
>>> _ = p.write_text('{"id":"20","action":"delete","reason":"deleted",'
...                  '"created_at":"2013-03-26T02:46:15+00:00"}\\n')
>>> read_results(p).select("id", "reason").rows()
[('20', 'deleted')]
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import polars as pl

from .._exceptions import ResultsFormatError
from .._timestamps import parse_timestamps
from ..rules.ids import MAX_DIGITS, MAX_ID, id_problem

__all__ = [
    "COMPACT_SCHEMA",
    "RESULTS_SCHEMA",
    "ResultsParser",
    "read_results",
    "read_results_compact",
]

_UTC = pl.Datetime("us", "UTC")

#: Columns of a results frame and their polars dtypes.
RESULTS_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "action": pl.String,
    "reason": pl.String,
    "created_at": _UTC,
    "redacted_at": _UTC,
}

#: What the compact reader gives (IDs as numbers, actions and reasons as categories).
COMPACT_SCHEMA: dict[str, Any] = {
    **RESULTS_SCHEMA,
    "id": pl.UInt64,
    "action": pl.Categorical,
    "reason": pl.Categorical,
}


_STRING_FIELDS = ("id", "action", "reason", "created_at", "redacted_at")
_TIMESTAMP_FIELDS = ("created_at", "redacted_at")
#: What polars is asked to read: every known field as text.
_TEXT_SCHEMA: dict[str, Any] = {c: pl.String for c in _STRING_FIELDS}
#: The same, but ``action`` and ``reason`` as Categorical: polars then refuses a value
#: that is not a string (as String it turns ``7`` into ``"7"``). Used where the pre-check
#: below cannot see every such value, since it is slower to read.
_STRICT_SCHEMA: dict[str, Any] = {
    **_TEXT_SCHEMA,
    "action": pl.Categorical,
    "reason": pl.Categorical,
}

# Pre-checks for values that are not strings, which polars would read as text (``5`` as
# ``"5"``): a key followed by something that starts neither a string nor null. They may
# also hit text inside a string or a nested object; the exact per-line check then decides.
# Without blanks in the data (the API's compact JSON) the colon comes right after the key
# and the value right after the colon: one cheap pattern finds them all.
_NOT_TEXT_COMPACT = re.compile(rb'":[^"n]')
# With blanks, the value may follow the colon after some ...
_SUSPECT_VALUE = re.compile(rb'":\s*[^"\sn]')
# ... and the colon may follow the key after some: this is looked for only for ``id``
# (a wrong type there would pass every later check); ``action``/``reason`` are then read
# with :data:`_STRICT_SCHEMA`, and timestamps of any other type cannot be read anyway.
_ID_NOT_TEXT = re.compile(rb'"id"\s*:\s*[^"\sn]')
_BLANKS = (b" ", b"\t", b"\r")
#: Bytes of a results file parsed at a time (whole lines; a longer line is read whole).
#: 2 MB: the blocks held at once (read ahead, being parsed) are what the peak memory
#: gains from a larger results file, so blocks stay small; much smaller ones parse
#: markedly slower, larger ones barely faster.
READ_BLOCK = 2 * 1024 * 1024
#: Blocks parsed at the same time (a second core shortens the parse),
#: and blocks read ahead of the parsed ones: at most this many blocks are held as text.
_READ_THREADS = 2
_READ_AHEAD = 3


def _has_blanks(data: bytes) -> bool:
    """True if ``data`` has a space, tab or carriage return (each a memchr: cheap)."""
    return any(blank in data for blank in _BLANKS)


def _is_suspect(data: bytes, blanks: bool) -> bool:
    """True if a line of ``data`` (whole lines; ``blanks``: as :func:`_has_blanks` says)
    may hold a value that is not a string."""
    if blanks:
        return bool(_SUSPECT_VALUE.search(data) or _ID_NOT_TEXT.search(data))
    return _NOT_TEXT_COMPACT.search(data) is not None


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULTS_SCHEMA)


def read_results(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a results file (JSON lines) into a polars DataFrame, one row per line.

    Blank lines are skipped; unknown ``action``/``reason`` values are kept as they are;
    extra fields are ignored. The file is read in blocks of lines (:data:`READ_BLOCK`
    bytes), two parsed at a time, so only a few blocks are ever held as text.
    :func:`~compliance_nb.jobs.collapse.collapse_results` then picks one line per ID.

    Parameters
    ----------
    path : str or os.PathLike
        The results file, as downloaded from a job's ``download_url``.

    Returns
    -------
    polars.DataFrame
        Columns ``id``, ``action``, ``reason`` (String) and ``created_at``,
        ``redacted_at`` (``Datetime("us", "UTC")``, null where the line has none).

    Raises
    ------
    ResultsFormatError
        A line is not a JSON object, has no decimal ``id``, has a field of the wrong type
        or a timestamp that cannot be read. Its ``line_number`` is 1-based.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "results.json"
    >>> lines = [
    ...     '{"id": "20", "action": "delete", "reason": "deleted",'
    ...     ' "created_at": "2006-03-21T20:50:14.000Z", "redacted_at": "2021-08-01T00:00:00.000Z"}',
    ...     '{"id": "1265324480517361664", "action": "delete", "reason": "protected"}',
    ... ]
    >>> _ = path.write_text("\\n".join(lines))
    >>> results = read_results(path)
    >>> results.select("id", "reason").rows()
    [('20', 'deleted'), ('1265324480517361664', 'protected')]
    >>> results["redacted_at"].to_list()
    [datetime.datetime(2021, 8, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), None]
    >>> folder.cleanup()
    """
    return _read(path, compact=False)


def read_results_compact(path: str | os.PathLike[str]) -> pl.DataFrame:
    """:func:`read_results` for the job engine: the same checks and rows, but ``id`` as
    UInt64 and ``action``/``reason`` as Categorical (fewer bytes a row)."""
    return _read(path, compact=True)


def _empty_compact() -> pl.DataFrame:
    return pl.DataFrame(schema=COMPACT_SCHEMA)


def _read(path: str | os.PathLike[str], *, compact: bool) -> pl.DataFrame:
    with ResultsParser(path, compact=compact) as parser, open(path, "rb") as f:
        while block := f.read(READ_BLOCK):
            parser.feed(block)
        return parser.finish()


class ResultsParser:
    """Parses a results file from its bytes as they come (read from disk, or while it
    downloads): :meth:`feed` them in file order, then :meth:`finish`.

    Whole lines are parsed in blocks of :data:`READ_BLOCK` bytes, two blocks at a time in
    threads (polars and numpy let go of the GIL), at most ``_READ_AHEAD`` blocks held as
    text; the blocks' frames are joined in file order. With ``on_block``, each block's
    frame goes to it instead, in file order, on the thread that feeds (a download that
    starts over hands its blocks over again), and :meth:`finish` returns no rows;
    ``prepare`` is applied to each block's frame in the parsing thread first, and
    ``on_block`` gets what it returns.
    ``path`` is the file the bytes are (or will be) in, named in errors. Use it as a
    context manager so that its threads stop on errors.

    >>> with ResultsParser("r.json") as parser:
    ...     parser.feed(b'{"id":"20","action":"delete","reason":"dele')
    ...     parser.feed(b'ted"}\\n')
    ...     parser.finish().select("id", "reason").rows()
    [('20', 'deleted')]
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        compact: bool = False,
        on_block: Callable[[Any], None] | None = None,
        prepare: Callable[[pl.DataFrame], Any] | None = None,
    ) -> None:
        self.path = path
        self.compact = compact
        self.on_block = on_block
        self.prepare = prepare
        self._pool = ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="compliance_nb-read")
        self._pending: deque[Future[Any]] = deque()  # blocks handed to threads
        self.restart()

    def restart(self) -> None:
        """Forget the bytes fed so far (a download that starts over)."""
        self._cancel()
        self._held: list[bytes] = []  # fed, not yet a whole block
        self._held_size = 0
        self._pending.clear()
        self._parts: list[pl.DataFrame] = []
        self._lines = 0  # lines in the blocks handed out so far

    def feed(self, data: bytes) -> None:
        """The next bytes of the file (any size; a block goes to a thread when whole
        lines of :data:`READ_BLOCK` bytes are here)."""
        if not data:
            return
        self._held.append(data)
        self._held_size += len(data)
        if self._held_size >= READ_BLOCK:
            text = b"".join(self._held)
            cut = text.rfind(b"\n") + 1
            self._held = [text[cut:]] if cut < len(text) else []
            self._held_size = len(text) - cut
            if cut:
                self._submit(text[:cut] if cut < len(text) else text)

    def finish(self) -> pl.DataFrame:
        """All rows, in file order (none with ``on_block``). Raises
        :class:`ResultsFormatError` naming the first bad line."""
        if self._held_size:
            self._submit(b"".join(self._held))
            self._held, self._held_size = [], 0
        while self._pending:
            self._collect_oldest()
        self.close()
        empty = _empty_compact() if self.compact else _empty()
        parts, self._parts = self._parts, []
        if not parts:
            return empty
        return pl.concat(parts) if len(parts) > 1 else parts[0]

    def close(self) -> None:
        """Stop the threads (blocks not started are dropped)."""
        self._cancel()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> ResultsParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, block: bytes) -> None:
        if len(self._pending) >= _READ_AHEAD:
            self._collect_oldest()
        first_line = self._lines + 1
        self._lines += block.count(b"\n")
        self._pending.append(self._pool.submit(self._parse, block, first_line))

    def _parse(self, block: bytes, first_line: int) -> Any:
        parsed = _parse_block(block, self.path, first_line, compact=self.compact)
        return parsed if self.prepare is None else self.prepare(parsed)

    def _collect_oldest(self) -> None:
        parsed = self._pending.popleft().result()  # a block's error: the first bad line
        if self.on_block is not None:
            self.on_block(parsed)
        elif parsed.height:
            self._parts.append(parsed)

    def _cancel(self) -> None:
        for future in self._pending:
            future.cancel()
        for future in self._pending:
            if not future.cancelled():
                future.exception()  # wait for it; its error no longer matters


def _parse_block(
    source: bytes, path: str | os.PathLike[str], first_line: int, *, compact: bool
) -> pl.DataFrame:
    """Parse a block of complete lines of a results file (the first is line
    ``first_line`` of the file) into the results frame (``compact``: IDs as UInt64,
    actions and reasons as Categorical); any error names the first bad line."""
    if not source or source.isspace():
        return _empty_compact() if compact else _empty()
    blanks = _has_blanks(source)
    if _is_suspect(source, blanks):  # rare: check line by line
        _raise_first_bad_line(source, path, first_line)
    try:
        raw = pl.read_ndjson(source, schema=_STRICT_SCHEMA if blanks else _TEXT_SCHEMA)
    except Exception as error:  # polars raises ComputeError / SchemaError / others
        _raise_first_bad_line(source, path, first_line)
        raise ResultsFormatError(
            f"{os.fspath(path)} is not a valid results file ({type(error).__name__}: {error}).",
            path=path,
        ) from error
    return _checked(raw, source, path, first_line, compact=compact)


def _checked(
    raw: pl.DataFrame,
    source: bytes,
    path: str | os.PathLike[str],
    first_line: int,
    *,
    compact: bool,
) -> pl.DataFrame:
    """The results frame from what polars read of ``source``, after the checks of every
    ``id`` and timestamp; on a failure, the first bad line is named."""
    ids = raw.get_column("id")
    numbers = ids.cast(pl.UInt64, strict=False)
    stamps = {c: parse_timestamps(raw.get_column(c)) for c in _TIMESTAMP_FIELDS}
    unreadable = any(stamps[c].null_count() > raw.get_column(c).null_count() for c in stamps)
    if unreadable or _has_bad_id(ids, numbers):
        _raise_first_bad_line(source, path, first_line)
        raise ResultsFormatError(f"{os.fspath(path)} has a malformed line.", path=path)
    text_type = pl.Categorical if compact else pl.String
    columns = [numbers if compact else ids]
    columns += [raw.get_column(c).cast(text_type) for c in ("action", "reason")]
    columns += [stamps[c] for c in _TIMESTAMP_FIELDS]
    return pl.DataFrame(columns)


def _has_bad_id(ids: pl.Series, numbers: pl.Series) -> bool:
    """True if an ID is missing or not an ID by the one rule (:mod:`compliance_nb.rules.ids`;
    X writes IDs without white space, so none is allowed here).

    ``numbers`` is ``ids`` cast to UInt64 (not strictly): that cast takes exactly an
    optional ``+`` and ASCII digits, and gives null when the value does not fit (a test
    holds polars to this), so a non-null number from 1 to MAX_ID with no ``+`` and at
    most MAX_DIGITS characters is an ID."""
    if numbers.null_count():  # missing, not a number, or above 2**64 - 1
        return True
    lowest, highest = numbers.min(), numbers.max()
    if not (isinstance(lowest, int) and lowest >= 1 and isinstance(highest, int)):
        return True
    too_long = ids.str.len_bytes() > MAX_DIGITS
    return bool(highest > MAX_ID or ids.str.starts_with("+").any() or too_long.any())


def _raise_first_bad_line(data: bytes, path: Any, first_line: int = 1) -> None:
    """Scan line by line (slow path, only after a failure) and raise for the first bad line
    (``data`` starts at line ``first_line`` of the file).

    Returns normally if every line is fine.
    """
    from ..api.job import parse_timestamp

    name = os.fspath(path)
    for number, line in enumerate(data.split(b"\n"), start=first_line):
        if not line.strip():
            continue
        shown = line[:200].decode("utf-8", "replace")

        def fail(why: str, number: int = number, shown: str = shown) -> None:
            raise ResultsFormatError(
                f"Line {number} of {name} is not a valid result: {why}. The line: {shown!r}",
                line_number=number,
                path=path,
            )

        try:
            obj = json.loads(line)
        except ValueError:
            fail("it is not JSON")
        if not isinstance(obj, dict):
            fail("it is not a JSON object")
        for key in _STRING_FIELDS:
            value = obj.get(key)
            if value is not None and not isinstance(value, str):
                fail(f"{key!r} should be a string, not {type(value).__name__}")
        ident = obj.get("id")
        if ident is None or not str(ident).strip():
            fail("it has no 'id'")
        why = id_problem(ident) or ("" if ident.isdigit() else "it has white space")
        if why:
            fail(f"'id' {ident!r} is not an ID ({why})")
        for key in _TIMESTAMP_FIELDS:
            if obj.get(key):
                try:
                    parse_timestamp(obj[key])
                except ValueError:
                    fail(f"{key!r} {obj[key]!r} is not a timestamp")
