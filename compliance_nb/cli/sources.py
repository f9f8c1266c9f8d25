"""Where the commands' input comes from: the format by extension or content, plain or gzip,
a file or standard input (:mod:`.inputs` reads the tables out of it)."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path
from typing import Any, TypeAlias

from .._exceptions import InputError
from ..rules.ids import id_problem

__all__ = [
    "FORMAT_NAMES",
    "GZIP_MAGIC",
    "INPUT_FORMATS",
    "Source",
    "input_format",
    "is_blank",
    "load",
    "open_source",
    "sniff",
]

#: Extensions (before an optional ``.gz``) and the format each means.
INPUT_FORMATS = {
    ".txt": "ids",
    ".ids": "ids",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FORMAT_NAMES = ("ids", "csv", "tsv", "parquet", "jsonl")
GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"


def input_format(path: str, given: str | None = None) -> tuple[str | None, bool]:
    """The format of an input path by its extension, and whether it is gzip-compressed.

    Parameters
    ----------
    path : str
        The path (``-`` for standard input: its format is found from its content).
    given : str, optional
        The format named with ``--format``.

    Returns
    -------
    tuple of (str or None, bool)
        The format (None: to be found from the content), and whether the name ends in
        ``.gz``.

    Raises
    ------
    InputError
        When the extension is none of those known and no format was given.

    Examples
    --------
    >>> input_format("ids.TXT.gz"), input_format("-"), input_format("x.dat", "csv")
    (('ids', True), (None, False), ('csv', False))
    """
    p = Path(path)
    gz = p.suffix.lower() == ".gz"
    if given:
        return given, gz
    if path == "-":
        return None, False
    suffix = (p.with_suffix("") if gz else p).suffix.lower()
    fmt = INPUT_FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(INPUT_FORMATS)
        raise InputError(
            f"Cannot tell the format of the input file {path!r} from its extension: use "
            f"{known} (each also as .gz), or name the format with --format "
            f"({'|'.join(FORMAT_NAMES)})."
        )
    return fmt, gz


def sniff(src: Source) -> str:
    """The format of content with no name: Parquet by its magic bytes, JSON lines by a
    first character ``{``, an ID list when the first line (not a comment) is an ID, else
    CSV or TSV by the separator of the first line.

    >>> [sniff(b) for b in [b"# ids\\n20\\n", b"id,t\\n20,a\\n", b"id\\tt\\n", b'{"id": 1}']]
    ['ids', 'csv', 'tsv', 'jsonl']
    """
    if isinstance(src, Path):
        with open(src, "rb") as fh:
            data = fh.read(65536)
    else:
        data = src[:65536]
    if data[:4] == _PARQUET_MAGIC:
        return "parquet"
    for raw in data.splitlines():
        line = raw.decode("utf-8", "replace").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            return "jsonl"
        if id_problem(line) is None:
            return "ids"
        return "tsv" if "\t" in line and "," not in line else "csv"
    return "ids"


#: What a reader reads: a file on disk (polars maps it; nothing is copied first), or the
#: bytes of standard input or of a decompressed gzip file.
Source: TypeAlias = "Path | bytes"


def open_source(src: Source) -> Any:
    """What polars reads: the path itself, or a new file object over the bytes."""
    return src if isinstance(src, Path) else io.BytesIO(src)


def is_blank(src: Source) -> bool:
    """True for input that holds nothing but white space (polars refuses it)."""
    if isinstance(src, Path):
        size = src.stat().st_size
        return size == 0 or (size < 4096 and not src.read_bytes().strip())
    return not src.strip()


def load(path: str, name: str) -> Source:
    """The input as a reader wants it: a plain file as its path, standard input and gzip
    (recognised by its first bytes, whatever the name) as bytes."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            p = Path(path)
            if not p.exists():
                raise InputError(f"No such input file: {path!r}.")
            if not p.is_file():
                raise InputError(f"The input {path!r} is not a file.")
            with open(p, "rb") as fh:
                if fh.read(2) != GZIP_MAGIC:
                    return p
            data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"Could not read {name}: {exc.strerror or exc}.") from exc
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"Could not decompress {name} (gzip): {exc}.") from exc
    return data
