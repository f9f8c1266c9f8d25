"""The panel as static output: what a saved notebook shows where the live widgets were.

A notebook viewed on GitHub or nbviewer has no kernel, so no widgets: it shows the
output's ``text/html`` (or ``text/plain``). The panel displays itself as one output
holding the widget view *and* these two, and replaces them with the final state when the
run ends (:meth:`~compliance_nb.display.panel.ProgressPanel.close`), so the saved
notebook keeps the counts and jobs. Everything in it comes from the widgets' texts, which
are masked already (:func:`~compliance_nb.display.progress_text.safe`): no token, no
signed URL.

>>> bar = shares_bar({"checked": 4, "available": 3, "deleted": 1})
>>> "width:75.000%;background:#009E73" in bar and "deleted: 1 (25.0%)" in bar
True
>>> shares_bar({}) == ""
True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ..rules.outcomes import AVAILABLE
from .palette import order_statuses, reason_color

if TYPE_CHECKING:
    from .panel import ProgressPanel
    from .panel_row import PanelRow

__all__ = ["panel_html", "panel_text", "shares_bar"]

# a bar's style as the widget shows it (ipywidgets' bar_style colours)
_BAR_COLORS = {"success": "#4caf50", "info": "#00bcd4", "warning": "#ff9800", "danger": "#f44336"}


def shares_bar(counts: dict[str, int] | None) -> str:
    """A thin bar of the shares per outcome, in the charts' colours (HTML), or ``""``.

    Each part has its outcome, count and share as a tooltip.
    """
    if not counts:
        return ""
    parts = {k: v for k, v in counts.items() if k != "checked" and v > 0}
    total = sum(parts.values())
    if not total:
        return ""
    cells = []
    for status in order_statuses(parts, parts):
        n = parts[status]
        tip = html.escape(f"{status}: {n:,} ({n / total:.1%})", quote=True)
        cells.append(
            f"<span title='{tip}' style='display:inline-block;height:100%;"
            f"width:{100 * n / total:.3f}%;background:{reason_color(status)}'></span>"
        )
    legend = " ".join(
        f"<span style='white-space:nowrap'><span style='display:inline-block;width:0.8em;"
        f"height:0.8em;border:1px solid #999;background:{reason_color(s)}'></span> "
        f"{html.escape(s)}</span>"
        for s in order_statuses(parts, parts)
        if s != AVAILABLE or len(parts) == 1
    )
    return (
        "<div class='compliance-nb-shares' style='margin:2px 0;font-size:85%'>"
        "<div style='display:flex;height:8px;width:40%;min-width:12em;border:1px solid #999'>"
        f"{''.join(cells)}</div>{legend}</div>"
    )


def _row_lines(row: PanelRow) -> list[str]:
    """The row's texts as shown: title, stage, detail, counts (empty ones left out)."""
    from .progress_text import row_title

    title = (
        "collection"
        if row.collection
        else row_title(row.kind, row.job_id, row.name, row.part, row.parts)
    )
    head = f"{title}: {row.stage_label.value}" if row.stage_label.value else title
    return [head, *(t for t in (row.detail.value, row.counts.value) if t)]


def panel_text(panel: ProgressPanel) -> str:
    """The panel's state as plain text: the title and summary, then a block per row."""
    lines = [f"{panel.title} — {panel.summary.value}"]
    for row in panel.rows:
        head, *rest = _row_lines(row)
        lines.append(f"  {head}")
        lines.extend(f"    {t}" for t in rest)
    return "\n".join(lines)


def _row_html(row: PanelRow) -> str:
    head, *rest = _row_lines(row)
    color = _BAR_COLORS.get(row.bar.bar_style, "#9e9e9e")
    filled = row.bar.value / row.bar.max if row.bar.max else 0.0
    bar = (
        "<div style='height:6px;width:40%;min-width:12em;background:#eee;margin:2px 0'>"
        f"<div style='height:100%;width:{100 * max(0.0, min(1.0, filled)):.1f}%;"
        f"background:{color}'></div></div>"
    )
    body = "".join(f"<div>{html.escape(t)}</div>" for t in rest)
    return (
        "<div style='border:1px solid #ddd;padding:4px;margin:2px 0'>"
        f"<b>{html.escape(head)}</b>{bar}{body}{row.shares.value}</div>"
    )


def panel_html(panel: ProgressPanel) -> str:
    """The panel's state as HTML: the same texts and colours as the widgets."""
    rows = "".join(_row_html(row) for row in panel.rows)
    return (
        "<div class='compliance-nb-progress'>"
        f"<div><b>{html.escape(panel.title)}</b></div>"
        f"<div>{html.escape(panel.summary.value)}</div>{rows}</div>"
    )
