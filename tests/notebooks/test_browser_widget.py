"""The progress panel and the charts as users see them: JupyterLab in headless Chromium.

Each test copies or writes a notebook into a throw-away JupyterLab, runs all cells from
the Run menu, and reads the page: the ipywidgets progress panel must reach its final
state (green bar and counts, or red bar and the error text), the charts must be real
images, no cell may fail, and neither the bearer token nor an unmasked URL signature may
appear anywhere in the page. Saved from the File menu, the notebook keeps the panel's
final state as text/html and text/plain (what GitHub and nbviewer show without widgets).

Needs /usr/bin/chromium (``.ci/install-browser``) and the ``browser`` extra
(``pip install -e '.[browser]'``); skipped with the reason otherwise.
Screenshots go to ``$COMPLIANCE_NB_TEST_ARTIFACTS``, else the temporary folder
(``compliance_nb-test-artifacts``): nothing is written into the repository.

Run: ``pytest -m browser tests/notebooks/test_browser_widget.py``
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _browser_helpers import (
    IMAGE_SELECTOR,
    NOTEBOOK,
    JupyterLab,
    artifact_path,
    browser_skip_reason,
    copy_notebook_cleared,
    error_texts,
    kernel_eval,
    launch_chromium,
    open_notebook,
    rendered_image_widths,
    reset_artifacts,
    run_all_cells,
    run_jupyterlab,
    save_screenshot,
    wait_until_finished,
    warning_texts,
    write_notebook,
)

_SKIP = browser_skip_reason()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_SKIP is not None, reason=_SKIP or ""),
    pytest.mark.timeout(180),
]

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "notebooks" / "01_quickstart.ipynb"
RUN_TIMEOUT_S = 90.0
WIDGET_TIMEOUT_MS = 15_000

# ipywidgets 8 classes (FloatProgress -> .widget-hprogress; bar_style -> progress-bar-*)
PROGRESS = ".jupyter-widgets.widget-hprogress"
BAR = f"{NOTEBOOK} {PROGRESS} .progress-bar"
# An unmasked signed-URL signature: the parameter followed by hex digits.
RAW_SIGNATURE = re.compile(r"X-Goog-Signature=[0-9a-fA-F]{8,}")
# The sandbox's tokens look like this (compliance_nb/sandbox/_server.py); a backstop
# for tokens of sandboxes that no longer exist when the kernel is asked.
SANDBOX_TOKEN = re.compile(r"sandbox-[A-Za-z0-9_-]{24,}")
# Python text of the widgets, shown when the widgets extension is not loaded.
WIDGET_AS_TEXT = re.compile(r"(VBox|HBox|FloatProgress|IntProgress)\(children=|Progress\(value=")

# Evaluated in the notebook's kernel: the bearer tokens of every Sandbox object alive
# there (the one `connect()` started included), whatever the notebook named them.
_TOKENS_IN_KERNEL = """(lambda gc, sb_module: sorted({
    obj.bearer_token for obj in gc.get_objects()
    if sb_module is not None and isinstance(obj, sb_module.Sandbox)
}))(__import__('gc'), __import__('sys').modules.get('compliance_nb.sandbox'))"""

FAILURE_TEXT = "browser-test fault: the sandbox failed this job on purpose"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """One JupyterLab for the module (its own temp root, token, folders)."""
    with run_jupyterlab(tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    reset_artifacts("browser-")
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; a full-page screenshot is saved whatever the outcome."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        with contextlib.suppress(Exception):  # a broken page must not hide the failure
            pg.screenshot(path=str(artifact_path(f"browser-{request.node.name}-page.png")))
        context.close()


# ----------------------------------------------------------------------------- checks


def _run_notebook(page: Any, lab: JupyterLab, name: str) -> list[str]:
    open_notebook(page, lab, name)
    run_all_cells(page)
    try:
        return wait_until_finished(page, timeout_s=RUN_TIMEOUT_S)
    except Exception as exc:  # a timeout: say where the notebook stood
        raise AssertionError(
            f"{name} did not finish within {RUN_TIMEOUT_S:.0f} s; errors in the page: "
            f"{error_texts(page)}\nserver log:\n{lab.log_tail()}"
        ) from exc


def _panels(page: Any) -> Any:
    """The progress panels: the outermost widget boxes holding a progress bar."""
    return page.locator(f"{NOTEBOOK} .jp-OutputArea-output > .jupyter-widgets.widget-vbox").filter(
        has=page.locator(PROGRESS)
    )


def _wait_for_widgets(page: Any, selector: str) -> None:
    """Widgets render a moment after their cell finishes: wait (bounded) for ``selector``."""
    try:
        page.wait_for_selector(selector, state="visible", timeout=WIDGET_TIMEOUT_MS)
    except Exception as exc:
        bars = _bar_classes(page)
        raise AssertionError(
            f"{selector!r} did not appear within {WIDGET_TIMEOUT_MS / 1000:.0f} s; "
            f"progress bars in the page: {bars}"
        ) from exc


def _bar_classes(page: Any) -> list[str]:
    return list(page.locator(BAR).evaluate_all("els => els.map(e => e.className)"))


def _assert_no_secrets(page: Any, lab: JupyterLab, notebook: str) -> None:
    html = page.content()
    text = page.locator("body").inner_text()
    tokens = kernel_eval(lab, notebook, _TOKENS_IN_KERNEL)
    assert tokens, "no sandbox token found in the kernel: the check below would be empty"
    for token in tokens:
        assert token not in html, "the sandbox's bearer token appears in the page"
    assert not SANDBOX_TOKEN.search(html), "a sandbox bearer token appears in the page"
    for where, content in (("text", text), ("HTML", html)):
        found = RAW_SIGNATURE.search(content)
        assert found is None, (
            f"an unmasked URL signature in the page {where} at offset {found.start()}: "
            f"{content[max(0, found.start() - 60) : found.start() + 20]!r}..."
        )


def _save_and_read(page: Any, path: Path, cell_text: str, timeout_s: float = 20.0) -> dict:
    """Save the notebook from the File menu; the saved output bundle of the first output of
    the cell whose source holds ``cell_text`` that has text/html (after the save lands)."""
    before = path.stat().st_mtime_ns
    page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
    page.locator("#jp-mainmenu-file [data-command='docmanager:save']").click()
    deadline = time.monotonic() + timeout_s
    while True:
        if path.stat().st_mtime_ns != before:
            with contextlib.suppress(ValueError):  # a save still being written
                nb = json.loads(path.read_text(encoding="utf-8"))
                for cell in nb["cells"]:
                    if cell["cell_type"] == "code" and cell_text in "".join(cell["source"]):
                        for output in cell.get("outputs", []):
                            if "text/html" in output.get("data", {}):
                                return dict(output["data"])
        if time.monotonic() > deadline:
            raise AssertionError(f"no saved output with text/html for {cell_text!r} in {path}")
        time.sleep(0.25)


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


# ----------------------------------------------------------------------------- tests


def test_quickstart_shows_finished_panel_and_charts(page: Any, lab: JupyterLab) -> None:
    """notebooks/01_quickstart.ipynb, run from the Run menu: green panel with counts,
    charts as images, no errors, no secrets in the page."""
    assert QUICKSTART.is_file(), f"{QUICKSTART.relative_to(REPO)} is missing"
    copy_notebook_cleared(QUICKSTART, lab.root / QUICKSTART.name)

    prompts = _run_notebook(page, lab, QUICKSTART.name)

    errors = error_texts(page)
    assert not errors, "cells failed:\n" + "\n---\n".join(errors)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells not run: {prompts}"
    warnings = warning_texts(page)
    # the one warning the quickstart must show: it applies the sandbox's simulated results
    simulated = [w for w in warnings if "SimulatedResultsWarning: " in w]
    others = [w for w in warnings if w not in simulated]
    assert len(simulated) == 1, f"the simulated-results warning, once: {warnings}"
    assert not others, "warnings shown to the user:\n" + "\n---\n".join(others)
    body = page.locator("body").inner_text()
    assert not WIDGET_AS_TEXT.search(body), "widgets shown as text: extension not loaded?"

    # the progress panel rendered and reached its final state
    panels = _panels(page)
    _wait_for_widgets(page, f"{BAR}.progress-bar-success")
    assert panels.count() >= 1, "no progress panel (ipywidgets progress bar) in the page"
    classes = _bar_classes(page)
    for cls in classes:
        assert "progress-bar-success" in cls.split(), f"a bar is not green: {cls!r}"
    panel = panels.first
    panel_text = panel.inner_text()
    assert "joined" in panel_text and "done" in panel_text, panel_text  # final stage
    assert "finished" in panel_text, f"panel summary not final: {panel_text!r}"
    checked = re.search(r"checked (\d[\d,]*)", panel_text)
    assert checked, f"no counts shown: {panel_text!r}"
    assert re.search(r"still available \d[\d,]*", panel_text), panel_text
    # the count is the number of distinct IDs of the frame the quickstart checks (`df`)
    distinct_ids = kernel_eval(lab, QUICKSTART.name, "int(df['id'].dropna().nunique())")
    assert int(checked.group(1).replace(",", "")) == distinct_ids, panel_text
    save_screenshot(panel, "browser-quickstart-panel.png")

    # the charts rendered as decoded images of real size
    page.wait_for_function(
        f"""() => {{ const imgs = document.querySelectorAll("{IMAGE_SELECTOR}");
                     return imgs.length > 0 && Array.from(imgs).every(i => i.complete); }}""",
        timeout=15_000,
    )
    widths = rendered_image_widths(page)
    assert any(w > 200 for w in widths), f"no chart image wider than 200 px: {widths}"
    images = page.locator(IMAGE_SELECTOR)
    for i in range(images.count()):
        save_screenshot(images.nth(i), f"browser-quickstart-chart-{i + 1}.png")

    _assert_no_secrets(page, lab, QUICKSTART.name)

    # saved, the notebook keeps the panel's final state for viewers without widgets
    saved = _save_and_read(page, lab.root / QUICKSTART.name, "df.pipe(check_compliance")
    assert "application/vnd.jupyter.widget-view+json" in saved  # the live view stays
    for mime in ("text/html", "text/plain"):
        text = _joined(saved.get(mime, ""))
        assert "starting" not in text, f"{mime} of the saved panel: {text[:300]!r}"
        assert "finished" in text, f"{mime} of the saved panel: {text[:300]!r}"
        assert re.search(rf"checked {distinct_ids:,}\b", text), f"{mime}: {text[:300]!r}"
        assert re.search(r"still available \d[\d,]*", text), f"{mime}: {text[:300]!r}"
    saved_file = (lab.root / QUICKSTART.name).read_text(encoding="utf-8")
    for token in kernel_eval(lab, QUICKSTART.name, _TOKENS_IN_KERNEL):
        assert token not in saved_file, "the sandbox's bearer token is in the saved notebook"
    assert not SANDBOX_TOKEN.search(saved_file)


FAILING_NOTEBOOK = [
    # the sandbox fails the next job while processing, with our error text
    "import pandas as pd\n"
    "from compliance_nb import check_compliance\n"
    "from compliance_nb.sandbox import Sandbox\n"
    "sb = Sandbox(processing_delay=0).start()\n"
    f'sb.faults.add("processing", "fail", error={FAILURE_TEXT!r})\n'
    'df = pd.DataFrame({"id": ["20", "1050118621198921728", "1212092628029698048"]})',
    # the panel must show the failure; the cell itself completes (nothing printed)
    "failure = None\n"
    "try:\n"
    '    check_compliance(df, client=sb.client(), progress="auto")\n'
    "except Exception as exc:\n"
    "    failure = type(exc).__name__",
    "assert failure == 'JobFailedError', failure\nsb.stop()",
]


def test_failed_job_shows_red_panel_with_error_text(page: Any, lab: JupyterLab) -> None:
    """A job the sandbox fails: the panel's bar turns red and the error text is shown."""
    name = "failed_job.ipynb"
    write_notebook(lab.root / name, FAILING_NOTEBOOK)

    prompts = _run_notebook(page, lab, name)

    errors = error_texts(page)
    assert not errors, "cells failed:\n" + "\n---\n".join(errors)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells not run: {prompts}"

    panels = _panels(page)
    _wait_for_widgets(page, f"{BAR}.progress-bar-danger")
    assert panels.count() == 1, f"expected one progress panel, found {panels.count()}"
    classes = _bar_classes(page)
    assert not any("progress-bar-success" in c.split() for c in classes), classes
    panel = panels.first
    assert panel.get_by_text(FAILURE_TEXT).first.is_visible(), panel.inner_text()
    assert "failed" in panel.inner_text()
    save_screenshot(panel, "browser-failed-panel.png")

    _assert_no_secrets(page, lab, name)
