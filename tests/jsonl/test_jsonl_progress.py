"""Progress of apply_compliance_jsonl's two passes: ``reading`` and ``writing`` events over
the source file's bytes on disk, and how the panel and the terminal lines show them."""

from __future__ import annotations

import gzip
import io
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from _progress_helpers import FakeClock, widget_texts

from compliance_nb._events import ProgressEvent
from compliance_nb._exceptions import InputError
from compliance_nb.datasets import sample_collection
from compliance_nb.display.lines import LineReporter
from compliance_nb.display.panel import ProgressPanel
from compliance_nb.jsonl import read as _jsonl_read
from compliance_nb.jsonl.apply import apply_compliance_jsonl
from compliance_nb.jsonl.read import PassMeter
from compliance_nb.jsonl.rules import Verdicts
from compliance_nb.jsonl.scan import scan_ids
from compliance_nb.jsonl.write import write_compliant_copy

PASSES = ("reading", "writing")
T0 = 1_795_000_000.0


def _signatures(events: list[ProgressEvent]) -> set[str]:
    """The real signatures of the signed URLs the jobs carried."""
    found: set[str] = set()
    for e in events:
        if e.job is not None:
            for url in (e.job.upload_url, e.job.download_url):
                found.update(re.findall(r"X-Goog-Signature=([^&]+)", url or ""))
    return found


def _pass_events(events: list[ProgressEvent], stage: str) -> list[ProgressEvent]:
    return [e for e in events if e.stage == stage]


def test_a_run_reports_reading_then_the_jobs_then_writing(sandbox: Any, tmp_path: Path) -> None:
    src = sample_collection(tmp_path / "raw.jsonl.gz", n_lines=40, seed=7, gzip=True)
    size = src.stat().st_size
    events: list[ProgressEvent] = []
    apply_compliance_jsonl(
        src, tmp_path / "clean.jsonl", client=sandbox.client(), progress=events.append
    )
    stages = [e.stage for e in events]
    job_positions = [k for k, s in enumerate(stages) if s not in PASSES]
    reading = [k for k, s in enumerate(stages) if s == "reading"]
    writing = [k for k, s in enumerate(stages) if s == "writing"]
    assert reading and job_positions and writing
    assert max(reading) < min(job_positions) and max(job_positions) < min(writing)
    assert {stages[k] for k in job_positions} >= {"created", "uploading", "downloaded"}
    for stage in PASSES:
        passed = _pass_events(events, stage)
        done = [e.bytes_done for e in passed]
        assert done == sorted(done) and done[0] == 0
        assert done[-1] == size and {e.bytes_total for e in passed} == {size}
        assert all(e.kind is None and e.job_id is None for e in passed)
        assert passed[-1].message == f"{stage} collection: {_kb(size)} of {_kb(size)} (100.0%)"
    # nothing a display shows carries the token or a URL's signature
    signatures = _signatures(events)
    assert signatures  # the jobs had signed URLs, so the check below means something
    for e in events:
        for text in (repr(e), e.message or "", repr(e.job)):
            assert sandbox.bearer_token not in text
            assert not any(sig in text for sig in signatures), text


def _kb(n: int) -> str:
    return f"{n / 1000:.3g} kB"  # the sample file is between 1 kB and 1 MB


def test_the_panel_of_a_run_has_a_collection_row_that_ends_green(
    sandbox: Any, tmp_path: Path
) -> None:
    src = sample_collection(tmp_path / "raw.jsonl", n_lines=12, seed=8)
    panel = _RecordingPanel(display=False)
    apply_compliance_jsonl(src, tmp_path / "clean.jsonl", client=sandbox.client(), progress=panel)
    collection = [r for r in panel.rows if "collection" in r.title.value]
    assert len(collection) == 1 and collection[0] is panel.rows[0]  # reading came first
    row = collection[0]
    assert row.bar.bar_style == "success" and row.finished
    assert row.bar.value == row.bar.max == src.stat().st_size
    assert sorted(r.kind for r in panel.rows[1:]) == ["tweets", "users"]  # the jobs' own rows
    assert panel.summary.value.startswith("2 job(s) finished")
    texts = " ".join(widget_texts(panel.widget))
    assert sandbox.bearer_token not in texts
    signatures = _signatures(panel.events)
    assert signatures and not any(sig in texts for sig in signatures)


class _RecordingPanel(ProgressPanel):
    """A panel that also keeps the events it was shown."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.events: list[ProgressEvent] = []

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append(event)
        super().__call__(event)


def _gzip_collection(tmp_path: Path) -> tuple[Path, int]:
    plain = sample_collection(tmp_path / "plain.jsonl", n_lines=300, seed=11)
    data = plain.read_bytes()
    src = tmp_path / "raw.jsonl.gz"
    src.write_bytes(gzip.compress(data))
    return src, len(data)


def test_pass_events_are_few_and_count_the_compressed_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, unpacked = _gzip_collection(tmp_path)
    size = src.stat().st_size
    lines = len(gzip.decompress(src.read_bytes()).splitlines())
    assert size < unpacked / 2  # so counting the wrong bytes would show
    # look often, report every 16 kB; time never triggers an event here
    monkeypatch.setattr(_jsonl_read, "_CHECK_BYTES", 4096)
    monkeypatch.setattr(_jsonl_read, "_EVENT_BYTES", 16_000)
    monkeypatch.setattr(_jsonl_read, "_EVENT_SECONDS", 1e9)
    events: list[ProgressEvent] = []
    scan = scan_ids(src, progress=events.append)
    verdicts = Verdicts(tweets_removed={str(scan.tweet_ids[0]): "deleted"}, users_removed={})
    write_compliant_copy(src, tmp_path / "out.jsonl", verdicts, progress=events.append)
    for stage in PASSES:
        passed = _pass_events(events, stage)
        done = [e.bytes_done or 0 for e in passed]
        assert 3 <= len(passed) < lines  # some in between, not one per line
        assert done[0] == 0 and done[-1] == size
        assert all(b - a >= 16_000 for a, b in pairwise(done[:-1]))
        assert all(d < size for d in done[:-1])  # only the last event says 100%
        assert {e.bytes_total for e in passed} == {size}
    assert [e.stage for e in events] == sorted((e.stage for e in events), key=PASSES.index)


def test_the_meter_also_reports_when_time_passes() -> None:
    clock = FakeClock(T0)
    events: list[ProgressEvent] = []
    meter = PassMeter(events.append, "reading", __file__, clock=clock)
    total = meter.total
    meter.start()
    meter.check(10)
    assert [e.bytes_done for e in events] == [0]  # neither 8 MiB nor half a second
    clock.advance(0.6)
    meter.check(20)
    meter.check(30)
    assert [e.bytes_done for e in events] == [0, 20]
    clock.advance(5)
    meter.check(total)  # read ahead to the end: the pass is not done yet
    assert len(events) == 2
    meter.finish()
    assert (events[-1].bytes_done, events[-1].bytes_total) == (total, total)


def test_a_malformed_line_leaves_no_finished_reading(sandbox: Any, tmp_path: Path) -> None:
    src = tmp_path / "raw.jsonl"
    src.write_text('{"data": [{"id": "12", "text": "a"}]}\n{"data": [\n')
    panel = ProgressPanel(display=False)
    with pytest.raises(InputError):
        apply_compliance_jsonl(src, tmp_path / "out.jsonl", client=sandbox.client(), progress=panel)
    (row,) = panel.rows
    assert row.bar.bar_style == "danger" and "line 2" in row.detail.value


# -- the displays, fed with hand-made events ----------------------------------------------


def _pass(stage: str, done: int, total: int = 500) -> ProgressEvent:
    return ProgressEvent(stage, bytes_done=done, bytes_total=total)  # type: ignore[arg-type]


def test_panel_collection_row_reads_waits_for_the_jobs_then_writes() -> None:
    clock = FakeClock(T0)
    panel = ProgressPanel(display=False, clock=clock)
    panel(_pass("reading", 0))
    clock.advance(2)
    panel(_pass("reading", 200))
    (row,) = panel.rows
    assert "collection" in row.title.value
    assert (row.bar.value, row.bar.max, row.bar.bar_style) == (200, 500, "info")
    assert row.stage_label.value == "reading"
    assert row.detail.value == "200 B of 500 B, 100 B/s (40%)"
    panel(_pass("reading", 500))
    assert not row.finished and row.bar.bar_style != "success" and row.stage_label.value == "read"

    panel(ProgressEvent("created", kind="tweets", job_id="5"))
    panel(ProgressEvent("waiting", wait_seconds=30))  # not tied to a job: the job's row
    assert len(panel.rows) == 2 and panel.rows[1].bar.bar_style == "warning"
    assert row.bar.bar_style != "warning"
    panel(ProgressEvent("joined", kind="tweets", job_id="5", counts={"checked": 3}))

    panel(_pass("writing", 0))
    assert row.bar.bar_style == "info" and row.bar.value == 0 and row.stage_label.value == "writing"
    panel(_pass("writing", 500))
    assert row.finished and row.bar.bar_style == "success" and row.bar.value == row.bar.max
    assert len(panel.rows) == 2
    assert panel.summary.value.startswith("1 job(s), 1 done")
    panel.close()
    assert panel.summary.value == "1 job(s) finished · collection: written"


def test_panel_collection_row_fails_with_the_run() -> None:
    panel = ProgressPanel(display=False)
    panel(_pass("reading", 300))
    panel.close(InputError("raw.jsonl, line 4: not valid JSON"))
    (row,) = panel.rows
    assert row.bar.bar_style == "danger" and "line 4" in row.detail.value


def test_terminal_lines_for_the_passes_come_every_tenth() -> None:
    out = io.StringIO()
    rep = LineReporter(stream=out)
    for done in (0, 25, 60, 75, 130, 150):
        rep(_pass("reading", done))
    rep(ProgressEvent("uploading", kind="tweets", job_id="7", bytes_done=5, bytes_total=10))
    for done in (350, 500):
        rep(_pass("reading", done))
    for done in (0, 45, 500):
        rep(_pass("writing", done))
    assert out.getvalue().splitlines() == [
        "[collection] reading: 0 B of 500 B (0%)",
        "[collection] reading: 60 B of 500 B (12%)",
        "[collection] reading: 130 B of 500 B (26%)",
        "[tweets job 7] uploading: 5 B of 10 B (50%)",
        "[collection] reading: 350 B of 500 B (70%)",
        "[collection] reading: 500 B of 500 B (100%)",
        "[collection] writing: 0 B of 500 B (0%)",
        "[collection] writing: 500 B of 500 B (100%)",
    ]
