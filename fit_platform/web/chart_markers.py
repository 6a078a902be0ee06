"""Each point's marker on a trend chart: one shape per meaning, so the chart reads in
greyscale and print (open circle = first score, triangle = reliably better, crossed square =
reliably worse, downward triangle = alliance drop, dot = no reliable change).

`marker_svg` draws a marker at a point (the legend's symbols, the first score);
`marker_shape` is the same drawing centred on the origin, defined once per chart in its
`<defs>` for the markers in `PLACED`, which `charts.trend_chart` places with `<use>`.
"""

from __future__ import annotations

from fit_platform.web.chart_frame import INK, LINE, n
from fit_platform.web.chart_spec import Marker


def _triangle(cx: float, cy: float, pointing: int) -> str:
    """A triangle pointing up (-1) or down (1), centred on the point."""
    tip, base = cy + 7 * pointing, cy - 5 * pointing
    return f"M{n(cx)} {n(tip)} L{n(cx + 7)} {n(base)} L{n(cx - 7)} {n(base)} Z"


def marker_svg(
    marker: Marker, cx: float, cy: float, x: str | None = None, y: str | None = None
) -> str:
    """One point's marker: a shape per meaning, so it reads in greyscale. `x` and `y` are the
    centre as already formatted, when the caller has them."""
    x, y = x or n(cx), y or n(cy)
    if marker is Marker.IMPROVED:
        return f'<path d="{_triangle(cx, cy, -1)}" fill="#fff" stroke="{INK}" stroke-width="2"/>'
    if marker is Marker.WORSE:
        return (
            f'<rect x="{n(cx - 6)}" y="{n(cy - 6)}" width="12" height="12" fill="{INK}"/>'
            f'<path d="M{n(cx - 4)} {n(cy - 4)} L{n(cx + 4)} {n(cy + 4)} M{n(cx + 4)}'
            f' {n(cy - 4)} L{n(cx - 4)} {n(cy + 4)}" stroke="#fff" stroke-width="2"/>'
        )
    if marker is Marker.DROP:
        return f'<path d="{_triangle(cx, cy, 1)}" fill="{INK}"/>'
    if marker is Marker.BASELINE:
        return (
            f'<circle cx="{x}" cy="{y}" r="5" fill="#fff" stroke="{INK}" stroke-width="2"/>'
            f'<circle cx="{x}" cy="{y}" r="1.5" fill="{INK}"/>'
        )
    return f'<circle cx="{x}" cy="{y}" r="4" fill="{LINE}"/>'


def marker_shape(marker: Marker, cid: str) -> str:
    """A marker's shape centred on (0, 0), defined once per chart for `<use>` to place: the
    same drawing as `marker_svg`, with a point's position written once instead of in every
    corner of the shape (a two-year history is some 100 markers per chart)."""
    if marker is Marker.IMPROVED:
        return (
            f'<path id="{cid}-{marker.value}" d="M0 -7 L7 5 L-7 5 Z" fill="#fff" stroke="{INK}"'
            ' stroke-width="2"/>'
        )
    if marker is Marker.WORSE:
        return (
            f'<g id="{cid}-{marker.value}"><rect x="-6" y="-6" width="12" height="12"'
            f' fill="{INK}"/><path d="M-4 -4 L4 4 M4 -4 L-4 4" stroke="#fff" stroke-width="2"/>'
            "</g>"
        )
    return f'<path id="{cid}-{marker.value}" d="M0 7 L7 -5 L-7 -5 Z" fill="{INK}"/>'


# Markers placed with `<use>`; the circles are as short written out, and the first score's
# marker is drawn once per chart.
PLACED = frozenset({Marker.IMPROVED, Marker.WORSE, Marker.DROP})
