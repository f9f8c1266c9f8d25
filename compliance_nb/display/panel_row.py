"""One row of the notebook panel: a job's title, stage, bar, detail line and counts.

With ``collection=True``, the row of a JSON-lines run's passes over its file instead.
The row keeps what has happened to its job in its widgets (``bar.bar_style``,
``stage_label.value``, ...) and in ``stage``, ``finished`` and ``deadline``.
"""

from __future__ import annotations

from .._events import ProgressEvent
from .panel_static import shares_bar
from .progress_text import (
    CANNOT_REACH,
    STAGE_TEXT,
    WAITING_FOR,
    clock_time,
    counts_text,
    format_bytes,
    format_duration,
    row_title,
    safe,
)

__all__ = ["PanelRow"]


class PanelRow:
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
        # the shares per outcome in the charts' colours, once the job is joined
        self.shares = w.HTML(value="")
        self.box = w.VBox(
            [
                self.title,
                w.HBox([self.bar, self.stage_label]),
                self.detail,
                self.counts,
                self.shares,
            ],
            layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"),
        )
        self._set_title()

    def _set_title(self) -> None:
        import html

        if self.collection:
            text = "collection"
        else:
            text = row_title(self.kind, self.job_id, self.name, self.part, self.parts)
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
        self.stage_label.value = STAGE_TEXT.get(stage, stage)
        handler = getattr(self, f"_on_{stage}", None)
        if handler is not None:
            handler(event, now)
        else:  # creating, created, reattached, uploaded, downloaded
            self.bar.bar_style = ""
            self.detail.value = safe(event.message)
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
        self.detail.value = safe(text)

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
        self.detail.value = safe("; ".join(parts))

    # waits -----------------------------------------------------------------------
    def _start_countdown(self, event: ProgressEvent, now: float, template: str) -> None:
        self.bar.bar_style = "warning"
        seconds = event.wait_seconds or 0.0
        self.deadline = now + seconds
        self._wait_template = template.replace("{until}", clock_time(now + seconds))
        self.tick(now)

    def tick(self, now: float) -> None:
        """Refresh the countdown text; called each second by the panel's timer."""
        if self.deadline is None:
            return
        left = max(0.0, self.deadline - now)
        self.detail.value = safe(self._wait_template.replace("{left}", format_duration(left)))

    def _on_waiting(self, event: ProgressEvent, now: float) -> None:
        # the countdown lives in the detail line; what is awaited goes in the stage label
        # (the message's own "waiting N s" would go stale while the countdown runs)
        why = WAITING_FOR.match(event.message or "")
        if why:
            self.stage_label.value = safe(f"rate limit: waiting for {why.group(1)}")
        elif event.message:
            self.stage_label.value = safe(event.message)
        self._start_countdown(event, now, "rate limit: waiting {left} (until {until})")

    def _on_retrying(self, event: ProgressEvent, now: float) -> None:
        unreachable = CANNOT_REACH.match(event.message or "")
        if unreachable:  # "cannot reach HOST (why), retrying (n of m) in {left}"
            self.stage_label.value = "cannot reach the API"
            template = safe(unreachable.group(1)).replace("{", "(").replace("}", ")")
            self._start_countdown(event, now, template + " in {left}")
            return
        why = f" after: {event.message}" if event.message else ""
        self._start_countdown(event, now, "retrying in {left} (at {until})" + why)

    # endings ---------------------------------------------------------------------
    def _on_cached(self, event: ProgressEvent, now: float) -> None:
        self.bar.bar_style = "success"
        self.bar.value = self.bar.max
        self.detail.value = safe(event.message)

    def _on_joined(self, event: ProgressEvent, now: float) -> None:
        self.finished = True
        self.bar.bar_style = "success"
        self.bar.value = self.bar.max
        counts = counts_text(event.counts)
        self.detail.value = "" if counts else safe(event.message)
        self.counts.value = counts
        self.shares.value = shares_bar(event.counts)

    def _on_failed(self, event: ProgressEvent, now: float) -> None:
        self.fail(event.message or (event.job.error if event.job is not None else None))

    def _on_cancelled(self, event: ProgressEvent, now: float) -> None:
        self.finished = True
        self.bar.bar_style = "warning"
        self.stage_label.value = "cancelled"
        self.detail.value = safe(event.message or "cancelled by the user")

    def fail(self, text: str | None) -> None:
        self.finished = True
        self.deadline = None
        self.bar.bar_style = "danger"
        self.bar.description = "failed"
        self.stage_label.value = "failed"
        self.detail.value = safe(text or "the job failed")
