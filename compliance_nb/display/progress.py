"""Progress display: a live widget panel in Jupyter, concise lines on stderr elsewhere.

``resolve_progress(progress)`` turns the user's ``progress=`` argument into a
:class:`Reporter`: an object called with each :class:`~compliance_nb.ProgressEvent`, then
``close(error)`` once at the end.

=====================  ==========================================================
``progress=``          reporter
=====================  ==========================================================
``"auto"`` / ``True``  :class:`ProgressPanel` inside a Jupyter kernel, else :class:`LineReporter`
``"widget"``           :class:`ProgressPanel`
``"lines"``            :class:`LineReporter` (stderr)
``False`` / ``None``   nothing
a Reporter             used as is (for example ``ProgressPanel()``)
a callable             called with each event
=====================  ==========================================================

Nothing shown ever contains a signed URL or a token: every text passes through
:func:`~compliance_nb._redact.mask_text`.

>>> from compliance_nb._events import ProgressEvent
>>> panel = ProgressPanel()
>>> panel(ProgressEvent("created", kind="tweets", job_id="42", job_name="demo"))
>>> panel(ProgressEvent("waiting", kind="tweets", job_id="42", wait_seconds=3))
>>> panel.rows[0].bar.bar_style
'warning'
>>> panel.close()
>>> resolve_progress(False) is None
True
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TextIO

from .._events import ProgressEvent
from .._exceptions import InputError
from .._redact import mask_text

__all__ = [
    "LineReporter",
    "ProgressPanel",
    "Reporter",
    "format_bytes",
    "format_duration",
    "in_notebook",
    "resolve_progress",
]

Clock = Callable[[], float]


class Reporter:
    """Receives progress events; ``close(error)`` is called once at the end."""

    def __call__(self, event: ProgressEvent) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, error: BaseException | None = None) -> None:
        pass


# -- formatting ------------------------------------------------------------------------


def format_bytes(n: float | None) -> str:
    """Bytes in decimal units, 3 significant digits.

    >>> format_bytes(12_345_678), format_bytes(40_000_000), format_bytes(512)
    ('12.3 MB', '40 MB', '512 B')
    """
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            if unit == "B":
                return f"{int(value)} B"
            text = f"{value:.3g}"
            return f"{text} {unit}"
        value /= 1000
    return f"{value:.3g} TB"  # pragma: no cover - unreachable


def format_duration(seconds: float | None) -> str:
    """A short human duration.

    >>> format_duration(42), format_duration(65), format_duration(3725)
    ('42 s', '1 min 05 s', '1 h 02 min')
    """
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def _clock_time(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S UTC")


def _safe(text: Any) -> str:
    return mask_text(str(text)) if text is not None else ""


def _error_text(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return _safe(f"{type(error).__name__}: {text}")


def _counts_text(counts: dict[str, int] | None) -> str:
    """'checked 1,000 · still available 900 (90.0%) · needing action: deleted 70, ...'."""
    if not counts:
        return ""
    checked = counts.get("checked")
    available = counts.get("available")
    parts = []
    if checked is not None:
        parts.append(f"checked {checked:,}")
    if available is not None:
        share = f" ({available / checked:.1%})" if checked else ""
        parts.append(f"still available {available:,}{share}")
    reasons = {k: v for k, v in counts.items() if k not in ("checked", "available")}
    if reasons:
        listed = ", ".join(
            f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        parts.append(f"needing action: {listed}")
    elif available is not None and checked is not None:
        parts.append("none needing action")
    return _safe(" · ".join(parts))


def _row_title(kind: str | None, job_id: str | None, name: str | None, part, parts) -> str:
    bits = [kind or "job"]
    if parts and parts > 1 and part:
        bits.append(f"part {part}/{parts}")
    bits.append(f"job {job_id}" if job_id else "(job not created yet)")
    if name:
        bits.append(f"“{name}”")
    return _safe(" · ".join(bits))


# -- the notebook panel ------------------------------------------------------------------


def in_notebook() -> bool:
    """True inside a Jupyter kernel (ZMQ shell) with ipywidgets importable."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # pragma: no cover - IPython missing or broken
        return False
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:  # pragma: no cover - ipywidgets is a dependency
        return False
    return True


_STAGE_TEXT = {
    "creating": "creating the job",
    "created": "job created",
    "reattached": "reattached to an existing job",
    "cached": "results reused from the local cache",
    "uploading": "uploading IDs",
    "uploaded": "upload finished; waiting for the job to be processed",
    "processing": "processing (on the API server)",
    "downloading": "downloading results",
    "downloaded": "results downloaded",
    "joined": "done: results joined",
    "waiting": "rate limit",
    "retrying": "retrying",
    "failed": "failed",
    "cancelled": "cancelled",
}


#: a JSON-lines run's passes over its file: one "collection" row, not a job's
_COLLECTION_STAGES = ("reading", "writing")
_COLLECTION_KEY = ("collection", None)

_WAITING_FOR = re.compile(r"^\s*rate limit: waiting [^ ]+ s for (.+?)\.?\s*$", re.IGNORECASE)


class _Row:
    """One job's row: title, stage, progress bar, detail line, final counts.

    With ``collection=True``, the row of a JSON-lines run's passes over its file
    (``reading``, ``writing``) instead.
    """

    def __init__(
        self, kind: str | None, part: int | None, parts: int | None, *, collection: bool = False
    ) -> None:
        import ipywidgets as w

        self.collection = collection
        self.kind = kind
        self.part = part
        self.parts = parts
        self.job_id: str | None = None
        self.name: str | None = None
        self.stage: str | None = None
        self.finished = False
        # transfer rate: (stage, first clock, first bytes)
        self._transfer_start: tuple[str, float, int] | None = None
        # an active countdown: (deadline clock, template with {left})
        self.deadline: float | None = None
        self._wait_template = ""
        self.title = w.HTML(value="")
        self.stage_label = w.Label(value="")
        self.bar = w.FloatProgress(
            value=0.0,
            min=0.0,
            max=1.0,
            description="",
            bar_style="",
            layout=w.Layout(width="40%"),
        )
        self.detail = w.Label(value="")
        self.counts = w.Label(value="")
        self.box = w.VBox(
            [self.title, w.HBox([self.bar, self.stage_label]), self.detail, self.counts],
            layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"),
        )
        self._set_title()

    def _set_title(self) -> None:
        import html

        if self.collection:
            text = "collection"
        else:
            text = _row_title(self.kind, self.job_id, self.name, self.part, self.parts)
        self.title.value = f"<b>{html.escape(text)}</b>"

    def identify(self, event: ProgressEvent) -> None:
        changed = False
        if event.job_id and event.job_id != self.job_id:
            self.job_id = event.job_id
            changed = True
        name = event.job_name or (event.job.name if event.job is not None else None)
        if name and name != self.name:
            self.name = name
            changed = True
        if event.parts and event.parts != self.parts:
            self.parts, self.part = event.parts, event.part
            changed = True
        if changed:
            self._set_title()

    def update(self, event: ProgressEvent, now: float) -> None:
        stage = event.stage
        self.identify(event)
        self.deadline = None
        if stage not in ("waiting", "retrying"):
            self.stage = stage
        self.bar.description = stage
        self.stage_label.value = _STAGE_TEXT.get(stage, stage)
        handler = getattr(self, f"_on_{stage}", None)
        if handler is not None:
            handler(event, now)
        else:  # creating, created, reattached, uploaded, downloaded
            self.bar.bar_style = ""
            self.detail.value = _safe(event.message)
            if stage in ("uploaded", "downloaded"):
                self.bar.value = self.bar.max
            elif stage in ("creating", "created", "reattached"):
                self.bar.value = 0.0

    # transfers -------------------------------------------------------------------
    def _transfer(self, event: ProgressEvent, now: float) -> None:
        self.bar.bar_style = "info"
        done = event.bytes_done or 0
        total = event.bytes_total
        if self._transfer_start is None or self._transfer_start[0] != event.stage:
            self._transfer_start = (event.stage, now, done)
        _, t0, b0 = self._transfer_start
        if total:
            self.bar.max = float(total)
            self.bar.value = float(min(done, total))
        rate = (done - b0) / (now - t0) if now > t0 and done > b0 else None
        text = f"{format_bytes(done)} of {format_bytes(total)}" if total else format_bytes(done)
        if rate:
            text += f", {format_bytes(rate)}/s"
        if event.fraction is not None:
            text += f" ({event.fraction:.0%})"
        self.detail.value = _safe(text)

    _on_uploading = _transfer
    _on_downloading = _transfer

    def _collection_pass(self, event: ProgressEvent, now: float) -> None:
        """A pass over the collection file; the last ``writing`` event ends the row."""
        self._transfer(event, now)
        if event.bytes_total is None or (event.bytes_done or 0) < event.bytes_total:
            return
        self.bar.value = self.bar.max
        if event.stage == "writing":
            self.finished = True
            self.bar.bar_style = "success"
            self.stage_label.value = "written"
        else:
            self.bar.bar_style = ""
            self.stage_label.value = "read"

    _on_reading = _collection_pass
    _on_writing = _collection_pass

    def _on_processing(self, event: ProgressEvent, now: float) -> None:
        self.bar.bar_style = "info"
        parts = []
        if event.elapsed_seconds is not None:
            parts.append(f"processing for {format_duration(event.elapsed_seconds)}")
        estimate = event.job.estimated_completion if event.job is not None else None
        if estimate is not None:
            left = estimate.timestamp() - now
            when = estimate.strftime("%H:%M:%S UTC")
            if left > 0:
                parts.append(f"estimated completion at {when} (in {format_duration(left)})")
            else:
                parts.append(f"X estimated completion at {when}")
            if event.elapsed_seconds is not None and left > 0:
                self.bar.max = 1.0
                self.bar.value = event.elapsed_seconds / (event.elapsed_seconds + left)
        else:
            # no estimate: a full, blue bar means "working"; the text says how long
            self.bar.max = 1.0
            self.bar.value = 1.0
        if event.wait_seconds is not None:
            parts.append(f"next check in {format_duration(event.wait_seconds)}")
        if event.message:
            parts.append(event.message)
        self.detail.value = _safe("; ".join(parts))

    # waits -----------------------------------------------------------------------
    def _start_countdown(self, event: ProgressEvent, now: float, template: str) -> None:
        self.bar.bar_style = "warning"
        seconds = event.wait_seconds or 0.0
        self.deadline = now + seconds
        self._wait_template = template.replace("{until}", _clock_time(now + seconds))
        self.tick(now)

    def tick(self, now: float) -> None:
        """Refresh the countdown text; called each second by the panel's timer."""
        if self.deadline is None:
            return
        left = max(0.0, self.deadline - now)
        self.detail.value = _safe(self._wait_template.replace("{left}", format_duration(left)))

    def _on_waiting(self, event: ProgressEvent, now: float) -> None:
        # the countdown lives in the detail line; what is awaited goes in the stage label
        # (the message's own "waiting N s" would go stale while the countdown runs)
        why = _WAITING_FOR.match(event.message or "")
        if why:
            self.stage_label.value = _safe(f"rate limit: waiting for {why.group(1)}")
        elif event.message:
            self.stage_label.value = _safe(event.message)
        self._start_countdown(event, now, "rate limit: waiting {left} (until {until})")

    def _on_retrying(self, event: ProgressEvent, now: float) -> None:
        why = f" after: {event.message}" if event.message else ""
        self._start_countdown(event, now, "retrying in {left} (at {until})" + why)

    # endings ---------------------------------------------------------------------
    def _on_cached(self, event: ProgressEvent, now: float) -> None:
        self.bar.bar_style = "success"
        self.bar.value = self.bar.max
        self.detail.value = _safe(event.message)

    def _on_joined(self, event: ProgressEvent, now: float) -> None:
        self.finished = True
        self.bar.bar_style = "success"
        self.bar.value = self.bar.max
        counts = _counts_text(event.counts)
        self.detail.value = "" if counts else _safe(event.message)
        self.counts.value = counts

    def _on_failed(self, event: ProgressEvent, now: float) -> None:
        self.fail(event.message or (event.job.error if event.job is not None else None))

    def _on_cancelled(self, event: ProgressEvent, now: float) -> None:
        self.finished = True
        self.bar.bar_style = "warning"
        self.stage_label.value = "cancelled"
        self.detail.value = _safe(event.message or "cancelled by the user")

    def fail(self, text: str | None) -> None:
        self.finished = True
        self.deadline = None
        self.bar.bar_style = "danger"
        self.bar.description = "failed"
        self.stage_label.value = "failed"
        self.detail.value = _safe(text or "the job failed")


class ProgressPanel(Reporter):
    """A live panel of ipywidgets: one row per job, moving through its stages.

    Inside a Jupyter kernel it displays itself when the first event arrives (or when
    :meth:`display` is called). Outside a kernel the widgets are plain objects, so
    tests can read ``panel.rows[i].bar.bar_style`` and the labels' ``.value``.

    Args:
        title: the heading.
        display: ``"auto"`` (only inside a kernel), ``True`` or ``False``.
        clock: seconds since the epoch (``time.time``); tests pass a fake.
        tick_seconds: how often a wait's countdown is refreshed.
    """

    def __init__(
        self,
        title: str = "Compliance check",
        *,
        display: bool | str = "auto",
        clock: Clock = time.time,
        tick_seconds: float = 1.0,
    ) -> None:
        import ipywidgets as w

        self._clock = clock
        self._tick_seconds = tick_seconds
        self._want_display = in_notebook() if display == "auto" else bool(display)
        self._displayed = False
        self._lock = threading.RLock()
        self.rows: list[_Row] = []
        self._by_job: dict[str, _Row] = {}
        self._by_key: dict[tuple[str | None, int | None], _Row] = {}
        self.header = w.HTML(value=f"<b>{_safe(title)}</b>")
        self.summary = w.Label(value="starting…")
        self.widget = w.VBox([self.header, self.summary])
        self._timer: threading.Thread | None = None
        self._timer_stop = threading.Event()
        self.closed = False

    # display ---------------------------------------------------------------------
    def display(self) -> None:
        """Show the panel in the current notebook cell (once)."""
        if self._displayed:
            return
        self._displayed = True
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self._displayed = True
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        states = ", ".join(f"{r.kind}:{r.job_id or '-'}:{r.stage}" for r in self.rows)
        return f"ProgressPanel([{states}])"

    # events ----------------------------------------------------------------------
    def _row_for(self, event: ProgressEvent) -> _Row:
        if event.stage in _COLLECTION_STAGES:
            row = self._by_key.get(_COLLECTION_KEY)
            if row is None:
                row = _Row(None, None, None, collection=True)
                self._by_key[_COLLECTION_KEY] = row
                self.rows.append(row)
                self.widget.children = (self.header, self.summary, *(r.box for r in self.rows))
            return row
        job_rows = [r for r in self.rows if not r.collection]
        if event.kind is None and event.job_id is None and job_rows:
            # a wait or retry the client could not tie to a job: the latest open row
            open_rows = [r for r in job_rows if not r.finished]
            return (open_rows or job_rows)[-1]
        key = (event.kind, event.part)
        row = self._by_job.get(event.job_id) if event.job_id else None
        if row is None:
            candidate = self._by_key.get(key)
            if candidate is not None and (
                event.job_id is None or candidate.job_id in (None, event.job_id)
            ):
                row = candidate
        if row is None:
            row = _Row(event.kind, event.part, event.parts)
            self.rows.append(row)
            self.widget.children = (self.header, self.summary, *(r.box for r in self.rows))
        self._by_key[key] = row
        if event.job_id:
            self._by_job[event.job_id] = row
        return row

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if self._want_display and not self._displayed:
                self.display()
            row = self._row_for(event)
            row.update(event, self._clock())
            self._refresh_summary()
            if row.deadline is not None:
                self._ensure_timer()
            elif not any(r.deadline is not None for r in self.rows):
                self._timer_stop.set()  # nothing to count down any more

    def _refresh_summary(self) -> None:
        if not self.rows:
            return
        jobs = [r for r in self.rows if not r.collection]
        done = sum(1 for r in jobs if r.finished and r.bar.bar_style == "success")
        waiting = [r for r in self.rows if r.deadline is not None]
        text = f"{len(jobs)} job(s), {done} done"
        if waiting:
            text += " · waiting, see below (it is not stuck)"
        self.summary.value = text + self._collection_text()

    def _collection_text(self) -> str:
        """' · collection: reading' while a JSON-lines run reads or writes its file."""
        row = self._by_key.get(_COLLECTION_KEY)
        return f" · collection: {row.stage_label.value}" if row is not None else ""

    # countdown timer -------------------------------------------------------------
    def tick(self) -> bool:
        """Refresh every countdown now; False when no row is waiting any more."""
        with self._lock:
            now = self._clock()
            waiting = [r for r in self.rows if r.deadline is not None]
            for row in waiting:
                row.tick(now)
            return bool(waiting) and not self.closed

    def _ensure_timer(self) -> None:
        if self._timer is not None and self._timer.is_alive():
            return
        self._timer_stop.clear()
        self._timer = threading.Thread(
            target=self._run_timer, name="compliance-nb-countdown", daemon=True
        )
        self._timer.start()

    def _run_timer(self) -> None:
        while not self._timer_stop.wait(self._tick_seconds):
            if not self.tick():
                return

    @property
    def timer_running(self) -> bool:
        """True while a countdown is being refreshed."""
        return self._timer is not None and self._timer.is_alive()

    def close(self, error: BaseException | None = None) -> None:
        with self._lock:
            self.closed = True
            for row in self.rows:
                row.deadline = None
            self._timer_stop.set()
            from .._exceptions import JobCancelledError

            if error is None:
                jobs = sum(1 for r in self.rows if not r.collection)
                self.summary.value = f"{jobs} job(s) finished" + self._collection_text()
            elif isinstance(error, JobCancelledError):
                self.summary.value = "cancelled"
                for row in self.rows:
                    if not row.finished:
                        row._on_cancelled(ProgressEvent("cancelled"), self._clock())
            else:
                text = _error_text(error)
                self.summary.value = f"failed: {text}"
                unfinished = [r for r in self.rows if not r.finished]
                for row in unfinished:
                    row.fail(text)
                if not self.rows:  # failed before any job: say so in the panel
                    self.header.value += " <span style='color:#cf222e'>failed</span>"
        timer = self._timer
        if timer is not None and timer is not threading.current_thread():
            timer.join(timeout=2 * self._tick_seconds + 1)


# -- terminal lines -----------------------------------------------------------------------


class LineReporter(Reporter):
    """Concise lines on stderr: stage changes, every ~10% of a transfer, waits.

    >>> import io
    >>> out = io.StringIO()
    >>> rep = LineReporter(stream=out)
    >>> rep(ProgressEvent("uploading", kind="tweets", job_id="7", bytes_done=5, bytes_total=10))
    >>> out.getvalue()
    '[tweets job 7] uploading: 5 B of 10 B (50%)\\n'
    """

    def __init__(self, stream: TextIO | None = None, *, step: float = 0.1) -> None:
        self._stream = stream
        self._step = step
        self._last_stage: dict[tuple[Any, ...], str] = {}
        self._last_fraction: dict[tuple[Any, ...], float] = {}

    def _write(self, text: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        print(_safe(text), file=stream, flush=True)

    @staticmethod
    def _prefix(event: ProgressEvent) -> str:
        bits = [event.kind or "-"]
        if event.parts and event.parts > 1:
            bits.append(f"part {event.part}/{event.parts}")
        bits.append(f"job {event.job_id}" if event.job_id else "(new job)")
        return "[" + " ".join(bits) + "]"

    def __call__(self, event: ProgressEvent) -> None:
        stage = event.stage
        if stage in _COLLECTION_STAGES:
            key: tuple[Any, ...] = _COLLECTION_KEY
            prefix = "[collection]"
        else:
            key = (event.kind, event.part)
            prefix = self._prefix(event)
        previous = self._last_stage.get(key)
        self._last_stage[key] = stage
        msg = f": {event.message}" if event.message else ""
        if stage in ("uploading", "downloading", *_COLLECTION_STAGES):
            fraction = event.fraction
            last = self._last_fraction.get(key) if previous == stage else None
            if fraction is None:
                if previous != stage:
                    self._write(f"{prefix} {stage}: {format_bytes(event.bytes_done)}")
                return
            if last is not None and fraction < 1.0 and fraction - last < self._step:
                return
            self._last_fraction[key] = fraction
            self._write(
                f"{prefix} {stage}: {format_bytes(event.bytes_done)} of "
                f"{format_bytes(event.bytes_total)} ({fraction:.0%})"
            )
        elif stage == "processing":
            if previous != stage:
                estimate = event.job.estimated_completion if event.job is not None else None
                extra = f", estimated completion {estimate:%H:%M UTC}" if estimate else ""
                self._write(f"{prefix} processing on the API server{extra}")
        elif stage == "waiting":
            until = _clock_time(time.time() + (event.wait_seconds or 0))
            why = _WAITING_FOR.match(event.message or "")
            reason = f" for {why.group(1)}" if why else msg
            self._write(
                f"{prefix} rate limit: waiting {format_duration(event.wait_seconds)} "
                f"(until {until}){reason}"
            )
        elif stage == "retrying":
            self._write(f"{prefix} retrying in {format_duration(event.wait_seconds)}{msg}")
        elif stage == "joined":
            counts = _counts_text(event.counts)
            self._write(f"{prefix} done" + (f": {counts}" if counts else msg))
        else:
            self._write(f"{prefix} {_STAGE_TEXT.get(stage, stage)}{msg}")

    def close(self, error: BaseException | None = None) -> None:
        if error is not None:
            self._write(f"compliance check stopped: {_error_text(error)}")


class _Callback(Reporter):
    def __init__(self, fn: Callable[[ProgressEvent], Any]) -> None:
        self._fn = fn

    def __call__(self, event: ProgressEvent) -> None:
        self._fn(event)

    def close(self, error: BaseException | None = None) -> None:
        close = getattr(self._fn, "close", None)
        if callable(close):
            close(error)


def resolve_progress(progress: Any) -> Reporter | None:
    """Turn a ``progress=`` argument into a reporter (see the module docstring).

    >>> type(resolve_progress("lines")).__name__
    'LineReporter'
    >>> resolve_progress(None) is None
    True
    """
    if progress is None or progress is False:
        return None
    if isinstance(progress, Reporter):
        return progress
    if callable(progress):
        return _Callback(progress)
    if progress is True or progress == "auto":
        return ProgressPanel() if in_notebook() else LineReporter()
    if progress in ("widget", "notebook"):
        return ProgressPanel()
    if progress in ("lines", "text", "terminal"):
        return LineReporter()
    raise InputError(
        f"progress={progress!r} is not understood; use 'auto', 'widget', 'lines', False, "
        "a ProgressPanel() or a function that takes a ProgressEvent."
    )
