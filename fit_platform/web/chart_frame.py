"""The trend chart's frame: its size, margins, text size and colours, and how a number is
written in its SVG.

Every part of a chart (the drawing in `charts.py`, the markers, the in-plot labels and the
legend) is measured and coloured by these, so they live apart from all of them: each part
imports them without importing another part. Every colour is an SVG presentation attribute
(the CSP forbids inline style).
"""

from __future__ import annotations

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


def n(value: float) -> str:
    # One decimal, without a trailing ".0" (called thousands of times per chart page).
    text = "%.1f" % value  # noqa: UP031 - a little quicker than an f-string, called thousands of times
    return text[:-2] if text[-2:] == ".0" else text
