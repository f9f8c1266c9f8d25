"""The counts of a kind's results: IDs checked, available, and one entry per status label.

>>> import polars as pl
>>> summarise(pl.DataFrame({"id": ["1"], "reason": ["deleted"]}), 3)
{'checked': 3, 'available': 2, 'deleted': 1}
"""

from __future__ import annotations

import narwhals.stable.v2 as nw
import polars as pl

from ..rules.outcomes import AVAILABLE, label_expr

__all__ = ["add_counts", "summarise"]


def summarise(results: pl.DataFrame, n_checked: int) -> dict[str, int]:
    """Counts for a ``joined`` event, of distinct IDs.

    Parameters
    ----------
    results : pl.DataFrame
        A kind's collapsed results (one row per ID that needs action, with ``reason``).
    n_checked : int
        How many distinct IDs were checked.

    Returns
    -------
    dict[str, int]
        ``checked``, ``available`` (no result line) and one entry per status label of the
        kind's results alone (:func:`~compliance_nb.rules.outcomes.label_expr`, the labels
        the report uses), most frequent first.

    Examples
    --------
    >>> summarise(pl.DataFrame({"id": [], "reason": []}, schema={"id": pl.UInt64,
    ...     "reason": pl.String}), 2)
    {'checked': 2, 'available': 2}
    """
    counts = {"checked": n_checked, AVAILABLE: n_checked - results.height}
    if results.height:
        labels = nw.from_native(results.select(pl.col("reason").cast(pl.String))).select(
            label_expr(nw.col("reason"), user=False)
        )
        reasons = labels.to_native().to_series().value_counts(sort=True)
        for reason, n in reasons.iter_rows():
            counts[str(reason)] = counts.get(str(reason), 0) + int(n)
    return counts


def add_counts(counts: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Two parts' counts added up (most frequent label first, like one part's).

    Parameters
    ----------
    counts, more : dict[str, int]
        Counts as :func:`summarise` gives them.

    Returns
    -------
    dict[str, int]
        A new dict: ``checked`` and ``available`` first, then the labels by count.

    Examples
    --------
    >>> add_counts({"checked": 3, "available": 2, "deleted": 1},
    ...            {"checked": 4, "available": 1, "suspended": 2, "deleted": 1})
    {'checked': 7, 'available': 3, 'deleted': 2, 'suspended': 2}
    """
    total = dict(counts)
    for key, n in more.items():
        total[key] = total.get(key, 0) + n
    fixed = {k: total.pop(k) for k in ("checked", AVAILABLE) if k in total}
    return fixed | dict(sorted(total.items(), key=lambda kv: -kv[1]))
