"""The counts of a kind's results: IDs checked, available, and one entry per status label.

>>> import polars as pl
>>> summarise(pl.DataFrame({"id": ["1"], "reason": ["deleted"]}), 3)
{'checked': 3, 'available': 2, 'deleted': 1}
"""

from __future__ import annotations

import polars as pl

from ..rules.outcomes import AVAILABLE, reason_label

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
        kind's results alone (:func:`~compliance_nb.rules.outcomes.reason_label`, the labels
        the report uses), most frequent first.

    Examples
    --------
    >>> summarise(pl.DataFrame({"id": [], "reason": []}, schema={"id": pl.UInt64,
    ...     "reason": pl.String}), 2)
    {'checked': 2, 'available': 2}
    """
    counts = {"checked": n_checked, AVAILABLE: n_checked - results.height}
    if results.height:
        # counted per reason (categories, not text per result), then each reason's label
        per_reason = results.get_column("reason").value_counts(sort=True)
        for reason, n in per_reason.iter_rows():
            label = reason_label(None if reason is None else str(reason), user=False)
            counts[label] = counts.get(label, 0) + int(n)
        rest = sorted(
            ((k, v) for k, v in counts.items() if k not in ("checked", AVAILABLE)),
            key=lambda kv: -kv[1],
        )
        counts = {"checked": counts["checked"], AVAILABLE: counts[AVAILABLE], **dict(rest)}
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
