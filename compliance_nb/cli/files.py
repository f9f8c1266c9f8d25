"""What the commands write: tables by extension, never over their input, never half done.

Output formats by extension: ``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``/``.ndjson``, and
``.csv.gz``, ``.tsv.gz``, ``.jsonl.gz``. An existing output file is replaced only with
``--force``, and never when it is one of the command's input files (by any path that
leads to it: a symlink, ``./x.csv`` or an absolute path). A file is written to a
temporary name beside it and renamed when complete, so a failure leaves no half-written
output and an existing file untouched.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._exceptions import InputError

__all__ = [
    "OUTPUT_FORMATS",
    "check_destination",
    "check_writable",
    "output_format",
    "write_frame",
]

OUTPUT_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def output_format(path: Path) -> tuple[str, bool]:
    """The format of an output file by its extension, and whether it is gzip.

    Parameters
    ----------
    path : Path
        The output file.

    Returns
    -------
    tuple of (str, bool)
        ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"jsonl"``, and whether it ends in ``.gz``.

    Raises
    ------
    InputError
        For any other extension (and for ``.parquet.gz``: Parquet compresses itself).

    Examples
    --------
    >>> output_format(Path("checked.CSV.gz"))
    ('csv', True)
    """
    gz = path.suffix.lower() == ".gz"
    fmt = OUTPUT_FORMATS.get((path.with_suffix("") if gz else path).suffix.lower())
    if fmt is None or (gz and fmt == "parquet"):
        raise InputError(
            f"Cannot tell the format of the output file {str(path)!r} from its extension: "
            "use .csv, .tsv, .parquet, .jsonl or .ndjson (.csv.gz, .tsv.gz and .jsonl.gz "
            "for gzip)."
        )
    return fmt, gz


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_destination(dest: Path, sources: Sequence[str], *, force: bool, flag: str) -> None:
    """Refuse, before any work, an output that is an input or that exists without --force.

    Parameters
    ----------
    dest : Path
        The output file.
    sources : sequence of str
        The command's input files (``-``, standard input, is skipped).
    force : bool
        ``--force``: an existing output may be replaced.
    flag : str
        How the command line names the output (``-o``), for the messages.

    Raises
    ------
    InputError
        When ``dest`` is an input file, a folder, or exists without ``force``.
    """
    output_format(dest)
    for source in sources:
        if source != "-" and dest.exists() and _same_file(Path(source), dest):
            raise InputError(
                f"{flag} {str(dest)!r} is the input file: the input is never overwritten. "
                "Name another output file."
            )
    refuse_overwrite(dest, force=force, flag=flag)


def refuse_overwrite(dest: Path, *, force: bool, flag: str) -> None:
    """Refuse an output that is a folder, or that exists without ``--force``.

    >>> refuse_overwrite(Path("no such file.jsonl"), force=False, flag="-o")
    """
    if dest.is_dir():
        raise InputError(f"{flag} {str(dest)!r} is a folder: name a file.")
    if dest.exists() and not force:
        raise InputError(
            f"{flag} {str(dest)!r} exists already: add --force to replace it, or name another file."
        )


def check_writable(df: Any, dest: Path) -> None:
    """Refuse, before any job, a frame the output format cannot hold (nested columns in a
    CSV or TSV file).

    Parameters
    ----------
    df : polars.DataFrame
        The frame that will be written.
    dest : Path
        Where it will be written.

    Raises
    ------
    InputError
        When ``dest`` is a CSV or TSV file and ``df`` has nested columns.
    """
    fmt, _ = output_format(dest)
    if fmt not in ("csv", "tsv"):
        return
    nested = [name for name, dtype in df.schema.items() if dtype.is_nested()]
    if nested:
        raise InputError(
            f"{fmt.upper()} cannot hold the nested column(s) {', '.join(map(repr, nested))}: "
            "write to .parquet or .jsonl instead."
        )


def write_frame(df: Any, path: Path) -> None:
    """Write a polars frame in the format of ``path``'s extension, making its folder; the
    file appears complete or not at all (written beside it, then renamed).

    Parameters
    ----------
    df : polars.DataFrame
        The frame.
    path : Path
        Where to write (see :func:`output_format`).

    Examples
    --------
    >>> import polars as pl, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "out.tsv.gz"
    >>> write_frame(pl.DataFrame({"id": ["20"]}), p)
    >>> gzip.decompress(p.read_bytes())
    b'id\\n20\\n'
    """
    fmt, gz = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with open(tmp, "wb") as raw:
            fh: Any = gzip.GzipFile(fileobj=raw, mode="wb") if gz else raw
            try:
                if fmt == "csv":
                    df.write_csv(fh)
                elif fmt == "tsv":
                    df.write_csv(fh, separator="\t")
                elif fmt == "jsonl":
                    df.write_ndjson(fh)
                else:  # with the run's provenance in the file's key-value metadata too
                    from ..jobs.runinfo import provenance_metadata

                    df.write_parquet(fh, metadata=provenance_metadata(df) or None)
            finally:
                if gz:
                    fh.close()
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
