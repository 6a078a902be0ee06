"""Server-rendered SVG trend charts: a pure function from a series to escaped SVG markup.

No JavaScript and no inline style (the CSP forbids both): every colour is an SVG presentation
attribute. Nothing depends on colour alone: severity bands carry their name, the cut-off is a
dashed line with a label, the expected range is hatched, and each point's marker has its own
shape. The chart is one ``role="img"`` with a title and a description; the page puts a data
table next to it. Used by the pre-session view and reusable by the patient's progress page.
All text is passed in already translated, so this module needs neither Flask nor Babel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from markupsafe import Markup, escape

from fit_platform.web.chart_labels import Box, Obstacles, first_free

WIDTH = 640
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 92  # plot margins; the legend sits under the x axis
# Text size in chart units. The page never shows the chart narrower than 36rem (it scrolls
# sideways in its own box on a phone instead), so 14 units are at least 12.6 px on screen.
FONT = 14
GRID = "#d0d0d0"
LABEL_EM = 0.6  # a date label's estimated width per character, in em
INK = "#1b1b1b"
LINE = "#0b3d66"


class Marker(StrEnum):
    BASELINE = "baseline"  # the first score, which change is measured from
    NO_CHANGE = "no_change"
    IMPROVED = "improved"  # reliably better than the first score
    WORSE = "worse"  # reliably worse than the first score
    DROP = "drop"  # alliance: a drop from the previous score


# A named tuple rather than a frozen dataclass: a page builds some 300 of them per view, and
# a frozen dataclass sets each field through `object.__setattr__` (about twice the cost).
class ChartPoint(NamedTuple):
    x: float  # position in time (e.g. days since the first answer)
    label: str  # the date as shown on the axis ("" when the spec's `label_of` gives it)
    value: float | None  # None: not scorable (a gap in the line)
    marker: Marker = Marker.NO_CHANGE
    expected_low: float | None = None
    expected_high: float | None = None


@dataclass(frozen=True)
class ChartBand:
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class ChartSpec:
    chart_id: str
    title: str
    description: str
    y_min: float
    y_max: float
    points: Sequence[ChartPoint]
    bands: Sequence[ChartBand] = ()
    cutoff: float | None = None
    cutoff_label: str = ""
    expected_label: str = ""
    legend: dict[Marker, str] = field(default_factory=dict)
    score_label: str = ""
    ticks: Sequence[float] = ()  # more labelled values on the y axis (e.g. 25, 50, 75 %)
    # The axis label of the point at an index, asked only for the few points that may get
    # one (a two-year history has a hundred points and five labels); None: each point's
    # own `label`.
    label_of: Callable[[int], str] | None = None


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


def _n(value: float) -> str:
    # One decimal, without a trailing ".0" (called thousands of times per chart page).
    text = "%.1f" % value  # noqa: UP031 - a little quicker than an f-string, called thousands of times
    return text[:-2] if text[-2:] == ".0" else text


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
    # Severity bands: alternate light grey and white, each named inside it; the names are
    # placed once the points are (below), clear of them, and drawn before the data.
    for index, band in enumerate(spec.bands):
        top, bottom = sy(band.high), sy(band.low)
        fill = "#ececec" if index % 2 == 0 else "#ffffff"
        out.append(
            f'<rect x="{LEFT}" y="{_n(top)}" width="{plot_w}" height="{_n(bottom - top)}"'
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
            text = y_texts[value] = _n(TOP + (y_max - value) / span * plot_h)
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
        xt = "%.1f" % x  # noqa: UP031 - `_n` written out: once per point
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
            yt = y_texts[value] = _n(TOP + (y_max - value) / span * plot_h)
        text_y.append(yt)
        segment.append(f"{xt},{yt}")
        height = TOP + (y_max - value) / span * plot_h
        screen_y.append(height)
        marker = p.marker
        if marker is Marker.NO_CHANGE:
            marks.append(f'<circle cx="{xt}" cy="{yt}" r="4" fill="{LINE}"/>')
        elif marker in _PLACED:
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
            cutoff_name = _cutoff_name(spec.cutoff_label, cut, data, taken)
        data.add_line(LEFT, cut, WIDTH - RIGHT)
    out[band_names_at:band_names_at] = [
        _band_name(band, sy(band.high), sy(band.low), data, taken) for band in spec.bands
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
                f'<line x1="{LEFT}" y1="{_n(sy(tick))}" x2="{WIDTH - RIGHT}" y2="{_n(sy(tick))}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
        out.append(
            f'<text x="{LEFT - 6}" y="{_n(sy(tick) + 4)}" text-anchor="end" font-size="{FONT}"'
            f' fill="{INK}">{_n(tick)}</text>'
        )
    if spec.cutoff is not None:
        y = _n(sy(spec.cutoff))
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


def _band_name(
    band: ChartBand, top: float, bottom: float, data: Obstacles, taken: list[Box]
) -> str:
    """A severity band's name inside the band, where it covers no score: the right edge first
    (as it always was), then the left, then a gap between the scores; at the middle of the
    band first, then at its top and its bottom."""
    middle, high, low = (top + bottom) / 2 + 4, top + FONT + 1, bottom - 5
    rows = [middle] + [y for y in (high, low) if bottom - top >= 2 * FONT + 4]
    width = LABEL_EM * FONT * len(band.label)
    spot = first_free(rows, _SPAN, width, FONT, data, taken)
    return (
        f'<text x="{_n(spot.x)}" y="{_n(spot.baseline)}" text-anchor="{spot.anchor}"'
        f' font-size="{FONT}" fill="#444">{escape(band.label)}</text>'
    )


def _cutoff_name(label: str, y: float, data: Obstacles, taken: list[Box]) -> str:
    """The cut-off line's name beside it where it crosses no score: above the line at the left
    (as it always was), then at the right, then in a gap; then the same below the line."""
    width = LABEL_EM * FONT * len(label)
    spot = first_free([y - 4, y + FONT + 2], _SPAN, width, FONT, data, taken, left_first=True)
    anchor = "" if spot.anchor == "start" else f' text-anchor="{spot.anchor}"'
    return (
        f'<text x="{_n(spot.x)}" y="{_n(spot.baseline)}"{anchor} font-size="{FONT}"'
        f' fill="{INK}">{escape(label)}</text>'
    )


# Where a label inside the plot may start and end: 4 units in from each side.
_SPAN = (LEFT + 4, WIDTH - RIGHT - 4)


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
