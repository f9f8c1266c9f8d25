"""Reading a collection file, for both passes of :func:`apply_compliance_jsonl`.

:func:`numbered_lines` yields the lines of a JSON-lines file, gzip-compressed or not
(detected by its first bytes, whatever the name). A :class:`PassMeter` given to it
reports how far the pass is through the file, as ``reading`` or ``writing``
:class:`~compliance_nb.ProgressEvent` objects: over the file's bytes on disk (for a gzip
file, the compressed bytes read so far), at a bounded rate, never once per line.

>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.jsonl"
>>> _ = p.write_bytes(b'{"id": "1"}\\n\\n{"id": "2"}\\n')
>>> events = []
>>> meter = PassMeter(events.append, "reading", p)
>>> [n for n, line in numbered_lines(p, meter) if line]
[1, 3]
>>> meter.finish()
>>> events[-1].message
'reading collection: 25 B of 25 B (100.0%)'
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from .._events import CancelToken, ProgressCallback, ProgressEvent, emit
from .._exceptions import InputError

__all__ = [
    "Dumps",
    "LineError",
    "Loads",
    "PassMeter",
    "check_paths",
    "line_error",
    "numbered_lines",
]

#: The JSON codec of both passes (orjson; the benchmark swaps in the standard library's).
Loads = Callable[[bytes], Any]
Dumps = Callable[[Any], bytes]

_GZIP_MAGIC = b"\x1f\x8b"
_READ_BUFFER = 1 << 20
#: decompressed bytes of lines between two looks at the file position
_CHECK_BYTES = 1 << 20
#: a progress event once this many bytes (or 1% of the file, if more) were read ...
_EVENT_BYTES = 8 << 20
#: ... or once this many seconds passed since the last one
_EVENT_SECONDS = 0.5


class LineError(Exception):
    """A line that is not what the layouts allow; becomes an InputError with its number."""


def line_error(path: Path, number: int, message: str) -> InputError:
    """The InputError for a malformed line: names the file and the line, says what to do."""
    error = InputError(
        f"{path.name}, line {number}: {message}. Fix or remove that line, or pass "
        f"errors='skip' to leave malformed lines out of the copy (they are counted)."
    )
    error.line_number = number  # type: ignore[attr-defined]
    error.path = str(path)  # type: ignore[attr-defined]
    return error


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_paths(source: Any, destination: Any) -> tuple[Path, Path]:
    """``source`` and ``destination`` as paths, or an InputError saying what is wrong."""
    for name, value in (("source", source), ("destination", destination)):
        if not isinstance(value, (str, os.PathLike)):
            raise InputError(f"{name} must be a path (str or pathlib.Path), got {value!r}.")
    src, dest = Path(source).expanduser(), Path(destination).expanduser()
    if not src.is_file():
        raise InputError(f"source {str(src)!r} is not a file: give the collection's path.")
    if dest.is_dir():
        raise InputError(f"destination {str(dest)!r} is a folder: give a file name in it.")
    if not dest.parent.is_dir():
        raise InputError(
            f"destination folder {str(dest.parent)!r} does not exist: create it first."
        )
    if _same_file(src, dest):
        raise InputError(
            "destination is the source file: the source is never modified; "
            "give another path (e.g. 'collection.compliant.jsonl')."
        )
    return src, dest


class PassMeter:
    """Reports one pass's progress through the source file to a progress callback.

    :func:`numbered_lines` calls :meth:`start` when it opens the file and :meth:`check`
    with the file position every ``_CHECK_BYTES`` of lines; an event goes out when
    8 MiB (or 1% of the file, if more) were read or half a second passed since the last
    one. The caller calls :meth:`finish` once the pass is really done (the IDs
    gathered, the copy in place): only that event says 100%.

    Parameters
    ----------
    callback
        receives the events (None: the meter stays silent).
    stage
        ``"reading"`` (pass 1) or ``"writing"`` (pass 2).
    path
        the source file; its size on disk is ``bytes_total``.
    clock
        seconds (``time.monotonic``); tests pass a fake.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        stage: Literal["reading", "writing"],
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.stage = stage
        self.total = os.stat(path).st_size
        self.position = 0
        self._clock = clock
        self._step = max(_EVENT_BYTES, self.total // 100)
        self._last_bytes = 0
        self._last_time = clock()

    def start(self) -> None:
        """The pass begins: a first event at 0 bytes."""
        self.position = 0
        self._send(0, self.total)

    def check(self, position: int) -> None:
        """The pass is at ``position`` bytes of the file; send an event if one is due."""
        self.position = position
        if position >= self.total:
            return  # read ahead to the end: the 100% event is finish()'s
        now = self._clock()
        if position - self._last_bytes >= self._step or now - self._last_time >= _EVENT_SECONDS:
            self._send(position, self.total)

    def finish(self) -> None:
        """The pass is done: the last event, ``bytes_done == bytes_total``."""
        total = max(self.total, self.position)
        self._send(total, total)

    def _send(self, done: int, total: int) -> None:
        from ..display.progress_text import format_bytes

        self._last_bytes, self._last_time = done, self._clock()
        if self.callback is None:
            return
        share = f" ({done / total:.1%})" if total else ""
        message = f"{self.stage} collection: {format_bytes(done)} of {format_bytes(total)}{share}"
        emit(
            self.callback,
            ProgressEvent(self.stage, bytes_done=done, bytes_total=total, message=message),
        )


def numbered_lines(
    path: Path, meter: PassMeter | None = None, cancel: CancelToken | None = None
) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without surrounding white space); blank lines give b"".

    The file is decompressed if it starts with the gzip magic bytes. With a ``meter``,
    the position in the file on disk is reported as the lines go by. With a ``cancel``
    token, :class:`~compliance_nb.JobCancelledError` is raised before the first line and
    then within every megabyte read once the token is cancelled.
    """
    if cancel is not None:
        cancel.raise_if_cancelled()
    with open(path, "rb", buffering=_READ_BUFFER) as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        f: BinaryIO = raw
        if compressed:
            f = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        try:
            if meter is not None:
                meter.start()
            unchecked = 0
            for number, data in enumerate(f, 1):
                line = data.strip()
                if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:].strip()  # a UTF-8 byte order mark
                unchecked += len(data)
                if unchecked >= _CHECK_BYTES:
                    unchecked = 0
                    if meter is not None:
                        meter.check(raw.tell())
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                yield number, line
            if meter is not None:
                meter.check(raw.tell())
        finally:
            if f is not raw:
                f.close()
