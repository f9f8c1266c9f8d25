"""Which progress display a ``progress=`` argument asks for: :func:`resolve_progress`.

``resolve_progress(progress)`` turns the user's ``progress=`` argument into a reporter
(:class:`~compliance_nb.display.reporter.Reporter`): an object called with each
:class:`~compliance_nb.ProgressEvent`, then ``close(error)`` once at the end.

=====================  ==========================================================
``progress=``          reporter
=====================  ==========================================================
``"auto"`` / ``True``  ``ProgressPanel`` inside a Jupyter kernel, else ``LineReporter``
``"widget"``           ``ProgressPanel`` (:mod:`.panel`, a live widget panel)
``"lines"``            ``LineReporter`` (:mod:`.lines`, concise lines on stderr)
``False`` / ``None``   nothing
a Reporter             used as is (for example ``ProgressPanel()``)
a callable             called with each event
=====================  ==========================================================

Both views say the same things in the same words (:mod:`.progress_text`), and nothing
they show ever contains a signed URL or a token.

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

from typing import Any

from .._exceptions import InputError
from .lines import LineReporter
from .panel import ProgressPanel, in_notebook
from .reporter import CallbackReporter, Reporter

__all__ = ["resolve_progress"]


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
        return CallbackReporter(progress)
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
