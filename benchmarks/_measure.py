"""Measuring one benchmark run inside its own process: stage times and peak memory.

:class:`Recorder` keeps a list of stage marks (``mark("upload")`` starts the upload
stage and ends the one before) and a thread that samples the process's resident memory
(RSS, via psutil) every 5 ms. Every mark also takes a sample, so a short stage still gets
one. At the end, :meth:`Recorder.finish` returns per-stage wall times, CPU times (all
threads of the process; less disturbed than wall time by other load on the machine) and
peak RSS, the overall peak, the RSS just before the run began (interpreter, libraries and
input frame) and ``ru_maxrss`` from ``resource.getrusage`` as a cross-check (that one
covers the whole life of the process, loading the input included).

>>> rec = Recorder(interval=0.001)
>>> rec.start()
>>> rec.mark("prepare"); _ = bytearray(10_000_000); rec.mark("upload")
>>> result = rec.finish()
>>> sorted(result["stages"])
['prepare', 'upload']
>>> result["peak_rss"] >= result["baseline_rss"]
True
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from typing import Any

import psutil

__all__ = ["Recorder", "ru_maxrss_bytes"]


def ru_maxrss_bytes() -> int:
    """The process's lifetime peak RSS from getrusage, in bytes (Linux reports KiB)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(value if sys.platform == "darwin" else value * 1024)


class Recorder:
    """Stage marks plus a background RSS sampler (see the module docstring).

    Args:
        interval: seconds between RSS samples (default 5 ms).
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._process = psutil.Process()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.marks: list[tuple[str, float]] = []
        self.cpu_marks: list[float] = []  # process CPU seconds (all threads) at each mark
        self.stage: str | None = None
        self.peak_by_stage: dict[str, int] = {}
        self.peak = 0
        self.samples = 0
        self.baseline_rss = 0
        self.started = 0.0
        self.notes: dict[str, Any] = {}

    def _sample(self) -> None:
        rss = self._process.memory_info().rss
        with self._lock:
            self.samples += 1
            if rss > self.peak:
                self.peak = rss
            if self.stage is not None and rss > self.peak_by_stage.get(self.stage, 0):
                self.peak_by_stage[self.stage] = rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Record the baseline RSS and start sampling."""
        self.baseline_rss = self._process.memory_info().rss
        self.peak = self.baseline_rss
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def mark(self, stage: str, at: float | None = None) -> None:
        """Start ``stage`` now (or at ``at``, a ``time.perf_counter`` value)."""
        self._sample()  # the end of the stage before
        with self._lock:
            self.marks.append((stage, time.perf_counter() if at is None else at))
            self.cpu_marks.append(time.process_time())
            self.stage = stage
        self._sample()

    def finish(self) -> dict[str, Any]:
        """Stop sampling; return stage times, peaks and counters (all memory in bytes)."""
        self.mark("end")
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        stages: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for i, ((stage, t0), (_, t1)) in enumerate(zip(self.marks, self.marks[1:], strict=False)):
            stages[stage] = stages.get(stage, 0.0) + (t1 - t0)
            cpu[stage] = cpu.get(stage, 0.0) + (self.cpu_marks[i + 1] - self.cpu_marks[i])
        wall = self.marks[-1][1] - self.marks[0][1] if self.marks else 0.0
        return {
            "wall_seconds": wall,
            "stages": stages,
            "stage_cpu_seconds": cpu,
            "cpu_seconds": self.cpu_marks[-1] - self.cpu_marks[0] if self.cpu_marks else 0.0,
            "load_average": os.getloadavg(),
            "stage_peak_rss": {k: v for k, v in self.peak_by_stage.items() if k != "end"},
            "peak_rss": self.peak,
            "baseline_rss": self.baseline_rss,
            "ru_maxrss": ru_maxrss_bytes(),
            "rss_samples": self.samples,
            "sample_interval": self.interval,
            "marks": [(s, round(t - self.started, 6)) for s, t in self.marks],
            "notes": self.notes,
        }
