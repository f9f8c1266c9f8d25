"""The Binder environment: binder/requirements.txt alone builds an environment in which
every tutorial notebook runs, with that environment's own kernel.

This is what repo2docker does on mybinder.org: ``pip install -r binder/requirements.txt``
from the repository root. The build takes a few minutes (it may use the local pip cache;
package registries must be reachable). Set ``COMPLIANCE_NB_SKIP_BINDER=1`` to skip it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _notebooks_helpers import NOTEBOOKS, REPO, kernel_env

BINDER = REPO / "binder"


def test_runtime_pins_python_3_11():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def _requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_install_the_package_and_pin_everything_else():
    lines = _requirement_lines()
    assert "." in lines  # the package itself, from the repository root
    pinned = {}
    for line in lines:
        if line == ".":
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.]*)", line)
        assert match, f"not pinned exactly: {line!r}"
        pinned[match.group(1).lower().replace("_", "-")] = match.group(2)
    for needed in (
        "requests",
        "polars",
        "narwhals",
        "pandas",
        "pyarrow",
        "numpy",
        "ipywidgets",
        "matplotlib",
        "platformdirs",
        "jupyterlab",
        "jupyterlab-widgets",
        "ipykernel",
    ):
        assert needed in pinned, f"{needed} is not pinned in binder/requirements.txt"


def test_requirements_cover_every_runtime_dependency_of_the_package():
    tomllib = pytest.importorskip("tomllib")
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps}
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in _requirement_lines()
        if "==" in line
    }
    assert names <= pinned, f"missing pins: {sorted(names - pinned)}"


def test_readme_has_the_binder_badge_for_the_quickstart():
    readme = (REPO / "README.md").read_text()
    assert (
        "[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/"
        "compliance-nb/compliance_nb/HEAD?labpath=notebooks%2F01_quickstart.ipynb)"
    ) in readme
    assert (NOTEBOOKS / "01_quickstart.ipynb").is_file()


@pytest.fixture(scope="module")
def binder_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("COMPLIANCE_NB_SKIP_BINDER") == "1":
        pytest.skip("COMPLIANCE_NB_SKIP_BINDER=1: not building the Binder environment")
    venv = tmp_path_factory.mktemp("binder") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=REPO,  # as repo2docker: `.` in the file is the repository root
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return python


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.timeout(2400)
def test_every_notebook_runs_in_the_binder_environment(binder_python: Path, tmp_path: Path):
    venv_bin = binder_python.parent
    installed = subprocess.run(
        [str(binder_python), "-c", "import compliance_nb; print(compliance_nb.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert installed.startswith(str(venv_bin.parent)), installed  # not this checkout

    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(notebooks) >= 4
    for notebook in notebooks:
        work = tmp_path / notebook.stem
        work.mkdir()
        env = kernel_env(tmp_path / f"cache-{notebook.stem}")
        env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv_bin.parent)
        env.pop("PYTHONPATH", None)
        proc = subprocess.run(
            [str(binder_python), str(REPO / "tests" / "_notebooks_helpers.py"), notebook, work],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert proc.returncode == 0, f"{notebook.name} failed:\n{proc.stderr[-4000:]}"
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        assert "sandbox" in (summary["first_output"] or "").lower(), notebook.name
        probe = summary["probe"]
        assert probe is not None, notebook.name
        # the kernel ran the Binder environment's Python, with the package installed there
        assert Path(probe["python"]).parent == venv_bin, probe["python"]
        assert probe["package"].startswith(str(venv_bin.parent)), probe["package"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_readme_demo_command_works_in_the_fresh_environment(
    binder_python: Path, tmp_path: Path
):
    """`pip install . && compliance-nb demo`: the console script of the fresh install."""
    script = binder_python.parent / "compliance-nb"
    env = kernel_env(tmp_path / "cache")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [str(script), "demo", "--n", "300"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SIMULATED" in proc.stdout
    assert (tmp_path / "compliance_nb_demo" / "checked.parquet").is_file()
