"""Running ``compliance-nb`` as a real process against a sandbox server of the test.

The sandbox runs in the test's process (its ``url`` and ``bearer_token``); the command
reaches it as it would reach X: the token in ``X_BEARER_TOKEN``, the URL in
``COMPLIANCE_NB_API_URL``. The ledger is the test's (``COMPLIANCE_NB_CACHE_DIR``, set by
tests/conftest.py), so a second command sees the jobs of the first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl

TOKEN_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")
#: The ID rule's reason for IDs saved in scientific notation, as docs/reference.md words it.
SCIENTIFIC = (
    "these look like IDs saved as numbers in scientific notation: their last digits are lost; "
    "export them again as text"
)


def cli_env(sandbox: Any = None, **extra: str) -> dict[str, str]:
    """The environment of a command: no token unless ``sandbox`` (then its token and URL)."""
    env = {k: v for k, v in os.environ.items() if k not in (*TOKEN_VARS, "NO_COLOR")}
    env.pop("COMPLIANCE_NB_API_URL", None)
    if sandbox is not None:
        env["X_BEARER_TOKEN"] = sandbox.bearer_token
        env["COMPLIANCE_NB_API_URL"] = sandbox.url
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


_ROOT = str(Path(__file__).resolve().parents[2])


def cli(
    *argv: Any,
    sandbox: Any = None,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m compliance_nb.cli ARGV`` and return what it did (text output)."""
    proc = subprocess.run(
        [sys.executable, "-m", "compliance_nb.cli", *map(str, argv)],
        cwd=cwd,
        env=env if env is not None else cli_env(sandbox),
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("compliance-nb: error:")]


def assert_one_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit status 1, nothing on stdout, and one line on stderr: the error, naming no
    Python argument."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines == error_lines(proc.stderr), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    for python_only in ("errors=", "geo_columns=", "id_column=", "check_compliance(", "df."):
        assert python_only not in lines[0], lines[0]
    return lines[0]


def sample_ids(n: int = 40, seed: int = 11) -> list[str]:
    """Distinct Tweet IDs of the sample dataset (as text)."""
    from compliance_nb.datasets import sample_tweets

    ids = (
        sample_tweets(n, seed=seed, backend="polars")["id"].drop_nulls().unique(maintain_order=True)
    )
    return ids.to_list()


RESULT_COLUMNS = [
    "compliance_action",
    "compliance_reason",
    "compliance_created_at",
    "compliance_redacted_at",
    "compliant",
    "compliance_status",
]


def api_answer(sandbox: Any, ids: list[str], tmp: Path, kind: str = "tweets") -> pl.DataFrame:
    """What the Python API says for ``ids`` (its own ledger: nothing shared with the CLI)."""
    from compliance_nb import check_compliance

    checked = check_compliance(
        pl.DataFrame({"id": ids}),
        kind=kind,
        client=sandbox.client(),
        progress=False,
        ledger_path=tmp / "api_ledger" / "ledger.sqlite3",
    )
    return _comparable(checked, "id")


def _comparable(df: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """The ID column (as ``id``) and the result columns as text, for comparisons across
    formats."""
    return df.select(
        pl.col(id_column).cast(pl.String).alias("id"),
        *[pl.col(c).cast(pl.String) for c in RESULT_COLUMNS],
    )


def cli_answer(path: Path, id_column: str = "id") -> pl.DataFrame:
    """The CLI's output file, read as the comparison wants it."""
    return _comparable(pl.read_parquet(path), id_column)
