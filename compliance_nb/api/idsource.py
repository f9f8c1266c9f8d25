"""ID sources for an upload, checked against the ID rule before any byte is sent.

A job's upload file is newline-separated decimal IDs. :func:`prepare_ids` takes what a
caller has (an iterable of IDs, a path to a text file with one ID per line, or a binary
file object), checks every item or line with the ID rule of :mod:`compliance_nb.rules.ids`
(this module is where the API layer applies it) and returns an :class:`UploadBody` that
streams the IDs from where they are. IDs written otherwise than the API wants them (such as
``" 007"``) are sent in canonical form (``7``); the first item or line that is no ID is
named in an :class:`~compliance_nb._exceptions.InputError`.

Files are checked block by block (:class:`_IDValidator`): a block that holds only canonical
IDs, what nearly every source is, is checked with vectorised operations and sent as it is.

Examples
--------
>>> body = prepare_ids([20, "1265324480517361664"])
>>> body.size, body.count
(22, 2)
>>> prepare_ids([" 007", "20"]).data
b'7\\n20'
>>> prepare_ids(["12", "x1"])
Traceback (most recent call last):
...
compliance_nb.InputError: ID number 2 is not an ID (not decimal digits): 'x1'. ...
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from .._exceptions import InputError
from ..rules.ids import MAX_DIGITS, MAX_ID, RULE, canonical_id

__all__ = ["UploadBody", "prepare_ids"]

_MAX_ID_BYTES = str(MAX_ID).encode()
#: Bytes read at a time from a file of IDs while it is checked.
_READ_BLOCK = 8 * 1024 * 1024
_NOT_ID_BYTES = b"0123456789\n"
_NO_IDS = (
    "There are no IDs to upload: the input is empty. Give at least one Tweet or user ID, "
    "one per line."
)


@dataclass
class UploadBody:
    """A validated ID file, ready to send: newline-separated decimal IDs.

    Exactly one of ``path``, ``data`` and ``fileobj`` says where the IDs are.

    Parameters
    ----------
    size : int
        The file's size in bytes.
    count : int
        The number of lines (IDs).
    path : Path, optional
        A file on disk (streamed, never read whole).
    data : bytes, optional
        The bytes themselves.
    fileobj : binary file, optional
        A caller's seekable binary file; the IDs start at byte ``start``.
    start : int
        Where the IDs start in ``fileobj``.
    temporary : bool
        ``path`` was made here and is removed by :meth:`close`.

    Examples
    --------
    >>> body = UploadBody(size=5, count=2, data=b"20\\n21")
    >>> with body.open() as f:
    ...     f.read()
    b'20\\n21'
    """

    size: int
    count: int
    path: Path | None = None
    data: bytes | None = None
    fileobj: IO[bytes] | None = None
    start: int = 0
    temporary: bool = False

    def open(self) -> IO[bytes]:
        """A binary file positioned at the first byte of the IDs."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is not None:
            return open(self.path, "rb")
        assert self.fileobj is not None
        self.fileobj.seek(self.start)
        return cast("IO[bytes]", _NoClose(self.fileobj))

    def close(self) -> None:
        """Remove the temporary file made for the IDs, if any."""
        if self.temporary and self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


class _FileView(io.RawIOBase):
    """A view of a binary file: reads, seeks and tells go to it; closing closes it."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f

    def read(self, n: int | None = -1) -> bytes:
        return self._f.read(-1 if n is None else n)

    def readable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def close(self) -> None:
        self._f.close()
        super().close()


class _NoClose(_FileView):
    """A view of the caller's file object that does not close it."""

    def close(self) -> None:  # the caller owns the file
        pass


class _IDValidator:
    """Checks ID text block by block against the ID rule (:mod:`compliance_nb.rules.ids`).

    Feed it bytes with :meth:`feed`; it keeps an incomplete last line for the next block
    and returns the block's complete lines as the API wants them (one canonical decimal ID
    per line). A block of canonical IDs, what nearly every source holds, is checked with
    vectorised operations and returned as it is; only a block that is not is read line by
    line, to name the first line that is no ID or to write valid ones in canonical form
    (surrounding white space and leading zeros dropped). :attr:`changed` says whether any
    line was rewritten.
    """

    def __init__(self, label: str = "line") -> None:
        self.label = label
        self.lines = 0  # complete lines checked so far
        self.size = 0  # bytes read
        self.changed = False
        self._carry = b""

    def feed(self, block: bytes) -> bytes:
        self.size += len(block)
        data = self._carry + block if self._carry else block
        cut = data.rfind(b"\n") + 1
        self._carry = data[cut:]
        if len(self._carry) > 4096:  # a "line" this long is no ID; fail now, not at EOF
            self._check(self._carry + b"\n")
        return self._check(data[:cut]) if cut else b""

    def finish(self) -> bytes:
        """Check the last line (which need not end with a newline); return it checked."""
        out = b""
        if self._carry:
            out = self._check(self._carry + b"\n")
            self._carry = b""
        if self.lines == 0:
            raise InputError(_NO_IDS)
        return out

    def _check(self, block: bytes) -> bytes:
        """``block`` is whole lines, each ending with a newline."""
        if _canonical_lines(block):
            self.lines += block.count(b"\n")
            return block
        out = []
        for offset, line in enumerate(block.split(b"\n")[:-1], start=1):
            text = line.decode("utf-8", "replace")
            try:
                out.append(canonical_id(text))
            except ValueError as exc:
                number = self.lines + offset
                shown = text[:60] + ("…" if len(text) > 60 else "")
                raise InputError(
                    f"{self.label[0].upper()}{self.label[1:]} {number} is not an ID ({exc}): "
                    f"{shown!r}. {RULE}. Give one ID per line, with no header."
                ) from None
        self.lines += len(out)
        self.changed = True
        return ("\n".join(out) + "\n").encode()


def _canonical_lines(block: bytes) -> bool:
    """True when every line of ``block`` (whole lines) is an ID written as the API wants
    it: 1 to 19 ASCII digits, no leading zero, at most :data:`MAX_ID`. Vectorised."""
    if block.translate(None, _NOT_ID_BYTES):  # something besides digits and newlines
        return False
    arr = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    lengths = np.diff(newlines, prepend=-1) - 1
    starts = newlines - lengths
    longest = int(lengths.max())
    return not (
        int(lengths.min()) < 1  # a blank line
        or longest > MAX_DIGITS
        or bool(np.any(arr[starts] == 48))  # a leading zero, or zero itself
        or (
            longest == MAX_DIGITS
            and any(block[s : s + MAX_DIGITS] > _MAX_ID_BYTES for s in starts[lengths == 19])
        )
    )


def _item_lines(items: Iterable[Any]) -> bytes:
    """Items of an iterable as canonical ID lines; InputError naming the first non-ID."""
    out = []
    for number, item in enumerate(items, start=1):
        try:
            out.append(canonical_id(item))
        except ValueError as exc:
            hint = (
                " Floats cannot hold Tweet IDs exactly; read the IDs as strings or integers."
                if isinstance(item, float) or type(item).__name__.startswith("float")
                else ""
            )
            shown = repr(item)[:60]
            raise InputError(
                f"ID number {number} is not an ID ({exc}): {shown}. {RULE}.{hint}"
            ) from None
    if not out:
        raise InputError(_NO_IDS)
    return "\n".join(out).encode()


def prepare_ids(source: Any) -> UploadBody:
    """Validate an ID source and return an :class:`UploadBody`; nothing is sent.

    Parameters
    ----------
    source : iterable, path or binary file
        An iterable of IDs (``int`` or decimal ``str``), a path to a text file with one ID
        per line, a binary file object (``open(path, "rb")``), or an :class:`UploadBody`
        (returned as it is).

    Returns
    -------
    UploadBody
        The IDs in canonical form, one a line; a file that needed no rewriting is sent
        from where it is.

    Raises
    ------
    InputError
        Naming the first bad line (or item) and showing it; or the source is empty, raw
        bytes, a text-mode file or not a source of IDs at all.

    Examples
    --------
    >>> prepare_ids(["20", 1265324480517361664]).count
    2
    >>> prepare_ids([])
    Traceback (most recent call last):
    ...
    compliance_nb.InputError: There are no IDs to upload: the input is empty. ...
    """
    if isinstance(source, UploadBody):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"{str(source)[:200]!r} is not a file. Give a path to a file with one ID per "
                "line, or a list of IDs."
            )
        validator = _IDValidator("line")
        with open(path, "rb") as f:
            while block := f.read(_READ_BLOCK):
                validator.feed(block)
        validator.finish()
        if validator.changed:  # send the IDs as the API wants them, not the file as it is
            with open(path, "rb") as f:
                return _rewritten(f)
        return UploadBody(size=validator.size, count=validator.lines, path=path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise InputError(
            "Give the IDs as a list, a path or a binary file object, not as raw bytes."
        )
    if hasattr(source, "read"):
        return _prepare_fileobj(source)
    if not isinstance(source, Iterable):
        raise InputError(
            f"Cannot upload a {type(source).__name__}: give an iterable of IDs, a path, or a "
            "binary file object."
        )
    return _prepare_iterable(source)


def _join_ints(values: Any) -> str | None:
    """Integers (a list of int or an integer array) as decimal lines, in Rust; None when
    some value is negative or too large (the slow path then names it)."""
    import polars as pl

    try:
        series = pl.Series(values, dtype=pl.UInt64, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        return None
    if series.null_count():
        return None
    return series.cast(pl.String).str.join("\n").item() or ""


def _prepare_iterable(source: Iterable[Any]) -> UploadBody:
    text: str | None = None
    if isinstance(source, np.ndarray) and source.dtype.kind in "iu":
        text = _join_ints(source)
        items: list[Any] = source.tolist()
    else:
        items = source if isinstance(source, list) else list(source)
        kinds = set(map(type, items))
        if kinds == {int}:
            text = _join_ints(items)
        elif kinds == {str}:
            text = "\n".join(items)  # joined in C, checked vectorised below
    if text is not None:  # the fast path: every item already an ID as the API wants it
        data = text.encode("utf-8")
        validator = _IDValidator("ID number")
        with contextlib.suppress(InputError):  # the item-by-item path names the item
            validator.feed(data)
            validator.finish()
            if not validator.changed and data.count(b"\n") == len(items) - 1:
                return UploadBody(size=len(data), count=len(items), data=data)
    data = _item_lines(items)
    return UploadBody(size=len(data), count=data.count(b"\n") + 1, data=data)


def _rewritten(f: IO[bytes]) -> UploadBody:
    """A temporary file of the canonical ID lines of ``f`` (read from where it is)."""
    validator = _IDValidator("line")
    tmp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on disk
        prefix="compliance_nb-ids-", suffix=".txt", delete=False
    )
    try:
        with tmp:
            while block := f.read(_READ_BLOCK):
                tmp.write(validator.feed(block))
            tmp.write(validator.finish())
            size = tmp.tell()
    except BaseException:
        os.unlink(tmp.name)
        raise
    return UploadBody(size=size, count=validator.lines, path=Path(tmp.name), temporary=True)


def _prepare_fileobj(f: Any) -> UploadBody:
    probe = f.read(0)
    if not isinstance(probe, bytes):
        raise InputError("The file object is in text mode; open it in binary mode ('rb').")
    seekable = getattr(f, "seekable", lambda: False)()
    if not seekable:  # a pipe, a socket: copied to a temporary file while validated
        return _rewritten(f)
    validator = _IDValidator("line")
    start = f.tell()
    while block := f.read(_READ_BLOCK):
        validator.feed(block)
    validator.finish()
    f.seek(start)
    if validator.changed:
        body = _rewritten(f)
        f.seek(start)
        return body
    return UploadBody(size=validator.size, count=validator.lines, fileobj=f, start=start)
