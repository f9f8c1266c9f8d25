"""The progress panel through full check_compliance runs against the real sandbox server."""

from __future__ import annotations

import re

import polars as pl
import pytest
from _progress_helpers import widget_texts

from compliance_nb._exceptions import JobFailedError
from compliance_nb.display.panel import ProgressPanel
from compliance_nb.frames.check import check_compliance


def _frame(n: int = 120) -> pl.DataFrame:
    from compliance_nb.datasets import sample_tweets

    return sample_tweets(n, seed=3, backend="polars")


def _secrets(sandbox) -> list[str]:
    """The token and every signature the sandbox handed out."""
    out = [sandbox.bearer_token]
    for entry in sandbox.requests_log:
        text = str(entry)
        out += re.findall(r"(?:X-Goog-Signature|signature|upload_id)=([A-Za-z0-9%_\-.]{8,})", text)
    return [s for s in out if s]


def test_a_full_run_ends_green_with_counts(sandbox):
    df = _frame()
    panel = ProgressPanel()
    out = check_compliance(df, client=sandbox.client(), progress=panel)
    assert len(panel.rows) == 1
    row = panel.rows[0]
    assert row.bar.bar_style == "success"
    assert row.bar.description == "joined"
    assert row.job_id is not None and row.job_id in row.title.value
    # the counts shown are the frame's own
    ids = out.filter(pl.col("compliant").is_not_null()).unique("id")
    checked = ids.height
    available = ids["compliant"].sum()
    assert f"checked {checked:,}" in row.counts.value
    assert f"still available {available:,} ({available / checked:.1%})" in row.counts.value
    assert panel.summary.value == "1 job(s) finished"
    assert not panel.timer_running
    texts = widget_texts(panel.widget)
    for secret in _secrets(sandbox):
        assert not any(secret in t for t in texts), "a secret reached the panel"


def test_a_failed_job_turns_the_row_red_with_the_error_text(sandbox):
    sandbox.faults.add("processing", "fail", error="Malformed upload: line 3")
    panel = ProgressPanel()
    with pytest.raises(JobFailedError):
        check_compliance(_frame(), client=sandbox.client(), progress=panel, cache=False)
    row = panel.rows[0]
    assert row.bar.bar_style == "danger"
    assert "Malformed upload: line 3" in row.detail.value
    assert panel.summary.value.startswith("failed")
    assert not any(s in t for s in _secrets(sandbox) for t in widget_texts(panel.widget))


def test_a_rate_limit_wait_shows_a_countdown(sandbox):
    sandbox.faults.add("create", "429", reset_after=1)
    seen: list[tuple[str, str, str]] = []

    class Spy(ProgressPanel):
        """Notes what the row showed at the moment each wait began."""

        def __call__(self, event):
            super().__call__(event)
            if event.stage == "waiting":
                row = self.rows[-1]
                seen.append((row.bar.bar_style, row.detail.value, row.stage_label.value))

    panel = Spy()
    check_compliance(_frame(40), client=sandbox.client(), progress=panel)
    assert seen, "no waiting event reached the panel"
    style, detail, label = seen[0]
    assert style == "warning"
    assert re.fullmatch(r"rate limit: waiting \d+ s \(until \d\d:\d\d:\d\d UTC\)", detail)
    assert "429" in label
    # the run went on afterwards and finished green
    assert panel.rows[-1].bar.bar_style == "success"
    assert not panel.timer_running


def test_terminal_lines_for_a_real_run(sandbox, capsys):
    check_compliance(_frame(40), client=sandbox.client(), progress="auto")
    err = capsys.readouterr().err
    assert "creating the job" in err
    assert re.search(r"uploading: .* \(100%\)", err)
    assert re.search(r"done: checked \d+ · still available", err)
    for secret in _secrets(sandbox):
        assert secret not in err
