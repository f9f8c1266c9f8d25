"""The tutorial notebooks run top to bottom in a real kernel, with no token, against the
built-in sandbox, and show what they promise. The notebooks in the repository are saved
with their outputs cleared."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from _notebooks_helpers import NOTEBOOKS, execute, kernel_env

ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
FAKE_TOKEN = "AAAAAAAAAAAAAAAAAAAAAFakeTokenForNotebookTests0123456789abcdef"


def test_the_four_tutorials_exist():
    names = [p.name for p in ALL_NOTEBOOKS]
    for name in (
        "01_quickstart.ipynb",
        "02_your_data.ipynb",
        "03_large_datasets.ipynb",
        "04_reporting.ipynb",
    ):
        assert name in names


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_saved_with_outputs_cleared(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has saved outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_holds_a_token_in_a_cell(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "AAAAAAAAAAAAAAAAAAAAA" not in text  # the prefix of every App-only token
    assert 'os.environ["X_BEARER_TOKEN"] = "' not in text


def _run(path: Path, tmp_path: Path, **env: str) -> dict:
    work = tmp_path / "work"
    work.mkdir()
    return execute(path, work, kernel_env(tmp_path / "cache", **env)) | {"workdir": work}


def _all_text(result: dict) -> str:
    return "\n".join(t for c in result["cells"] for t in c["texts"])


def _cell(result: dict, fragment: str) -> dict:
    return next(c for c in result["cells"] if fragment in c["source"])


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_a_token_against_the_sandbox(path: Path, tmp_path: Path):
    result = _run(path, tmp_path)
    first = result["first_output"] or ""
    assert "sandbox" in first.lower(), f"first output does not say sandbox: {first!r}"
    probe = result["probe"]
    assert probe is not None, "the probe cell printed nothing"
    # the kernel is this environment's Python, not whatever `python` is on PATH
    assert Path(probe["python"]).resolve() == Path(sys.executable).resolve()
    import compliance_nb

    # the same code as the tests use: this checkout itself (editable install, or `python -m
    # pytest` from the root) or an install of it (`pip install .` copies it to site-packages)
    kernel_pkg = Path(probe["package"]).resolve().parent
    ours = Path(compliance_nb.__file__).resolve().parent
    for name in ("__init__.py", "frames/check.py", "api/client.py", "display/panel.py"):
        assert (kernel_pkg / name).read_bytes() == (ours / name).read_bytes(), name
    assert "Traceback" not in _all_text(result)


@pytest.mark.notebook
@pytest.mark.slow
def test_quickstart_shows_progress_and_charts_and_saves_fewer_rows(tmp_path: Path):
    result = _run(NOTEBOOKS / "01_quickstart.ipynb", tmp_path)
    p = result["probe"]
    assert p["rows_in"] == p["rows_checked"] == 2000
    assert 0 < p["rows_to_drop"] < p["rows_in"]
    assert p["rows_clean"] < p["rows_checked"]
    assert p["saved_rows"] == p["rows_clean"]
    for column in ("compliance_action", "compliance_reason", "compliant"):
        assert column in p["columns"]
    check_cell = _cell(result, "df.pipe(check_compliance")
    assert "application/vnd.jupyter.widget-view+json" in check_cell["mimes"]
    charts_cell = _cell(result, "plot_availability(checked")
    assert "image/png" in charts_cell["mimes"]


@pytest.mark.notebook
@pytest.mark.slow
def test_quickstart_with_a_token_and_the_sandbox_forced_never_shows_the_token(tmp_path: Path):
    result = _run(
        NOTEBOOKS / "01_quickstart.ipynb",
        tmp_path,
        X_BEARER_TOKEN=FAKE_TOKEN,
        COMPLIANCE_NB_SANDBOX="1",
    )
    assert "sandbox" in (result["first_output"] or "").lower()
    assert "X_BEARER_TOKEN" in result["first_output"]  # it says the token is not used
    assert FAKE_TOKEN not in _all_text(result)
    assert FAKE_TOKEN[:12] not in _all_text(result)


@pytest.mark.notebook
@pytest.mark.slow
def test_your_data_skips_the_prompt_and_checks_authors_and_reattaches(tmp_path: Path):
    result = _run(NOTEBOOKS / "02_your_data.ipynb", tmp_path)
    p = result["probe"]
    assert p["token_set"] is False  # the headless run stayed on the sandbox
    assert "compliance_status" in p["columns"]
    assert "user_compliance_reason" in p["columns"]
    assert p["same_again"] is True
    assert p["again_reused"] is True  # the report says the results were reused
    assert p["jsonl_lines_written"] > 0  # the compliant copy of the collection was written
    assert p["workdir_removed"] is True  # and the example files are gone again
    refused = _cell(result, "naive = pd.read_csv")
    assert any("Refused before anything was sent" in t for t in refused["texts"])


@pytest.mark.notebook
@pytest.mark.slow
def test_large_datasets_splits_into_several_jobs(tmp_path: Path):
    result = _run(NOTEBOOKS / "03_large_datasets.ipynb", tmp_path)
    p = result["probe"]
    assert p["n_ids"] == p["rows_checked"] == 1_500_000
    assert p["rows_background"] == 200_000
    assert p["jobs"] is not None and len(p["jobs"]) == 3  # 1.5M IDs, 500k per job
    assert p["resumable"] == [True, True, True]  # ~10 MB per job, above the 8 MiB set
    assert p["folder_removed"] is True  # the example files are gone again


@pytest.mark.notebook
@pytest.mark.slow
def test_reporting_writes_the_report_and_the_figures(tmp_path: Path):
    result = _run(NOTEBOOKS / "04_reporting.ipynb", tmp_path)
    p = result["probe"]
    assert f"{p['distinct_ids']:,}" in p["report"]  # the number of distinct Tweets checked
    for name in (
        "figure_availability.pdf",
        "figure_reasons.pdf",
        "figure_redaction_dates.pdf",
        "figure_redaction_lag.pdf",
        "figure_compliance.pdf",
        "figure_compliance.png",
    ):
        assert name in p["files"]
        assert (result["workdir"] / name).stat().st_size > 1000
