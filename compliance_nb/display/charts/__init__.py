"""The charts of a compliance run (matplotlib, object-oriented), one module per chart.

Each function takes the frame ``check_compliance`` returned (pandas or polars) and an
optional ``ax``; it draws on that Axes (or on a new figure's, with constrained layout so a
plain ``savefig`` keeps every label) and returns it. Nothing here calls ``plt.show()`` or
touches pyplot's current figure when ``ax`` is given.

Counts are of distinct IDs per kind, as the report counts them
(:func:`compliance_nb.display.counting.outcomes`); colours are one per outcome
(:mod:`compliance_nb.display.palette`); results from the sandbox say SIMULATED.

``common`` holds what they share; ``reasons``, ``redactions``, ``availability`` and ``lag``
one chart each.
"""

from __future__ import annotations

from ..palette import REASON_COLORS, reason_color
from .availability import plot_availability
from .lag import plot_redaction_lag
from .reasons import plot_reasons
from .redactions import plot_redaction_dates

__all__ = [
    "REASON_COLORS",
    "plot_availability",
    "plot_reasons",
    "plot_redaction_dates",
    "plot_redaction_lag",
    "reason_color",
]
