"""The charts as images, compared with baselines (tests/display/baseline/*.png).

matplotlib's own comparison (``matplotlib.testing.compare.compare_images``, an RMS
difference of the pixels) rather than a plugin: nothing more to install. The style is
pinned so the images depend on the code only: matplotlib's default style, the Agg
canvas, DejaVu Sans (shipped with matplotlib), a fixed dpi, and frames built from a
seeded generator (no sandbox, no network, no clock).

The drawn values are checked in test_plots_charts.py; these catch what numbers miss
(a label cut off, colours, overlaps, a watermark gone). After a deliberate change to a
chart, look at the new images and write them as the baselines with
``COMPLIANCE_NB_UPDATE_BASELINES=1 pytest tests/display/test_charts_images.py``.

Text rendering changes between matplotlib releases, so the baselines hold for the
matplotlib release they were drawn with (``baseline/matplotlib-version.txt``); with
another release the comparison is skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import pytest
from _charts_helpers import seeded_frame
from matplotlib.testing.compare import compare_images

from compliance_nb import (
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
)
from compliance_nb.jobs.runinfo import RunInfo, remember

matplotlib.use("Agg")

BASELINE = Path(__file__).resolve().parent / "baseline"
VERSION_FILE = BASELINE / "matplotlib-version.txt"
UPDATE = os.environ.get("COMPLIANCE_NB_UPDATE_BASELINES") == "1"
# RMS difference over 0-255 pixel values: rendering noise stays far below this, a moved
# label, a changed colour or a lost watermark does not
TOLERANCE = 2.0
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "figure.dpi": 72,
    "savefig.dpi": 72,
    "text.hinting": "default",
    "axes.unicode_minus": True,
    "path.simplify": True,
    "svg.hashsalt": "compliance_nb",
}


def _frame(sandbox: bool, users: bool = True):
    frame = seeded_frame()
    if not users:
        frame = frame.drop("author_id", "user_compliance_reason").drop(
            "user_compliance_created_at", "user_compliance_redacted_at"
        )
    kinds = ("tweets", "users") if users else ("tweets",)
    remember(
        frame,
        RunInfo(kinds=kinds, user_id_column="author_id" if users else None, sandbox=sandbox),
    )
    return frame


def _reasons():
    return plot_reasons(_frame(sandbox=False)).figure


def _redaction_dates():
    return plot_redaction_dates(_frame(sandbox=False)).figure


def _availability_simulated():
    return plot_availability(_frame(sandbox=True)).figure


def _lag_one_kind():
    return plot_redaction_lag(_frame(sandbox=False, users=False)).figure


def _lag_two_kinds():
    return plot_redaction_lag(_frame(sandbox=False)).figure


def _combined_simulated():
    # notebook 04's figure: two charts side by side, titles set by the user
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    frame = _frame(sandbox=True)
    plot_reasons(frame, ax=left)
    plot_redaction_lag(frame, ax=right)
    left.set_title("(a) Why items are no longer available")
    right.set_title("(b) Time from posting to redaction")
    return fig


CHARTS = {
    "reasons": _reasons,
    "redaction_dates": _redaction_dates,
    "availability_simulated": _availability_simulated,
    "lag_one_kind": _lag_one_kind,
    "lag_two_kinds": _lag_two_kinds,
    "combined_simulated": _combined_simulated,
}


def _release(version: str) -> str:
    return ".".join(version.split(".")[:2])


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_matches_its_baseline(name: str, tmp_path: Path) -> None:
    from matplotlib import pyplot as plt

    installed = _release(matplotlib.__version__)
    if not UPDATE and VERSION_FILE.is_file():
        drawn_with = VERSION_FILE.read_text(encoding="utf-8").strip()
        if drawn_with != installed:
            pytest.skip(
                f"the baselines were drawn with matplotlib {drawn_with}, this is {installed}: "
                "rewrite them with COMPLIANCE_NB_UPDATE_BASELINES=1 after checking the images"
            )

    actual = tmp_path / f"{name}.png"
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        matplotlib.rcParams.update(STYLE)
        fig = CHARTS[name]()
        try:
            fig.savefig(actual, metadata={"Software": None})
        finally:
            plt.close(fig)
    expected = BASELINE / f"{name}.png"
    if UPDATE:
        BASELINE.mkdir(exist_ok=True)
        shutil.copyfile(actual, expected)
        VERSION_FILE.write_text(installed + "\n", encoding="utf-8")
        pytest.skip(f"baseline written: {expected}")
    assert expected.is_file(), (
        f"no baseline {expected.name}: run with COMPLIANCE_NB_UPDATE_BASELINES=1 once"
    )
    result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert result is None, f"{name} differs from its baseline: {result}"
