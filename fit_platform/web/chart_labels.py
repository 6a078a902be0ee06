"""Where a chart's in-plot labels go, so that no label sits on the data.

A severity band's name was always written at the band's right edge, and the cut-off's name
just above its line at the left: wherever the patient's scores passed, the newest marker
covered the band's name and the score line crossed the cut-off's. Each label now goes on the
first of a few lines of text (baselines) that has room for it: at the right end, at the left
end (the same places as before first), else at the start of the first gap wide enough. When
no line has room it keeps the first place, as before.

What a label must keep off is each marker's square and each piece of the score line's
bounding box (a little more than the line itself where it is steep: a label is never put on
it). Text widths are estimated from the text's length (``em`` per character), as the date
labels' are. One pass over the obstacles per line of text tried, so a view with three charts
of a hundred points each pays little for it.

`band_name` and `cutoff_name` write the two kinds of in-plot label, each trying its own lines
of text in order; `first_free` and `Obstacles` find the place on them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import escape

from fit_platform.web.chart_frame import FONT, INK, LABEL_EM, LEFT, RIGHT, WIDTH, n
from fit_platform.web.chart_spec import ChartBand

MARKER_REACH = 7.0  # a marker's half width (the largest shape), in chart units
PAD = 2.0  # room kept between a label and the data


class Box(NamedTuple):
    left: float
    top: float
    right: float
    bottom: float


class Spot(NamedTuple):
    """A text's place: the x it is anchored at, its baseline and its SVG ``text-anchor``."""

    x: float
    baseline: float
    anchor: str  # "start" or "end"


class Obstacles:
    """What a label must not cover: a square around each marker, each piece of the score
    line (by its bounding box: a little more than the line where it is steep) and any line
    across the plot (the cut-off). The points come in the order of time, so left to right,
    and a box is checked against the few near it only: a view draws three charts of a
    hundred points each, and most labels are free where they were always put. Nothing is
    prepared beyond the two lists the chart has already."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float | None]) -> None:
        self._xs = xs  # every point's x, left to right
        self._ys = ys  # its height, None for a score that could not be drawn (a gap)
        self._rules: list[tuple[float, float, float]] = []  # (left, y, right)

    def add_line(self, left: float, y: float, right: float) -> None:
        """A horizontal line labels keep off too (the cut-off)."""
        self._rules.append((left, y, right))

    def hit(self, box: Box) -> bool:
        """Does anything overlap the box?"""
        for left, rule, right in self._rules:
            if left < box.right and right > box.left and box.top < rule < box.bottom:
                return True
        reach = MARKER_REACH
        xs, ys = self._xs, self._ys
        # The points near the box, and the one before: its piece of line may reach in.
        first = max(bisect.bisect_left(xs, box.left - reach) - 1, 0)
        last = min(bisect.bisect_right(xs, box.right + reach), len(xs) - 1)
        for index in range(first, last + 1):
            y = ys[index]
            if y is None:
                continue
            x = xs[index]
            if (
                box.left - reach < x < box.right + reach
                and box.top - reach < y < box.bottom + reach
            ):
                return True
            if index < last:
                after = ys[index + 1]
                if (
                    after is not None
                    and x < box.right
                    and xs[index + 1] > box.left
                    and min(y, after) < box.bottom
                    and max(y, after) > box.top
                ):
                    return True
        return False

    def across(self, top: float, bottom: float) -> list[tuple[float, float]]:
        """The stretches (left, right) that something covers between ``top`` and ``bottom``,
        left to right."""
        reach = MARKER_REACH
        covered = [(left, right) for left, y, right in self._rules if top < y < bottom]
        xs, ys = self._xs, self._ys
        previous: tuple[float, float] | None = None
        for x, y in zip(xs, ys, strict=True):
            if y is None:
                previous = None
                continue
            if top - reach < y < bottom + reach:
                covered.append((x - reach, x + reach))
            if previous is not None:
                x0, y0 = previous
                if min(y0, y) < bottom and max(y0, y) > top:
                    covered.append((x0, x))
            previous = (x, y)
        covered.sort()
        return covered


def text_box(spot: Spot, width: float, font: float) -> Box:
    """The box a text of ``width`` fills at ``spot`` (the ascent about 0.8 of the font size,
    the descent 0.25), with :data:`PAD` around it."""
    left = spot.x - width if spot.anchor == "end" else spot.x
    return Box(
        left - PAD,
        spot.baseline - 0.8 * font - PAD,
        left + width + PAD,
        spot.baseline + 0.25 * font + PAD,
    )


def first_free(
    rows: Sequence[float],
    span: tuple[float, float],
    width: float,
    font: float,
    blocked: Obstacles,
    taken: list[Box],
    *,
    left_first: bool = False,
) -> Spot:
    """Where a text of ``width`` goes, within ``span`` on one of ``rows`` (baselines, in order
    of preference): flush with the right end (anchored there, so a text a little wider than
    estimated still ends inside) or the left end (``left_first``: the left end first) of the
    first row where one is free, else at the start of the first gap wide enough on the first
    row that has one; a place that covers nothing of ``blocked`` and no box of ``taken``. The
    first place tried when there is none. The chosen box is added to ``taken``."""
    left, right = span
    ends = [Spot(right, 0.0, "end"), Spot(left, 0.0, "start")]
    if left_first:
        ends.reverse()
    # Both ends of every row first (a look at the few points near each end), then the gaps
    # (a pass over every point per row): a band the scores run through often has room at
    # one end of its top or bottom row.
    for baseline in rows:
        for end in ends:
            spot = end._replace(baseline=baseline)
            box = text_box(spot, width, font)
            if not blocked.hit(box) and not any(_overlap(box, other) for other in taken):
                taken.append(box)
                return spot
    for baseline in rows:
        top = baseline - 0.8 * font - PAD
        bottom = baseline + 0.25 * font + PAD
        covered = blocked.across(top, bottom)
        covered += [(b.left, b.right) for b in taken if b.top < bottom and top < b.bottom]
        covered.sort()  # nearly in order already
        # A text starting at s fills [s - PAD, s + width + PAD].
        reached = left - PAD
        for begin, stop in [*covered, (right + PAD, right + PAD)]:
            if begin - reached >= width + 2 * PAD:
                spot = Spot(reached + PAD, baseline, "start")
                taken.append(text_box(spot, width, font))
                return spot
            if stop > reached:
                reached = stop
    first = Spot(left, rows[0], "start") if left_first else Spot(right, rows[0], "end")
    taken.append(text_box(first, width, font))
    return first


def _overlap(one: Box, other: Box) -> bool:
    return (
        one.left < other.right
        and other.left < one.right
        and one.top < other.bottom
        and other.top < one.bottom
    )


def band_name(band: ChartBand, top: float, bottom: float, data: Obstacles, taken: list[Box]) -> str:
    """A severity band's name inside the band, where it covers no score: the right edge first
    (as it always was), then the left, then a gap between the scores; at the middle of the
    band first, then at its top and its bottom."""
    middle, high, low = (top + bottom) / 2 + 4, top + FONT + 1, bottom - 5
    rows = [middle] + [y for y in (high, low) if bottom - top >= 2 * FONT + 4]
    width = LABEL_EM * FONT * len(band.label)
    spot = first_free(rows, _SPAN, width, FONT, data, taken)
    return (
        f'<text x="{n(spot.x)}" y="{n(spot.baseline)}" text-anchor="{spot.anchor}"'
        f' font-size="{FONT}" fill="#444">{escape(band.label)}</text>'
    )


def cutoff_name(label: str, y: float, data: Obstacles, taken: list[Box]) -> str:
    """The cut-off line's name beside it where it crosses no score: above the line at the left
    (as it always was), then at the right, then in a gap; then the same below the line."""
    width = LABEL_EM * FONT * len(label)
    spot = first_free([y - 4, y + FONT + 2], _SPAN, width, FONT, data, taken, left_first=True)
    anchor = "" if spot.anchor == "start" else f' text-anchor="{spot.anchor}"'
    return (
        f'<text x="{n(spot.x)}" y="{n(spot.baseline)}"{anchor} font-size="{FONT}"'
        f' fill="{INK}">{escape(label)}</text>'
    )


# Where a label inside the plot may start and end: 4 units in from each side.
_SPAN = (LEFT + 4, WIDTH - RIGHT - 4)
