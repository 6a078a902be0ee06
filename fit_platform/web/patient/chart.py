"""Geometry for the server-rendered progress chart (inline SVG, presentation attributes only).

Points are spaced evenly by answer, not by date: the table under the chart gives the dates, and
even spacing keeps weekly and irregular answers readable on a 320 px screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from fit_platform.services.progress import InstrumentProgress
from fit_platform.web.formatting import format_number

WIDTH = 300
HEIGHT = 170
LEFT = 34
RIGHT = 10
TOP = 10
BOTTOM = 24


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    total: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    polyline: str
    y_min_label: str
    y_max_label: str
    y_min: float
    y_max: float
    cutoff_y: float | None
    left: int
    right: float
    bottom: float


def _fmt(value: float) -> str:
    return format_number(value)  # decimal comma in nb and nn (web/formatting.py)


def build_chart(progress: InstrumentProgress) -> Chart:
    inst = progress.instrument
    lo, hi = inst.score_min, inst.score_max
    span = (hi - lo) or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    scored = progress.scored
    n = len(scored)

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - lo) / span), 1)

    points = tuple(
        ChartPoint(
            x=round(LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1),
            y=y_of(p.total),
            total=p.total,
        )
        for i, p in enumerate(scored)
        if p.total is not None
    )
    cutoff = inst.clinical_cutoff.value if inst.clinical_cutoff else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        y_min_label=_fmt(lo),
        y_max_label=_fmt(hi),
        y_min=y_of(lo),
        y_max=y_of(hi),
        cutoff_y=y_of(cutoff) if cutoff is not None else None,
        left=LEFT,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
    )
