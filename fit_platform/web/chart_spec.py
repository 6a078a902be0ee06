"""What a page passes in to draw a trend chart: the series (`ChartSpec`), its points
(`ChartPoint`), its severity bands (`ChartBand`) and what each point's marker means (`Marker`).

Plain values with no drawing in them: the presenters build these, and `charts.trend_chart`
turns one into SVG (they are importable from `fit_platform.web.charts` too). All text is
passed in already translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


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
    # Moments drawn as a vertical dotted line across the plot (positions on the `x` scale of
    # the points), named once in the legend by `divider_label`: a change of therapist.
    dividers: Sequence[float] = ()
    divider_label: str = ""
