"""The trend chart as drawn before the eighth round of issue 15 (one pass over the points),
kept to check that the faster drawing writes the same SVG, byte for byte
(`tests/web/test_chart_drawing_same.py`). Not used by the application."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from fit_platform.web.chart_frame import (
    BOTTOM,
    FONT,
    GRID,
    HEIGHT,
    INK,
    LABEL_EM,
    LEFT,
    LINE,
    RIGHT,
    TOP,
    WIDTH,
)
from fit_platform.web.chart_frame import n as _n
from fit_platform.web.chart_spec import ChartPoint, ChartSpec, Marker
from fit_platform.web.charts import nice_ticks


def _triangle(cx: float, cy: float, pointing: int) -> str:
    """A triangle pointing up (-1) or down (1), centred on the point."""
    tip, base = cy + 7 * pointing, cy - 5 * pointing
    return f"M{_n(cx)} {_n(tip)} L{_n(cx + 7)} {_n(base)} L{_n(cx - 7)} {_n(base)} Z"


def marker_svg(
    marker: Marker, cx: float, cy: float, x: str | None = None, y: str | None = None
) -> str:
    """One point's marker: a shape per meaning, so it reads in greyscale. `x` and `y` are the
    centre as already formatted, when the caller has them."""
    x, y = x or _n(cx), y or _n(cy)
    if marker is Marker.IMPROVED:
        return f'<path d="{_triangle(cx, cy, -1)}" fill="#fff" stroke="{INK}" stroke-width="2"/>'
    if marker is Marker.WORSE:
        return (
            f'<rect x="{_n(cx - 6)}" y="{_n(cy - 6)}" width="12" height="12" fill="{INK}"/>'
            f'<path d="M{_n(cx - 4)} {_n(cy - 4)} L{_n(cx + 4)} {_n(cy + 4)} M{_n(cx + 4)}'
            f' {_n(cy - 4)} L{_n(cx - 4)} {_n(cy + 4)}" stroke="#fff" stroke-width="2"/>'
        )
    if marker is Marker.DROP:
        return f'<path d="{_triangle(cx, cy, 1)}" fill="{INK}"/>'
    if marker is Marker.BASELINE:
        return (
            f'<circle cx="{x}" cy="{y}" r="5" fill="#fff" stroke="{INK}" stroke-width="2"/>'
            f'<circle cx="{x}" cy="{y}" r="1.5" fill="{INK}"/>'
        )
    return f'<circle cx="{x}" cy="{y}" r="4" fill="{LINE}"/>'


def _marker_shape(marker: Marker, cid: str) -> str:
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
_PLACED = frozenset({Marker.IMPROVED, Marker.WORSE, Marker.DROP})


def trend_chart(spec: ChartSpec) -> Markup:
    """The SVG markup of one trend chart (escaped; safe to insert in a template)."""
    cid = escape(spec.chart_id)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = (spec.y_max - spec.y_min) or 1.0
    xs = [p.x for p in spec.points]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)

    def sx(x: float) -> float:
        if x_hi == x_lo:
            return LEFT + plot_w / 2
        return LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w

    def sy(v: float) -> float:
        return TOP + (spec.y_max - v) / span * plot_h

    used = {p.marker for p in spec.points if p.value is not None}
    legend, legend_bottom = _legend(spec, used)
    # A legend that wraps to a third line (long labels, nynorsk) makes the drawing taller
    # rather than being cut off at its bottom edge.
    height = max(HEIGHT, legend_bottom)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" class="chart"'
        f' role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{escape(spec.title)}</title>',
        f'<desc id="{cid}-desc">{escape(spec.description)}</desc>',
        "<defs>",
        f'<pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#6b6b6b"'
        ' stroke-width="1.5"/></pattern>',
        *(_marker_shape(marker, cid) for marker in Marker if marker in used & _PLACED),
        "</defs>",
    ]
    # Severity bands: alternate light grey and white, each named at the right edge.
    for index, band in enumerate(spec.bands):
        top, bottom = sy(band.high), sy(band.low)
        fill = "#ececec" if index % 2 == 0 else "#ffffff"
        out.append(
            f'<rect x="{LEFT}" y="{_n(top)}" width="{plot_w}" height="{_n(bottom - top)}"'
            f' fill="{fill}"/>'
        )
        out.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{_n((top + bottom) / 2 + 4)}" text-anchor="end"'
            f' font-size="{FONT}" fill="#444">{escape(band.label)}</text>'
        )
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none"'
        f' stroke="#8a8a8a"/>'
    )
    # Each point's place on the drawing, computed and written once: the line, the markers,
    # the expected range and the date labels all use it (a two-year history is 100 points).
    screen_x = [sx(p.x) for p in spec.points]
    text_x = [_n(x) for x in screen_x]
    # Scores and range limits are few distinct values, each written once per chart.
    y_texts: dict[float, str] = {}

    def ty(value: float) -> str:
        text = y_texts.get(value)
        if text is None:
            text = y_texts[value] = _n(sy(value))
        return text

    screen_y = [None if p.value is None else sy(p.value) for p in spec.points]
    text_y = [None if p.value is None else ty(p.value) for p in spec.points]
    # Expected range as a hatched polygon through the points that have one.
    expected = [
        (text_x[i], p.expected_low, p.expected_high)
        for i, p in enumerate(spec.points)
        if p.expected_low is not None and p.expected_high is not None
    ]
    if len(expected) >= 2:
        upper = " ".join(f"{x},{ty(high)}" for x, _low, high in expected)
        lower = " ".join(f"{x},{ty(low)}" for x, low, _high in reversed(expected))
        out.append(
            f'<polygon points="{upper} {lower}" fill="url(#{cid}-hatch)" fill-opacity="0.6"'
            f' stroke="#6b6b6b" stroke-dasharray="2 3"/>'
        )
    # Y axis ticks: the range ends, band edges and any extra ticks asked for; without bands
    # or asked-for ticks, round values between the ends, each with a light grid line.
    ticks = {spec.y_min, spec.y_max, *(b.low for b in spec.bands), *spec.ticks}
    if not spec.bands and not spec.ticks:
        ticks |= set(nice_ticks(spec.y_min, spec.y_max))
    for tick in sorted(ticks):
        if spec.y_min < tick < spec.y_max:
            out.append(
                f'<line x1="{LEFT}" y1="{_n(sy(tick))}" x2="{WIDTH - RIGHT}" y2="{_n(sy(tick))}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
        out.append(
            f'<text x="{LEFT - 6}" y="{_n(sy(tick) + 4)}" text-anchor="end" font-size="{FONT}"'
            f' fill="{INK}">{_n(tick)}</text>'
        )
    if spec.cutoff is not None:
        cutoff_y = _n(sy(spec.cutoff))
        out.append(
            f'<line x1="{LEFT}" y1="{cutoff_y}" x2="{WIDTH - RIGHT}" y2="{cutoff_y}"'
            f' stroke="{INK}" stroke-width="1.5" stroke-dasharray="8 4"/>'
        )
        out.append(
            f'<text x="{LEFT + 4}" y="{_n(sy(spec.cutoff) - 4)}" font-size="{FONT}"'
            f' fill="{INK}">{escape(spec.cutoff_label)}</text>'
        )
    # X axis: the first and the last date, and between them as many as fit without touching.
    for index, anchor in _x_labels(spec.points, screen_x):
        out.append(
            f'<text x="{text_x[index]}" y="{HEIGHT - BOTTOM + 20}" text-anchor="{anchor}"'
            f' font-size="{FONT}" fill="{INK}">{escape(spec.points[index].label)}</text>'
        )
    # The score line, broken where an answer could not be scored, and its markers.
    segment: list[str] = []
    segments: list[list[str]] = []
    for x, y in zip(text_x, text_y, strict=True):
        if y is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x},{y}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            out.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}"'
                f' stroke-width="2.5"/>'
            )
    for i, point in enumerate(spec.points):
        cy = screen_y[i]
        if cy is None:
            continue
        if point.marker in _PLACED:
            out.append(f'<use href="#{cid}-{point.marker.value}" x="{text_x[i]}" y="{text_y[i]}"/>')
        else:
            out.append(marker_svg(point.marker, screen_x[i], cy, text_x[i], text_y[i]))
    out.extend(legend)
    out.append("</svg>")
    return Markup("".join(out))


def _x_labels(points: Sequence[ChartPoint], screen_x: Sequence[float]) -> list[tuple[int, str]]:
    """Which points get a date label, and how each is anchored: the first and the last always,
    others (middle) only where their text keeps a gap to its neighbours. Widths are estimated
    (0.6 em per character), so labels never overlap at the larger text size."""
    if not points:
        return []
    last = len(points) - 1
    if last == 0:
        return [(0, "middle")]

    def extent(index: int, anchor: str) -> tuple[float, float]:
        x, width = screen_x[index], LABEL_EM * FONT * len(points[index].label)
        if anchor == "start":
            return x, x + width
        if anchor == "end":
            return x - width, x
        return x - width / 2, x + width / 2

    # Since the twenty-fifth session the first and the last label are centred where that
    # keeps them inside the drawing (`charts._x_labels`); the reference follows, so the rest
    # of the drawing is still compared byte for byte.
    def edge_anchor(index: int, outside: str) -> str:
        left_edge, right_edge = extent(index, "middle")
        return "middle" if left_edge >= 0 and right_edge <= WIDTH else outside

    gap = FONT
    first_anchor, last_anchor = edge_anchor(0, "start"), edge_anchor(last, "end")
    end_left = extent(last, last_anchor)[0]
    shown = [(0, first_anchor)]
    right = extent(0, first_anchor)[1]
    for index in range(1, last):
        left_edge, right_edge = extent(index, "middle")
        if left_edge >= right + gap and right_edge + gap <= end_left:
            shown.append((index, "middle"))
            right = right_edge
    if end_left >= extent(0, first_anchor)[1] + gap:
        shown.append((last, last_anchor))
    return shown


def _legend(spec: ChartSpec, used: set[Marker]) -> tuple[list[str], float]:
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
            f'<g transform="translate({_n(x)} {_n(y)})">{symbol}'
            f'<text x="24" y="4" font-size="{FONT}" fill="{INK}">{escape(label)}</text></g>'
        )
        x += width
    return out, y + 12
