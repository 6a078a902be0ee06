"""A trend chart's legend under its time axis: the score line, the cut-off, the expected range,
a change of therapist and each marker the chart shows, each with its (already translated)
name, wrapped to the drawing's width. A legend that wraps to a third line makes the drawing
taller (`charts.trend_chart` uses the height it returns).
"""

from __future__ import annotations

from markupsafe import escape

from fit_platform.web.chart_frame import BOTTOM, FONT, HEIGHT, INK, LEFT, LINE, RIGHT, WIDTH, n
from fit_platform.web.chart_markers import marker_svg
from fit_platform.web.chart_spec import ChartSpec, Marker


def legend(spec: ChartSpec, used: set[Marker]) -> tuple[list[str], float]:
    """The legend's items, wrapped to the drawing's width, and the y its last line ends at."""
    cid = escape(spec.chart_id)
    items: list[tuple[str, str]] = []
    if spec.score_label:
        items.append(
            (
                f'<line x1="0" y1="0" x2="18" y2="0" stroke="{LINE}" stroke-width="2.5"/>',
                spec.score_label,
            )
        )
    if spec.cutoff is not None and spec.cutoff_label:
        items.append(
            (
                f'<line x1="0" y1="0" x2="18" y2="0" stroke="{INK}" stroke-width="1.5"'
                ' stroke-dasharray="6 3"/>',
                spec.cutoff_label,
            )
        )
    if spec.expected_label and any(p.expected_low is not None for p in spec.points):
        items.append(
            (
                f'<rect x="0" y="-6" width="18" height="12" fill="url(#{cid}-hatch)"'
                ' stroke="#6b6b6b" stroke-dasharray="2 3"/>',
                spec.expected_label,
            )
        )
    if spec.divider_label and spec.dividers:
        items.append(
            (
                f'<line x1="9" y1="-8" x2="9" y2="8" stroke="{INK}" stroke-width="2"'
                ' stroke-dasharray="1 4" stroke-linecap="round"/>',
                spec.divider_label,
            )
        )
    for marker, label in spec.legend.items():
        if marker in used and label:
            items.append((marker_svg(marker, 9, 0), label))
    out = []
    x: float = LEFT
    y = HEIGHT - BOTTOM + 46
    for symbol, label in items:
        width = 32 + 7.8 * len(label)
        if x + width > WIDTH - RIGHT:
            x, y = LEFT, y + 22
        out.append(
            f'<g transform="translate({n(x)} {n(y)})">{symbol}'
            f'<text x="24" y="4" font-size="{FONT}" fill="{INK}">{escape(label)}</text></g>'
        )
        x += width
    return out, y + 12
