"""The panel's outcome as static output: what a saved notebook keeps where the widgets were.

The panel is displayed in a real IPython shell (in this process); only its display
publisher is replaced, to record what would go to the notebook: the first display and
the update at the end of the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from compliance_nb._events import ProgressEvent
from compliance_nb._exceptions import JobFailedError
from compliance_nb.display.palette import REASON_COLORS
from compliance_nb.display.panel import ProgressPanel
from compliance_nb.frames.check import check_compliance

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Published:
    """What the shell's display publisher was given, in order."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        self.calls.append({"data": data, "transient": transient or {}, "update": update})

    def final(self, display_id: str) -> dict[str, Any]:
        """The data the output with ``display_id`` holds at the end."""
        data = [c["data"] for c in self.calls if c["transient"].get("display_id") == display_id]
        assert data, f"nothing published for display {display_id}"
        return data[-1]


@pytest.fixture
def shell() -> Iterator[Published]:
    from IPython.core.interactiveshell import InteractiveShell

    started = not InteractiveShell.initialized()
    ip = InteractiveShell.instance()
    published = Published()
    original = ip.display_pub.publish
    ip.display_pub.publish = published  # type: ignore[method-assign]
    try:
        yield published
    finally:
        ip.display_pub.publish = original  # type: ignore[method-assign]
        if started:
            InteractiveShell.clear_instance()


def _joined(panel: ProgressPanel) -> None:
    panel(ProgressEvent("created", kind="tweets", job_id="42", job_name="study"))
    panel(ProgressEvent("uploading", kind="tweets", job_id="42", bytes_done=5, bytes_total=10))
    panel(
        ProgressEvent(
            "joined",
            kind="tweets",
            job_id="42",
            counts={"checked": 2000, "available": 1800, "deleted": 150, "protected": 50},
        )
    )


def test_the_first_display_carries_a_fallback_and_the_end_replaces_it(shell):
    panel = ProgressPanel("My study", display=True)
    _joined(panel)
    (first,) = shell.calls
    display_id = first["transient"]["display_id"]
    # one output: the live widget view plus text for where widgets do not render
    assert WIDGET_VIEW in first["data"]
    assert first["data"][WIDGET_VIEW]["model_id"] == panel.widget.model_id
    assert not first["update"]
    panel.close()
    last = shell.calls[-1]
    assert last["update"] and last["transient"]["display_id"] == display_id
    final = shell.final(display_id)
    assert final[WIDGET_VIEW]["model_id"] == panel.widget.model_id
    for mime in ("text/plain", "text/html"):
        text = final[mime]
        assert "starting" not in text, mime
        assert "My study" in text and "1 job(s) finished" in text, mime
        assert "job 42" in text and "study" in text, mime
        assert "checked 2,000" in text and "still available 1,800 (90.0%)" in text, mime
        assert "deleted 150" in text and "protected 50" in text, mime


def test_the_html_shows_the_shares_in_the_charts_colours(shell):
    panel = ProgressPanel(display=True)
    _joined(panel)
    panel.close()
    html = shell.calls[-1]["data"]["text/html"]
    for reason in ("available", "deleted", "protected"):
        assert REASON_COLORS[reason] in html, reason
    # the live widget row has the same bar
    assert REASON_COLORS["deleted"] in panel.rows[0].shares.value
    assert "deleted: 150 (7.5%)" in panel.rows[0].shares.value


def test_a_failed_run_keeps_the_error(shell):
    panel = ProgressPanel(display=True)
    panel(ProgressEvent("created", kind="tweets", job_id="7"))
    panel.close(JobFailedError("X said the job failed"))
    final = shell.calls[-1]["data"]
    for mime in ("text/plain", "text/html"):
        assert "failed" in final[mime] and "X said the job failed" in final[mime], mime


def test_without_display_nothing_is_published(shell):
    panel = ProgressPanel(display=False)
    _joined(panel)
    panel.close()
    assert shell.calls == []


def test_a_sandbox_run_keeps_its_counts_and_never_its_token(shell, sandbox):
    from compliance_nb.datasets import sample_tweets

    df = sample_tweets(150, seed=5)
    panel = ProgressPanel(display=True)
    check_compliance(df, client=sandbox.client(), progress=panel, cache=False)
    display_id = shell.calls[0]["transient"]["display_id"]
    final = shell.final(display_id)
    distinct = df["id"].dropna().nunique()
    for mime in ("text/plain", "text/html"):
        assert f"checked {distinct:,}" in final[mime], final[mime]
        assert re.search(r"still available \d", final[mime])
    secrets = [sandbox.bearer_token]
    for entry in sandbox.requests_log:
        secrets += re.findall(r"(?:X-Goog-Signature|signature)=([A-Za-z0-9%_\-.]{8,})", str(entry))
    everything = repr([c["data"] for c in shell.calls])
    for secret in filter(None, secrets):
        assert secret not in everything
