"""The terminal view: concise progress lines on stderr (:class:`LineReporter`)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .._events import ProgressEvent
from .progress_text import (
    COLLECTION_KEY,
    COLLECTION_STAGES,
    STAGE_TEXT,
    WAITING_FOR,
    clock_time,
    counts_text,
    error_text,
    format_bytes,
    format_duration,
    safe,
)
from .reporter import Reporter

__all__ = ["LineReporter"]


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
        print(safe(text), file=stream, flush=True)

    @staticmethod
    def _prefix(event: ProgressEvent) -> str:
        bits = [event.kind or "-"]
        if event.parts and event.parts > 1:
            bits.append(f"part {event.part}/{event.parts}")
        bits.append(f"job {event.job_id}" if event.job_id else "(new job)")
        return "[" + " ".join(bits) + "]"

    def __call__(self, event: ProgressEvent) -> None:
        stage = event.stage
        if stage in COLLECTION_STAGES:
            key: tuple[Any, ...] = COLLECTION_KEY
            prefix = "[collection]"
        else:
            key = (event.kind, event.part)
            prefix = self._prefix(event)
        previous = self._last_stage.get(key)
        self._last_stage[key] = stage
        msg = f": {event.message}" if event.message else ""
        if stage in ("uploading", "downloading", *COLLECTION_STAGES):
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
            until = clock_time(time.time() + (event.wait_seconds or 0))
            why = WAITING_FOR.match(event.message or "")
            reason = f" for {why.group(1)}" if why else msg
            self._write(
                f"{prefix} rate limit: waiting {format_duration(event.wait_seconds)} "
                f"(until {until}){reason}"
            )
        elif stage == "retrying":
            if (event.message or "").startswith("cannot reach"):  # says when, itself
                self._write(f"{prefix} {event.message}")
            else:
                self._write(f"{prefix} retrying in {format_duration(event.wait_seconds)}{msg}")
        elif stage == "queued":  # the message says what it waits for and for how long
            later = event.wait_seconds
            after = f"; next check in {format_duration(later)}" if later else ""
            self._write(f"{prefix} {event.message or STAGE_TEXT[stage]}{after}")
        elif stage == "joined":
            counts = counts_text(event.counts)
            self._write(f"{prefix} done" + (f": {counts}" if counts else msg))
        else:
            self._write(f"{prefix} {STAGE_TEXT.get(stage, stage)}{msg}")

    def close(self, error: BaseException | None = None) -> None:
        if error is not None:
            self._write(f"compliance check stopped: {error_text(error)}")
