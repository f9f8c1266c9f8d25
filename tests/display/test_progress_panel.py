"""The progress panel and the terminal lines, fed with hand-made ProgressEvents."""

from __future__ import annotations

import io
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from _progress_helpers import FakeClock, widget_texts

from compliance_nb._events import ProgressEvent
from compliance_nb._exceptions import InputError, JobCancelledError, JobFailedError
from compliance_nb.api.job import Job
from compliance_nb.display.lines import LineReporter
from compliance_nb.display.panel import ProgressPanel
from compliance_nb.display.progress import resolve_progress
from compliance_nb.display.progress_text import format_bytes, format_duration
from compliance_nb.display.reporter import Reporter

T0 = datetime(2026, 11, 28, 12, 2, 28, tzinfo=timezone.utc).timestamp()
SIGNATURE = "SIGSECRET0123456789abcdef"
SIGNED_URL = f"https://storage.example/up?X-Goog-Date=1&X-Goog-Signature={SIGNATURE}"


def _job(status: str = "in_progress", **kw) -> Job:
    return Job(
        id=kw.pop("id", "1400000000000000001"),
        type="tweets",
        status=status,
        upload_url=SIGNED_URL,
        download_url=SIGNED_URL.replace("up?", "down?"),
        **kw,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def panel(clock: FakeClock):
    p = ProgressPanel(clock=clock, tick_seconds=0.01)
    yield p
    p.close()


def test_row_appears_at_creating_and_keeps_its_place_when_the_job_id_arrives(panel):
    panel(ProgressEvent("creating", kind="tweets", part=1, parts=2))
    assert len(panel.rows) == 1
    assert "job not created yet" in panel.rows[0].title.value
    panel(ProgressEvent("created", kind="tweets", job_id="77", job_name="study-a", part=1, parts=2))
    panel(ProgressEvent("creating", kind="tweets", part=2, parts=2))
    assert len(panel.rows) == 2
    first = panel.rows[0]
    assert "job 77" in first.title.value and "study-a" in first.title.value
    assert "part 1/2" in first.title.value
    assert first.bar.description == "created"
    # the panel's box shows the rows, in order
    assert panel.widget.children[2] is first.box


def test_upload_shows_bytes_and_rate(panel, clock):
    panel(ProgressEvent("created", kind="tweets", job_id="1"))
    panel(
        ProgressEvent("uploading", kind="tweets", job_id="1", bytes_done=0, bytes_total=40_000_000)
    )
    clock.advance(1.5)
    panel(
        ProgressEvent(
            "uploading", kind="tweets", job_id="1", bytes_done=12_300_000, bytes_total=40_000_000
        )
    )
    row = panel.rows[0]
    assert row.bar.max == 40_000_000
    assert row.bar.value == 12_300_000
    # 12.3 MB in 1.5 s = 8.2 MB/s
    assert row.detail.value == "12.3 MB of 40 MB, 8.2 MB/s (31%)"
    assert row.bar.bar_style == "info"


def test_processing_shows_elapsed_estimate_and_next_poll(panel, clock):
    estimate = datetime.fromtimestamp(T0, timezone.utc) + timedelta(minutes=4)
    panel(
        ProgressEvent(
            "processing",
            kind="tweets",
            job_id="1",
            job=_job(estimated_completion=estimate),
            elapsed_seconds=65,
            wait_seconds=30,
        )
    )
    text = panel.rows[0].detail.value
    assert "processing for 1 min 05 s" in text
    assert "completion at 12:06:28 UTC (in 4 min 00 s)" in text
    assert "next check in 30 s" in text
    # the bar shows elapsed / (elapsed + remaining)
    assert panel.rows[0].bar.value == pytest.approx(65 / (65 + 240))


def test_rate_limit_wait_counts_down_and_stops_on_the_next_event(panel, clock):
    panel(ProgressEvent("created", kind="tweets", job_id="1"))
    panel(ProgressEvent("waiting", kind="tweets", job_id="1", wait_seconds=42))
    row = panel.rows[0]
    assert row.bar.bar_style == "warning"
    assert row.detail.value == "rate limit: waiting 42 s (until 12:03:10 UTC)"
    assert "not stuck" in panel.summary.value
    assert panel.timer_running
    clock.advance(10)
    panel.tick()
    assert row.detail.value == "rate limit: waiting 32 s (until 12:03:10 UTC)"
    panel(ProgressEvent("processing", kind="tweets", job_id="1", elapsed_seconds=1))
    assert row.bar.bar_style == "info"
    assert "waiting" not in row.detail.value
    for _ in range(200):  # the timer thread notices no row waits any more
        if not panel.timer_running:
            break
        time.sleep(0.01)
    assert not panel.timer_running


def test_the_timer_thread_updates_the_countdown_by_itself(clock):
    panel = ProgressPanel(clock=clock, tick_seconds=0.01)
    try:
        panel(ProgressEvent("retrying", kind="users", wait_seconds=5, message="HTTP 503"))
        assert panel.rows[0].detail.value.startswith("retrying in 5 s")
        assert "HTTP 503" in panel.rows[0].detail.value
        clock.advance(3)
        for _ in range(200):
            if panel.rows[0].detail.value.startswith("retrying in 2 s"):
                break
            time.sleep(0.01)
        assert panel.rows[0].detail.value.startswith("retrying in 2 s")
    finally:
        panel.close()
    assert not panel.timer_running


def test_joined_shows_counts_and_success(panel):
    panel(ProgressEvent("created", kind="tweets", job_id="1"))
    panel(
        ProgressEvent(
            "joined",
            kind="tweets",
            job_id="1",
            counts={"checked": 1000, "available": 900, "deleted": 70, "protected": 30},
        )
    )
    row = panel.rows[0]
    assert row.bar.bar_style == "success"
    assert row.bar.value == row.bar.max
    assert row.counts.value == (
        "checked 1,000 · still available 900 (90.0%) · needing action: deleted 70, protected 30"
    )
    panel.close()
    assert panel.summary.value == "1 job(s) finished"


def test_failed_job_shows_danger_and_the_error_text_without_signatures(panel):
    panel(ProgressEvent("created", kind="tweets", job_id="1", job=_job("created")))
    panel(
        ProgressEvent(
            "failed",
            kind="tweets",
            job_id="1",
            job=_job("failed", error="bad file"),
            message=f"Job failed: bad file (see {SIGNED_URL})",
        )
    )
    row = panel.rows[0]
    assert row.bar.bar_style == "danger"
    assert "Job failed: bad file" in row.detail.value
    panel.close(JobFailedError(f"Job 1 failed: bad file {SIGNED_URL}"))
    assert "failed" in panel.summary.value
    texts = widget_texts(panel.widget)
    assert not any(SIGNATURE in t for t in texts), texts


def test_close_with_an_error_marks_unfinished_rows(panel):
    panel(ProgressEvent("created", kind="tweets", job_id="1"))
    panel(ProgressEvent("created", kind="users", job_id="2"))
    panel(ProgressEvent("joined", kind="users", job_id="2", counts={"checked": 1, "available": 1}))
    panel.close(RuntimeError("disk full"))
    tweets, users = panel.rows
    assert tweets.bar.bar_style == "danger" and "disk full" in tweets.detail.value
    assert users.bar.bar_style == "success"


def test_close_when_cancelled_says_so(panel):
    panel(ProgressEvent("processing", kind="tweets", job_id="1", elapsed_seconds=3))
    panel.close(JobCancelledError("The run was cancelled."))
    assert panel.summary.value == "cancelled"
    assert panel.rows[0].bar.bar_style == "warning"
    assert panel.rows[0].stage_label.value == "cancelled"


def test_no_signature_anywhere_after_a_full_event_sequence(panel):
    job = _job(name=f"n {SIGNED_URL}")
    for ev in (
        ProgressEvent("creating", kind="tweets"),
        ProgressEvent("created", kind="tweets", job_id=job.id, job=job, message=SIGNED_URL),
        ProgressEvent(
            "uploading",
            kind="tweets",
            job_id=job.id,
            job=job,
            bytes_done=1,
            bytes_total=2,
            message=SIGNED_URL,
        ),
        ProgressEvent(
            "retrying",
            kind="tweets",
            job_id=job.id,
            wait_seconds=1,
            message=f"PUT {SIGNED_URL} dropped",
        ),
        ProgressEvent(
            "downloading", kind="tweets", job_id=job.id, job=job, bytes_done=2, bytes_total=2
        ),
        ProgressEvent(
            "joined", kind="tweets", job_id=job.id, job=job, counts={"checked": 2, "available": 2}
        ),
    ):
        panel(ev)
    texts = widget_texts(panel.widget)
    assert any("X-Goog-Signature=***" in t for t in texts)  # the URL was shown, masked
    assert not any(SIGNATURE in t for t in texts)


def test_resolve_progress_outside_a_kernel():
    assert resolve_progress(None) is None and resolve_progress(False) is None
    assert isinstance(resolve_progress("auto"), LineReporter)
    assert isinstance(resolve_progress(True), LineReporter)
    assert isinstance(resolve_progress("widget"), ProgressPanel)
    panel = ProgressPanel()
    assert resolve_progress(panel) is panel
    seen: list[str] = []
    rep = resolve_progress(lambda ev: seen.append(ev.stage))
    assert isinstance(rep, Reporter)
    rep(ProgressEvent("created", kind="tweets", job_id="1"))
    rep.close()
    assert seen == ["created"]
    with pytest.raises(InputError, match="progress="):
        resolve_progress("loud")


def test_line_reporter_is_concise_and_says_how_long_a_wait_is(capsys):
    rep = LineReporter()
    rep(ProgressEvent("creating", kind="tweets"))
    rep(ProgressEvent("created", kind="tweets", job_id="9"))
    for done in range(0, 101):  # 101 events: one line per ~10%
        rep(ProgressEvent("uploading", kind="tweets", job_id="9", bytes_done=done, bytes_total=100))
    for _ in range(5):
        rep(ProgressEvent("processing", kind="tweets", job_id="9", elapsed_seconds=1))
    rep(ProgressEvent("waiting", kind="tweets", job_id="9", wait_seconds=42))
    rep(
        ProgressEvent(
            "joined",
            kind="tweets",
            job_id="9",
            counts={"checked": 100, "available": 97, "deleted": 3},
        )
    )
    rep.close(JobFailedError(f"boom {SIGNED_URL}"))
    err = capsys.readouterr().err
    lines = err.splitlines()
    upload = [ln for ln in lines if "uploading" in ln]
    assert 10 <= len(upload) <= 12
    assert upload[-1].endswith("(100%)")
    assert sum("processing" in ln for ln in lines) == 1
    assert re.search(r"rate limit: waiting 42 s \(until \d\d:\d\d:\d\d UTC\)", err)
    assert "done: checked 100 · still available 97 (97.0%) · needing action: deleted 3" in err
    assert SIGNATURE not in err
    assert "Widget" not in err and "VBox" not in err


def test_line_reporter_writes_to_a_given_stream():
    out = io.StringIO()
    LineReporter(stream=out)(ProgressEvent("failed", kind="users", job_id="5", message="nope"))
    assert out.getvalue() == "[users job 5] failed: nope\n"


def test_formatting_helpers():
    assert format_bytes(999) == "999 B"
    assert format_bytes(1_500) == "1.5 kB"
    assert format_bytes(2_000_000_000) == "2 GB"
    assert format_duration(0.4) == "0 s"
    assert format_duration(3600) == "1 h 00 min"


def test_a_wait_without_kind_or_job_goes_to_the_open_row(panel):
    panel(ProgressEvent("created", kind="tweets", job_id="1"))
    panel(ProgressEvent("joined", kind="tweets", job_id="1", counts={"checked": 1}))
    panel(ProgressEvent("created", kind="users", job_id="2"))
    panel(ProgressEvent("waiting", wait_seconds=5))
    assert len(panel.rows) == 2
    assert panel.rows[1].bar.bar_style == "warning"
    assert panel.rows[0].bar.bar_style == "success"
