"""Server-rendered SVG trend charts: a pure function from a series to escaped SVG markup.

No JavaScript and no inline style (the CSP forbids both): every colour is an SVG presentation
attribute. Nothing depends on colour alone: severity bands carry their name, the cut-off is a
dashed line with a label, the expected range is hatched, and each point's marker has its own
shape. The chart is one ``role="img"`` with a title and a description; the page puts a data
table next to it. Used by the pre-session view and reusable by the patient's progress page.
All text is passed in already translated, so this module needs neither Flask nor Babel.

This module draws the chart (`trend_chart`: bands, expected range, cut-off, score line and
both axes, with `nice_ticks` for round values up the y axis and `_x_labels` for the dates
along the time axis). Its parts live by what they are: the frame's size and colours in
`chart_frame`, what a page passes in in `chart_spec`, the marker shapes in `chart_markers`,
the band and cut-off names inside the plot in `chart_labels`, the legend in `chart_legend`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from fit_platform.web import chart_labels, chart_legend
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
    n,
)
from fit_platform.web.chart_labels import Box, Obstacles
from fit_platform.web.chart_markers import PLACED, marker_shape, marker_svg
from fit_platform.web.chart_spec import ChartSpec, Marker


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round values between low and high (steps of 1, 2, 2.5 or 5 times a power of ten), at
    most `most` of them, so an axis from 12 to 60 reads 20, 30, 40, 50, 60 and not only its ends."""
    span = high - low
    if span <= 0:
        return [low]
    magnitude = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if span / step <= most:
            break
    first = math.ceil(low / step) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [round(first + i * step, 6) for i in range(count)]


def trend_chart(spec: ChartSpec) -> Markup:
    """The SVG markup of one trend chart (escaped; safe to insert in a template)."""
    cid = escape(spec.chart_id)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = (spec.y_max - spec.y_min) or 1.0
    xs = [p.x for p in spec.points]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)

    def sy(v: float) -> float:
        return TOP + (spec.y_max - v) / span * plot_h

    used = {p.marker for p in spec.points if p.value is not None}
    legend, legend_bottom = chart_legend.legend(spec, used)
    # A legend that wraps to a third line (long labels, nynorsk) makes the drawing taller
    # rather than being cut off at its bottom edge.
    height = max(HEIGHT, legend_bottom)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {n(height)}" class="chart"'
        f' role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{escape(spec.title)}</title>',
        f'<desc id="{cid}-desc">{escape(spec.description)}</desc>',
        "<defs>",
        f'<pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#6b6b6b"'
        ' stroke-width="1.5"/></pattern>',
        *(marker_shape(marker, cid) for marker in Marker if marker in used & PLACED),
        "</defs>",
    ]
    # Severity bands: alternate light grey and white, each named inside it; the names are
    # placed once the points are (below), clear of them, and drawn before the data.
    for index, band in enumerate(spec.bands):
        top, bottom = sy(band.high), sy(band.low)
        fill = "#ececec" if index % 2 == 0 else "#ffffff"
        out.append(
            f'<rect x="{LEFT}" y="{n(top)}" width="{plot_w}" height="{n(bottom - top)}"'
            f' fill="{fill}"/>'
        )
    band_names_at = len(out)
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none"'
        f' stroke="#8a8a8a"/>'
    )
    # Each point's place on the drawing, computed and written once: the line, the markers,
    # the expected range and the date labels all use it (a two-year history is 100 points).
    # One pass over the points, with the arithmetic of `sx` and `sy` written out: a chart is
    # drawn on every open of the pre-session view, and a function call per point and value
    # was most of the drawing's time. A score or range limit is one of a few dozen values,
    # each written once per chart (`y_texts`).
    points = spec.points
    y_max = spec.y_max
    y_texts: dict[float, str] = {}

    def ty(value: float) -> str:
        text = y_texts.get(value)
        if text is None:
            text = y_texts[value] = n(TOP + (y_max - value) / span * plot_h)
        return text

    x_span = x_hi - x_lo
    screen_x: list[float] = []
    text_x: list[str] = []
    text_y: list[str | None] = []
    expected: list[tuple[str, float, float]] = []
    segments: list[list[str]] = []
    segment: list[str] = []
    marks: list[str] = []
    # Each point's height as a number (None: a gap), for keeping labels off the data.
    screen_y: list[float | None] = []
    for p in points:
        x = LEFT + plot_w / 2 if x_span == 0 else LEFT + (p.x - x_lo) / x_span * plot_w
        screen_x.append(x)
        xt = "%.1f" % x  # noqa: UP031 - `n` written out: once per point
        if xt[-2:] == ".0":
            xt = xt[:-2]
        text_x.append(xt)
        if p.expected_low is not None and p.expected_high is not None:
            expected.append((xt, p.expected_low, p.expected_high))
        value = p.value
        if value is None:
            text_y.append(None)
            screen_y.append(None)
            if segment:
                segments.append(segment)
            segment = []
            continue
        yt = y_texts.get(value)
        if yt is None:
            yt = y_texts[value] = n(TOP + (y_max - value) / span * plot_h)
        text_y.append(yt)
        segment.append(f"{xt},{yt}")
        height = TOP + (y_max - value) / span * plot_h
        screen_y.append(height)
        marker = p.marker
        if marker is Marker.NO_CHANGE:
            marks.append(f'<circle cx="{xt}" cy="{yt}" r="4" fill="{LINE}"/>')
        elif marker in PLACED:
            marks.append(f'<use href="#{cid}-{marker.value}" x="{xt}" y="{yt}"/>')
        else:
            marks.append(marker_svg(marker, x, height, xt, yt))
    if segment:
        segments.append(segment)
    data = Obstacles(screen_x, screen_y)
    taken: list[Box] = []
    # The cut-off's name first: it must stay beside its line, where a band's name has the
    # whole band; the band names then keep off the cut-off line as well as the scores.
    cutoff_name = ""
    if spec.cutoff is not None:
        cut = sy(spec.cutoff)
        if spec.cutoff_label:
            cutoff_name = chart_labels.cutoff_name(spec.cutoff_label, cut, data, taken)
        data.add_line(LEFT, cut, WIDTH - RIGHT)
    out[band_names_at:band_names_at] = [
        chart_labels.band_name(band, sy(band.high), sy(band.low), data, taken)
        for band in spec.bands
    ]
    # Expected range as a hatched polygon through the points that have one.
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
                f'<line x1="{LEFT}" y1="{n(sy(tick))}" x2="{WIDTH - RIGHT}" y2="{n(sy(tick))}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
        out.append(
            f'<text x="{LEFT - 6}" y="{n(sy(tick) + 4)}" text-anchor="end" font-size="{FONT}"'
            f' fill="{INK}">{n(tick)}</text>'
        )
    if spec.cutoff is not None:
        y = n(sy(spec.cutoff))
        out.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{INK}"'
            f' stroke-width="1.5" stroke-dasharray="8 4"/>'
        )
        if cutoff_name:
            out.append(cutoff_name)
    # X axis: the first and the last date, and between them as many as fit without touching.
    label_of = spec.label_of or (lambda index: points[index].label)
    for index, anchor in _x_labels(len(points), screen_x, label_of):
        out.append(
            f'<text x="{text_x[index]}" y="{HEIGHT - BOTTOM + 20}" text-anchor="{anchor}"'
            f' font-size="{FONT}" fill="{INK}">{escape(label_of(index))}</text>'
        )
    # A change of therapist: a dotted line from the top of the plot to the axis, under the
    # score line (the legend names it).
    for divider in spec.dividers:
        if x_span and x_lo < divider < x_hi:
            at = n(LEFT + (divider - x_lo) / x_span * plot_w)
            out.append(
                f'<line class="divider" x1="{at}" y1="{TOP}" x2="{at}" y2="{TOP + plot_h}"'
                f' stroke="{INK}" stroke-width="2" stroke-dasharray="1 4"'
                ' stroke-linecap="round"/>'
            )
    # The score line, broken where an answer could not be scored, and its markers.
    for seg in segments:
        if len(seg) > 1:
            out.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}"'
                f' stroke-width="2.5"/>'
            )
    out.extend(marks)
    out.extend(legend)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above went through escape()


def _x_labels(
    count: int, screen_x: Sequence[float], label_of: Callable[[int], str]
) -> list[tuple[int, str]]:
    """Which of `count` points get a date label, and how each is anchored: the first and the
    last always, others (middle) only where their text keeps a gap to its neighbours. Widths
    are estimated (0.6 em per character), so labels never overlap at the larger text size.

    The first and the last label are centred on their point, as the others are, where that
    keeps them inside the drawing (the left margin usually has room, the right one rarely);
    else they start at, or end at, their point. A first label that starts at its point
    reaches further right than a centred one, and pushed the second label out: eight
    quarters showed the 1st, 3rd, 4th, 5th, 6th and 8th, so the steps between the dates
    looked uneven. Centred, the steps are even from the first date on; only the step before
    the last date can be longer."""
    if not count:
        return []
    last = count - 1
    if last == 0:
        return [(0, "middle")]

    def extent(index: int, anchor: str) -> tuple[float, float]:
        x, width = screen_x[index], LABEL_EM * FONT * len(label_of(index))
        if anchor == "start":
            return x, x + width
        if anchor == "end":
            return x - width, x
        return x - width / 2, x + width / 2

    def edge_anchor(index: int, outside: str) -> str:
        left_edge, right_edge = extent(index, "middle")
        return "middle" if left_edge >= 0 and right_edge <= WIDTH else outside

    gap = FONT
    first_anchor, last_anchor = edge_anchor(0, "start"), edge_anchor(last, "end")
    end_left = extent(last, last_anchor)[0]
    shown = [(0, first_anchor)]
    right = extent(0, first_anchor)[1]
    for index in range(1, last):
        # A label's left edge is never right of its point: a point closer than the gap to the
        # last label shown cannot have one, whatever its text (most points of a long history).
        if screen_x[index] < right + gap:
            continue
        left_edge, right_edge = extent(index, "middle")
        if left_edge >= right + gap and right_edge + gap <= end_left:
            shown.append((index, "middle"))
            right = right_edge
    if end_left >= extent(0, first_anchor)[1] + gap:
        shown.append((last, last_anchor))
    return shown
