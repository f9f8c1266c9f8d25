"""The charts, where :mod:`compliance_nb` finds them (they live in :mod:`.charts`).

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1265324480517361664", "1265324480517361665"],
...                    "compliance_reason": ["deleted", None], "compliant": [False, True]})
>>> ax = plot_reasons(df)
>>> [t.get_text() for t in ax.get_yticklabels()]
['available 1 (50.0%)', 'deleted 1 (50.0%)']
>>> import matplotlib.pyplot as plt; plt.close(ax.figure)
"""

from __future__ import annotations

from .charts import (
    REASON_COLORS,
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
    reason_color,
)

__all__ = [
    "REASON_COLORS",
    "plot_availability",
    "plot_reasons",
    "plot_redaction_dates",
    "plot_redaction_lag",
    "reason_color",
]
