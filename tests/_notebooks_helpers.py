"""Run a tutorial notebook in a real Jupyter kernel and report what it produced.

Used by tests/notebooks/test_notebooks_run.py (in the test process) and by
tests/notebooks/test_binder_env.py (as a script inside the Binder virtual environment, so
that the kernel is that environment's Python)::

    python tests/_notebooks_helpers.py NOTEBOOK WORKDIR [PROBE_FILE]

prints one JSON line: see :func:`summarise`.

The kernel runs with the environment given (the caller removes bearer tokens and points
COMPLIANCE_NB_CACHE_DIR at a temporary folder): a kernel does not see pytest fixtures.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
TOKEN_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")
PROBE_PREFIX = "NOTEBOOK-PROBE "

# What each notebook leaves behind, printed by one extra cell appended before the run.
# The tests compare these facts with what the notebook promises.
PROBES: dict[str, str] = {
    "01_quickstart": """
import json, sys
import polars as _pl
print("NOTEBOOK-PROBE " + json.dumps({
    "python": sys.executable, "package": __import__("compliance_nb").__file__,
    "rows_in": len(df), "rows_checked": len(checked), "rows_clean": len(clean),
    "rows_to_drop": int((checked["compliant"] == False).sum()),
    "saved_rows": _pl.read_parquet("clean_tweets.parquet").height,
    "columns": list(checked.columns),
}))
""",
    "02_your_data": """
import json, sys
print("NOTEBOOK-PROBE " + json.dumps({
    "python": sys.executable, "package": __import__("compliance_nb").__file__,
    "columns": list(checked.columns),
    "same_again": bool(again.drop("compliance_source").equals(checked.drop("compliance_source"))),
    "again_reused": "reused" in str(compliance_report(again)),
    "jsonl_lines_written": summary.lines_written,
    "workdir_removed": not workdir.exists(),  # the notebook's last cell cleans up
    "token_set": any(os.environ.get(v) for v in TOKEN_VARIABLES),
}))
""",
    "03_large_datasets": """
import json, sys
from compliance_nb.jobs.runinfo import recall
info = recall(checked)
print("NOTEBOOK-PROBE " + json.dumps({
    "python": sys.executable, "package": __import__("compliance_nb").__file__,
    "n_ids": ids.height, "rows_checked": checked.height, "rows_background": result.height,
    "jobs": sorted(sum((list(v) for v in info.job_ids.values()), [])) if info else None,
    "resumable": sorted(client.get_job(j).resumable for v in info.job_ids.values() for j in v),
    "folder_removed": not folder.exists(),  # the notebook's last cell cleans up
}))
""",
    "04_reporting": """
import json, sys, os
print("NOTEBOOK-PROBE " + json.dumps({
    "python": sys.executable, "package": __import__("compliance_nb").__file__,
    "report": str(report),
    "distinct_ids": int(checked["id"].dropna().nunique()),
    "files": sorted(f for f in os.listdir(".") if f.startswith("figure_")),
}))
""",
}


def kernel_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """The kernel's environment: this one, minus tokens and settings that change the run."""
    env = {k: v for k, v in os.environ.items() if k not in TOKEN_VARS}
    for name in ("COMPLIANCE_NB_API_URL", "COMPLIANCE_NB_SANDBOX", "MPLBACKEND"):
        env.pop(name, None)  # MPLBACKEND=Agg would hide the charts from the outputs
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_", "BINDER_"))}
    env["COMPLIANCE_NB_CACHE_DIR"] = str(cache_dir)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.update(extra)
    return env


def execute(
    notebook: Path, workdir: Path, env: dict[str, str], *, timeout: int = 600
) -> dict[str, Any]:
    """Execute ``notebook`` (plus its probe cell) with cwd ``workdir``; return the summary.

    Raises nbclient's CellExecutionError when a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    probe = PROBES.get(notebook.stem)
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(probe.strip()))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)
    return summarise(nb)


def _text(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") if isinstance(data, dict) else ""


def summarise(nb: Any) -> dict[str, Any]:
    """What the run produced: the first output's text, every output's text and MIME types
    per cell, and the probe's facts."""
    cells: list[dict[str, Any]] = []
    first_output = None
    probe: dict[str, Any] | None = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts = [_text(o) for o in cell.get("outputs", [])]
        mimes = sorted(
            {m for o in cell.get("outputs", []) for m in (o.get("data") or {})}
            | {o["output_type"] for o in cell.get("outputs", [])}
        )
        for t in texts:
            if t.startswith(PROBE_PREFIX):
                probe = json.loads(t[len(PROBE_PREFIX) :])
        if first_output is None and texts:
            first_output = texts[0]
        cells.append({"source": cell.source, "texts": texts, "mimes": mimes})
    return {"first_output": first_output, "cells": cells, "probe": probe}


if __name__ == "__main__":  # python tests/_notebooks_helpers.py NOTEBOOK WORKDIR
    nb_path, work = Path(sys.argv[1]), Path(sys.argv[2])
    summary = execute(nb_path, work, dict(os.environ))
    print(json.dumps(summary))
