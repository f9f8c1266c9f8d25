"""Pass 2 of :func:`apply_compliance_jsonl`: write the compliant copy, line by line.

:func:`write_compliant_copy` reads the collection again and writes each line's
compliant version (:func:`~compliance_nb.jsonl.rules.compliant_line`'s rules):
unchanged lines byte for byte, changed lines as compact JSON, dropped lines not at all.
The copy goes to a temporary file that replaces ``destination`` only once it is
complete.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import orjson

from .read import PassMeter, check_paths, line_error, numbered_lines
from .rules import Counts, Editor, Verdicts, is_page
from .summary import JsonlSummary

if TYPE_CHECKING:
    from .._events import CancelToken, ProgressCallback
    from .read import Dumps, Loads

__all__ = ["GZIP_LEVEL", "write_compliant_copy"]

#: gzip level of compressed output (the gzip tool's default: a fair speed/size trade).
GZIP_LEVEL = 6

_WRITE_BATCH = 1 << 22  # bytes of output gathered before one write


def write_compliant_copy(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    verdicts: Verdicts,
    *,
    skip_lines: AbstractSet[int] = frozenset(),
    loads: Loads = orjson.loads,
    dumps: Dumps = orjson.dumps,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> JsonlSummary:
    """Pass 2: write the compliant copy of ``source`` to ``destination``.

    Writes a temporary file in the destination's folder and renames it at the end, so
    ``destination`` is either the old file or the complete copy, never a partial one.
    gzip-compressed when ``destination`` ends with ``.gz``. Lines in ``skip_lines``
    (malformed ones found by pass 1) are left out unparsed. ``loads``/``dumps`` are the
    JSON codec (orjson; the benchmark swaps in the standard library's for comparison).
    ``progress`` receives ``writing`` events over the source file's bytes on disk, the
    last one (100%) once the copy is in place. The returned summary has the line and
    object counts; the ID counts and jobs are filled in by :func:`apply_compliance_jsonl`.
    A cancelled ``cancel`` token stops the pass with :class:`~compliance_nb.JobCancelledError`
    (checked every megabyte); the temporary file is removed and ``destination`` untouched.
    """
    src, dest = check_paths(source, destination)
    summary = JsonlSummary(source=str(src), destination=str(dest))
    counts = Counts()
    editor = Editor(verdicts, counts)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    meter = PassMeter(progress, "writing", src) if progress is not None else None
    try:
        raw_out: BinaryIO = os.fdopen(fd, "wb")
        out: BinaryIO = raw_out
        if dest.name.endswith(".gz"):
            out = gzip.GzipFile(  # type: ignore[assignment]
                filename=dest.name, fileobj=raw_out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
            )
        try:
            batch: list[bytes] = []
            size = 0
            for number, line in numbered_lines(src, meter, cancel):
                if not line:
                    summary.blank_lines += 1
                    continue
                if number in skip_lines:
                    continue
                summary.lines_read += 1
                try:
                    obj = loads(line)
                except ValueError as exc:  # only if the file changed since pass 1
                    raise line_error(src, number, f"not valid JSON ({exc})") from None
                if not isinstance(obj, dict):
                    raise line_error(src, number, "expected a JSON object")
                before = counts.changes
                if is_page(obj):
                    result = editor.page(obj)
                    layout = "pages"
                else:
                    result = obj if editor.object(obj, "data") else None
                    layout = "tweets"
                summary.layouts[layout] = summary.layouts.get(layout, 0) + 1
                if result is None:
                    summary.lines_dropped += 1
                    continue
                text = line if counts.changes == before else dumps(result)
                batch.append(text)
                batch.append(b"\n")
                size += len(text) + 1
                summary.lines_written += 1
                if size >= _WRITE_BATCH:
                    out.write(b"".join(batch))
                    batch, size = [], 0
            out.write(b"".join(batch))
        finally:
            if out is not raw_out:
                out.close()
            raw_out.close()
        shutil.copymode(src, tmp)  # mkstemp makes it private; the copy gets the source's mode
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if meter is not None:
        meter.finish()
    summary.tweets_removed = counts.tweets_removed
    summary.users_removed = counts.users_removed
    summary.geo_scrubbed = counts.geo_scrubbed
    summary.references_stripped = counts.references_stripped
    summary.includes_dropped = counts.includes_dropped
    summary.tweets_without_author = counts.tweets_without_author
    return summary
