"""One colour per outcome, the same in every chart and in the progress panel.

The colours are the Okabe & Ito (2008) palette without its orange (next to vermillion it
reads as a second orange), black in its place, and a light grey for a result with no reason.
Under simulated protanopia, deuteranopia and tritanopia no two of them come closer than a
CIEDE2000 difference of 12 (``tests/display/test_palette.py`` holds them to that).

No import of matplotlib here: the panel (ipywidgets, HTML) uses the same colours.

>>> reason_color("deleted") == reason_color("user_deleted") == REASON_COLORS["deleted"]
True
>>> order_statuses(["deleted", "available", "protected"], {"deleted": 1, "protected": 5})
['available', 'protected', 'deleted']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..rules.outcomes import AVAILABLE, GEO_SCRUBBED, UNKNOWN, USER_PREFIX, reason_label

__all__ = ["REASON_COLORS", "order_statuses", "reason_color"]

#: One colour per outcome, the same in every chart and in the progress panel.
REASON_COLORS: dict[str, str] = {
    AVAILABLE: "#009E73",  # bluish green
    "deleted": "#D55E00",  # vermillion
    "suspended": "#CC79A7",  # reddish purple
    "protected": "#0072B2",  # blue
    "deactivated": "#000000",  # black
    "bounced": "#F0E442",  # yellow
    GEO_SCRUBBED: "#56B4E9",  # sky blue
    UNKNOWN: "#DDDDDD",  # light grey
}
# reasons X may add later: mid greys, apart from the black and the light grey above
_EXTRA_COLORS = ("#6E6E6E", "#9E9E9E", "#858585")


def reason_color(reason: str) -> str:
    """The colour of an outcome (``user_`` reasons as their reason); new reasons get greys.

    >>> reason_color("available")
    '#009E73'
    >>> reason_color("some_new_reason") == reason_color("some_new_reason")
    True
    """
    base = reason_label(reason.removeprefix(USER_PREFIX), user=False)
    if base in REASON_COLORS:
        return REASON_COLORS[base]
    return _EXTRA_COLORS[sum(base.encode()) % len(_EXTRA_COLORS)]


def order_statuses(statuses: Iterable[str], counts: Mapping[str, int] | None = None) -> list[str]:
    """``available`` first, then by count (largest first), then by name."""
    counts = counts or {}
    present = set(statuses)
    rest = sorted((s for s in present if s != AVAILABLE), key=lambda s: (-counts.get(s, 0), s))
    return ([AVAILABLE] if AVAILABLE in present else []) + rest
