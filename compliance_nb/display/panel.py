"""The notebook panel: a live ipywidgets view with one row per job (:class:`ProgressPanel`).

The panel is displayed as one output that holds the widget view and a static copy of its
state (``text/html`` and ``text/plain``, :mod:`.panel_static`); at the end of the run the
output is replaced by the same with the final state, so a saved notebook shows the
outcome where no kernel renders widgets (GitHub, nbviewer).
"""

from __future__ import annotations

import html
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .._events import ProgressEvent
from .panel_row import PanelRow
from .panel_static import panel_html, panel_text
from .progress_text import COLLECTION_KEY, COLLECTION_STAGES, error_text, safe
from .reporter import Reporter

__all__ = ["ProgressPanel", "in_notebook"]

Clock = Callable[[], float]


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


class ProgressPanel(Reporter):
    """A live panel of ipywidgets: one row per job, moving through its stages.

    Inside a Jupyter kernel it displays itself when the first event arrives (or when
    :meth:`display` is called). Outside a kernel the widgets are plain objects, so
    tests can read ``panel.rows[i].bar.bar_style`` and the labels' ``.value``.

    Pass one as ``progress=`` (``check_compliance(df, progress=ProgressPanel("Run 2"))``) to
    choose its title, or to keep it and look at it after the run.

    Parameters
    ----------
    title : str, default "Compliance check"
        The heading.
    display : bool or "auto", default "auto"
        Show the panel when the first event arrives: ``"auto"`` only inside a Jupyter
        kernel; ``True`` or ``False`` always or never.
    clock : callable, default time.time
        Returns the seconds since the epoch; tests pass a fake one.
    tick_seconds : float, default 1.0
        How often a wait's countdown is refreshed, in seconds.

    Examples
    --------
    >>> from compliance_nb import ProgressEvent
    >>> panel = ProgressPanel("My check", display=False)
    >>> panel(ProgressEvent("uploading", kind="tweets", job_id="42", bytes_done=5,
    ...                     bytes_total=10))
    >>> panel.rows[0].detail.value
    '5 B of 10 B (50%)'
    >>> panel(ProgressEvent("joined", kind="tweets", job_id="42",
    ...                     counts={"checked": 2, "available": 1, "deleted": 1}))
    >>> panel.rows[0].bar.bar_style
    'success'
    >>> panel.rows[0].counts.value
    'checked 2 · still available 1 (50.0%) · needing action: deleted 1'
    >>> panel.close()
    >>> panel.summary.value
    '1 job(s) finished'
    >>> print(panel._repr_mimebundle_()["text/plain"])
    My check — 1 job(s) finished
      tweets · job 42: done: results joined
        checked 2 · still available 1 (50.0%) · needing action: deleted 1
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
        self._handles: list[Any] = []  # the outputs showing the panel, updated at the end
        self._lock = threading.RLock()
        self.rows: list[PanelRow] = []
        self._by_job: dict[str, PanelRow] = {}
        self._by_key: dict[tuple[str | None, int | None], PanelRow] = {}
        self.title = safe(title)
        self.header = w.HTML(value=f"<b>{html.escape(self.title)}</b>")
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
        self._show()

    def _ipython_display_(self) -> None:
        self._show()

    def _show(self) -> None:
        self._displayed = True
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.display import display

        if not InteractiveShell.initialized():  # plain Python: there is no output to keep
            display(self.widget)
            return
        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        if handle is not None:
            self._handles.append(handle)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, with the panel's state as HTML and text for where no widgets
        render (a saved notebook on GitHub or nbviewer)."""
        with self._lock:
            bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
            bundle["text/plain"] = panel_text(self)
            bundle["text/html"] = panel_html(self)
        return bundle

    def _keep_final_state(self) -> None:
        """Replace each output showing the panel with its final state."""
        for handle in self._handles:
            handle.update(self._repr_mimebundle_(), raw=True)

    def __repr__(self) -> str:
        states = ", ".join(f"{r.kind}:{r.job_id or '-'}:{r.stage}" for r in self.rows)
        return f"ProgressPanel([{states}])"

    # events ----------------------------------------------------------------------
    def _row_for(self, event: ProgressEvent) -> PanelRow:
        if event.stage in COLLECTION_STAGES:
            row = self._by_key.get(COLLECTION_KEY)
            if row is None:
                row = PanelRow(None, None, None, collection=True)
                self._by_key[COLLECTION_KEY] = row
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
            row = PanelRow(event.kind, event.part, event.parts)
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
        row = self._by_key.get(COLLECTION_KEY)
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
                text = error_text(error)
                self.summary.value = f"failed: {text}"
                unfinished = [r for r in self.rows if not r.finished]
                for row in unfinished:
                    row.fail(text)
                if not self.rows:  # failed before any job: say so in the panel
                    self.header.value += " <span style='color:#cf222e'>failed</span>"
        self._keep_final_state()
        timer = self._timer
        if timer is not None and timer is not threading.current_thread():
            timer.join(timeout=2 * self._tick_seconds + 1)
