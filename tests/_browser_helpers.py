"""Helpers for the browser tests: a throw-away JupyterLab server and Playwright steps.

The browser tests open a notebook in JupyterLab in headless Chromium, run it the way a
user does (Run menu -> Run All Cells) and look at what the page shows. The pieces:

* :func:`browser_skip_reason` says why the tests cannot run here (no Chromium, no
  Playwright, no JupyterLab), or None.
* :func:`run_jupyterlab` starts JupyterLab on 127.0.0.1 with a random token and every
  Jupyter/IPython folder in a temporary directory, and stops it (and every process it
  started, kernels included) afterwards.
* :func:`launch_chromium` starts Debian's ``/usr/bin/chromium`` through Playwright.
* :func:`open_notebook`, :func:`run_all_cells`, :func:`wait_until_finished`,
  :func:`error_texts`, :func:`rendered_image_widths` drive and read the page.

Example::

    with run_jupyterlab(tmp_path) as lab, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        open_notebook(page, lab, "demo.ipynb")
        run_all_cells(page)
        wait_until_finished(page, timeout_s=60)
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Flags that keep Chromium quiet on a machine without internet access.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"
# The notebook in the visible tab (hidden tabs keep their cells in the page).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
# Screenshots for a person to look at: outside the repository (nothing is written into it),
# in COMPLIANCE_NB_TEST_ARTIFACTS when set, else in the system's temporary folder.
ARTIFACTS_DIR = Path(
    os.environ.get("COMPLIANCE_NB_TEST_ARTIFACTS")
    or Path(tempfile.gettempdir()) / "compliance_nb-test-artifacts"
)

# Environment variables that must not reach the notebook's kernel (same list as
# tests/conftest.py: no real token, no real API URL, no forced sandbox; MPLBACKEND=Agg
# would hide the inline charts).
_DROPPED_ENV = (
    "X_BEARER_TOKEN",
    "TWITTER_BEARER_TOKEN",
    "BEARER_TOKEN",
    "COMPLIANCE_NB_API_URL",
    "COMPLIANCE_NB_SANDBOX",
    "MPLBACKEND",
    "JUPYTER_PATH",
    "JUPYTER_CONFIG_PATH",
)

# Lab settings written into the temporary user settings folder.
_LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # Every cell stays in the page, so a cell far down is found without scrolling.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No news, no update checks, no toasts over the page.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (install it with .ci/install-browser)"
    for module, extra in (
        ("playwright", "playwright"),
        ("jupyterlab", "jupyterlab"),
        ("jupyterlab_widgets", "jupyterlab_widgets"),
        ("ipykernel", "ipykernel"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"Python package {extra!r} is missing (pip install -e '.[browser]')"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterLab:
    """A running JupyterLab server (see :func:`run_jupyterlab`)."""

    base_url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    runtime_dir: Path

    def url(self, path: str) -> str:
        """``path`` on this server, with the token as a query parameter."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _lab_environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    for name in ("config", "data", "runtime", "ipython", "cache", "mpl"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_CONFIG_DIR"] = str(home / "config")
    env["JUPYTER_DATA_DIR"] = str(home / "data")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    env["IPYTHONDIR"] = str(home / "ipython")
    env["MPLCONFIGDIR"] = str(home / "mpl")
    env["COMPLIANCE_NB_CACHE_DIR"] = str(home / "cache")
    # The widgets extension lives in the environment's data path: keep it reachable
    # even though the user data folder now points elsewhere.
    env["JUPYTER_PATH"] = str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _write_lab_settings(settings_dir: Path) -> None:
    for plugin, values in _LAB_SETTINGS.items():
        package, _, name = plugin.rpartition("/")
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")


def _wait_until_ready(lab: JupyterLab, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {lab.process.returncode}:\n{lab.log_tail()}"
            )
        try:
            with urllib.request.urlopen(lab.url("/api/status"), timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {timeout_s:.0f} s:\n{lab.log_tail()}")


def _stop(lab: JupyterLab) -> None:
    """Shut the server down politely, then make sure nothing it started is left."""
    import psutil

    try:
        tree = psutil.Process(lab.process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    with contextlib.suppress(urllib.error.URLError, OSError):
        req = urllib.request.Request(lab.url("/api/shutdown"), method="POST", data=b"")
        urllib.request.urlopen(req, timeout=5).close()
    try:
        lab.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(lab.process.pid, signal.SIGTERM)
        try:
            lab.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(lab.process.pid, signal.SIGKILL)
            lab.process.wait(timeout=5)
    # Kernels run in sessions of their own, so the group signal does not reach them.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(lab.process.pid, signal.SIGKILL)
    alive = [p for p in tree if p.is_running()]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(alive, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


@contextlib.contextmanager
def run_jupyterlab(workdir: Path, *, timeout_s: float = 60.0) -> Iterator[JupyterLab]:
    """Start JupyterLab serving ``workdir / "root"``; stop it (and its kernels) on exit.

    All Jupyter and IPython folders live under ``workdir / "home"``; the server log is
    ``workdir / "jupyterlab.log"``.
    """
    root = workdir / "root"
    home = workdir / "home"
    root.mkdir(parents=True, exist_ok=True)
    settings_dir = home / "lab-settings"
    _write_lab_settings(settings_dir)
    token = secrets.token_hex(24)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings_dir}",
        f"--LabApp.workspaces_dir={home / 'lab-workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    log_path = workdir / "jupyterlab.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=root,
            env=_lab_environment(home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, process, log_path, home / "runtime")
    try:
        _wait_until_ready(lab, timeout_s)
        yield lab
    finally:
        _stop(lab)


def kernel_eval(lab: JupyterLab, notebook: str, expression: str, timeout_s: float = 20) -> Any:
    """Evaluate ``expression`` in the kernel of the open ``notebook``; return its value.

    The value must be JSON-serialisable. It travels only in the reply to this client
    (a silent request), so nothing of it reaches the page.
    """
    import ast

    from jupyter_client import BlockingKernelClient

    with urllib.request.urlopen(lab.url("/api/sessions"), timeout=5) as resp:
        sessions = json.load(resp)
    kernel_ids = [s["kernel"]["id"] for s in sessions if s.get("path", "").endswith(notebook)]
    if not kernel_ids:
        raise RuntimeError(f"no kernel session for {notebook}: {sessions}")
    client = BlockingKernelClient(
        connection_file=str(lab.runtime_dir / f"kernel-{kernel_ids[0]}.json")
    )
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout_s)
        msg_id = client.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={"value": f"__import__('json').dumps({expression})"},
        )
        deadline = time.monotonic() + timeout_s
        while True:
            reply = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        result = reply["content"]["user_expressions"]["value"]
        if result.get("status") != "ok":
            raise RuntimeError(f"{expression!r} failed in the kernel: {result.get('evalue')}")
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))
    finally:
        client.stop_channels()


# --------------------------------------------------------------------------- notebooks


def copy_notebook_cleared(source: Path, target: Path) -> None:
    """Copy a notebook with every output and execution count removed."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, target)


def write_notebook(target: Path, code_cells: list[str]) -> None:
    """Write a notebook of code cells (Python 3 kernel) to ``target``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in code_cells]
    nbformat.write(nb, target)


# --------------------------------------------------------------------------- the browser


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through a ``sync_playwright()`` instance."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_notebook(page: Any, lab: JupyterLab, name: str, *, timeout_s: float = 60.0) -> None:
    """Open ``name`` in JupyterLab and wait until its kernel is connected and idle.

    The toolbar says idle before the kernel is connected; the status bar's
    "<kernel> | Idle" is the reliable sign that "Run All" will reach the kernel.
    """
    # A workspace of its own, so tabs of earlier pages are not restored beside it.
    workspace = "w" + secrets.token_hex(6)
    page.goto(lab.url(f"/lab/workspaces/{workspace}/tree/{name}"), wait_until="domcontentloaded")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=timeout_s * 1000)
    page.wait_for_function(
        """(needle) => Array.from(document.querySelectorAll('#jp-main-statusbar *'))
              .some(el => el.children.length === 0 && (el.textContent || '').includes(needle))""",
        arg=f"{KERNEL_DISPLAY_NAME} | Idle",
        timeout=timeout_s * 1000,
    )


def run_all_cells(page: Any) -> None:
    """Run every cell through the menu bar: Run -> Run All Cells."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("[data-command='runmenu:run-all']").click()


_PROMPTS_JS = f"""() => Array.from(
    document.querySelectorAll("{NOTEBOOK} .jp-CodeCell .jp-InputArea-prompt"))
    .map(el => (el.textContent || '').trim())"""


def cell_prompts(page: Any) -> list[str]:
    """The input prompts of the code cells, in order (``[1]:``, ``[*]:``, ``[ ]:``)."""
    return list(page.evaluate(_PROMPTS_JS))


def wait_until_finished(page: Any, *, timeout_s: float) -> list[str]:
    """Wait until the first code cell has run and no cell is left at ``[*]:``.

    Returns the final prompts. After an error, later cells go back to ``[ ]:``.
    """
    page.wait_for_function(
        f"""() => {{
            const p = ({_PROMPTS_JS})();
            return p.length > 0 && /^\\[\\d+\\]:$/.test(p[0]) && !p.some(t => t === '[*]:');
        }}""",
        timeout=timeout_s * 1000,
        polling=250,
    )
    return cell_prompts(page)


def stderr_texts(page: Any) -> list[str]:
    """Texts of the outputs written to stderr or shown as errors, in page order."""
    return list(
        page.evaluate(
            f"""() => Array.from(document.querySelectorAll(
              "{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
              + "{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"))
            .map(el => el.innerText || '')"""
        )
    )


def error_texts(page: Any) -> list[str]:
    """Texts of outputs that show a Python error (tracebacks)."""
    return [t for t in stderr_texts(page) if "Traceback" in t or "Error" in t.split("\n", 1)[0]]


def warning_texts(page: Any) -> list[str]:
    """Texts of stderr outputs that show a Python warning (``...Warning: ...``)."""
    return [t for t in stderr_texts(page) if re.search(r"\w+Warning: ", t)]


IMAGE_SELECTOR = (
    f"{NOTEBOOK} .jp-OutputArea-output.jp-RenderedImage[data-mime-type='image/png'] img"
)


def rendered_image_widths(page: Any) -> list[int]:
    """Decoded pixel widths of the PNG images in the outputs (0 when not decoded)."""
    return list(
        page.evaluate(
            f"""() => Array.from(document.querySelectorAll("{IMAGE_SELECTOR}"))
                .map(img => img.complete ? img.naturalWidth : 0)"""
        )
    )


def artifact_path(name: str) -> Path:
    """``<ARTIFACTS_DIR>/<name>`` (the folder is created)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / name


def save_screenshot(locator: Any, name: str) -> Path:
    """Save a screenshot of ``locator`` as ``<ARTIFACTS_DIR>/<name>``; return its path."""
    path = artifact_path(name)
    locator.screenshot(path=str(path))
    return path


def reset_artifacts(prefix: str) -> None:
    """Remove earlier artefacts whose names start with ``prefix``."""
    if ARTIFACTS_DIR.is_dir():
        for old in ARTIFACTS_DIR.glob(f"{prefix}*"):
            if old.is_file():
                old.unlink()
            else:
                shutil.rmtree(old, ignore_errors=True)
