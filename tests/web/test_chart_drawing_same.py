"""The trend chart draws in one pass over its points (eighth round of issue 15) and writes the
same SVG, byte for byte, as the drawing before it (`tests/support/chart_reference.py`): for the
pre-session view's charts, the patient's progress chart and the export's insight charts alike.
The names of the bands and of the cut-off inside the plot are left out of the comparison: since
the nineteenth session they go where they cover no score (`fit_platform/web/chart_labels.py`,
tested in `tests/web/test_charts.py`), where the reference always put them in one place.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from fit_platform.web.chart_spec import ChartBand, ChartPoint, ChartSpec, Marker
from fit_platform.web.charts import trend_chart
from tests.support import chart_reference

_values = st.one_of(st.none(), st.integers(0, 27), st.floats(0, 27, allow_nan=False))
_limits = st.floats(0, 27, allow_nan=False)


@st.composite
def _points(draw: st.DrawFn) -> list[ChartPoint]:
    count = draw(st.integers(0, 120))
    gaps = draw(
        st.lists(st.sampled_from([0.0, 1.0, 3.5, 7.0, 14.0]), min_size=count, max_size=count)
    )
    x, points = 0.0, []
    for gap in gaps:
        x += gap
        low = draw(st.one_of(st.none(), _limits))
        points.append(
            ChartPoint(
                x,
                draw(st.sampled_from(["1.6.2026", "12/31/26", "31. des.", "x<y&z", ""])),
                draw(_values),
                draw(st.sampled_from(list(Marker))),
                low,
                None if low is None else low + draw(st.floats(0, 8, allow_nan=False)),
            )
        )
    return points


@st.composite
def _specs(draw: st.DrawFn) -> ChartSpec:
    with_bands = draw(st.booleans())
    return ChartSpec(
        chart_id=draw(st.sampled_from(["chart-phq9", 'x" onload="1'])),
        title="PHQ-9 <over> time",
        description="Latest & greatest",
        y_min=0,
        y_max=draw(st.sampled_from([27, 21, 30, 100])),
        points=draw(_points()),
        bands=[ChartBand(0, 10, "mild"), ChartBand(10, 27, "severe <b>")] if with_bands else [],
        cutoff=draw(st.one_of(st.none(), st.sampled_from([10, 14.5]))),
        cutoff_label=draw(st.sampled_from(["", "Cut-off 10"])),
        expected_label=draw(st.sampled_from(["", "Expected range (not validated)"])),
        legend={marker: f"{marker.value} label" for marker in Marker},
        score_label=draw(st.sampled_from(["", "Score"])),
        ticks=draw(st.sampled_from([(), (25.0, 50.0, 75.0)])),
    )


def _without_plot_labels(svg: str, spec: ChartSpec) -> str:
    """The SVG without the band names (grey text) and the cut-off's name inside the plot (the
    legend's entries, at x 24, stay)."""
    svg = re.sub(r'<text [^>]*fill="#444">[^<]*</text>', "", svg)
    # The cut-off's name: not a date label (at y 248) nor a legend entry (at 24, 4). The
    # reference wrote it when it was empty too; the chart now leaves an empty one out.
    name = re.escape(str(escape(spec.cutoff_label)))
    cutoff = (
        r'<text x="(?!24")[\d.]+" y="(?!248")[\d.]+"( text-anchor="(start|end)")?'
        rf' font-size="14" fill="#1b1b1b">{name}</text>'
    )
    return re.sub(cutoff, "", svg, count=1)


def _same_drawing(spec: ChartSpec) -> str:
    drawn = str(trend_chart(spec))
    assert _without_plot_labels(drawn, spec) == _without_plot_labels(
        str(chart_reference.trend_chart(spec)), spec
    )
    # Every band and the cut-off still have their name in the plot.
    assert len(re.findall(r'fill="#444">', drawn)) == len(spec.bands)
    return drawn


@settings(max_examples=300, deadline=None)
@given(_specs())
def test_the_one_pass_drawing_writes_the_same_svg_as_before(spec: ChartSpec) -> None:
    _same_drawing(spec)


def test_a_two_year_weekly_history_is_drawn_the_same_as_before() -> None:
    points = [
        ChartPoint(
            7.0 * week,
            f"{week % 28 + 1:02d}.{week % 12 + 1:02d}.2026",
            None if week == 40 else float(max(0, 22 - week // 6 + week % 5 - 2)),
            Marker.BASELINE
            if week == 0
            else (Marker.IMPROVED, Marker.NO_CHANGE, Marker.WORSE)[week % 3],
            12 - week / 20,
            20 - week / 20,
        )
        for week in range(104)
    ]
    spec = ChartSpec(
        chart_id="chart-phq9",
        title="PHQ-9",
        description="Two years",
        y_min=0,
        y_max=27,
        points=points,
        bands=[ChartBand(0, 5, "minimal"), ChartBand(5, 10, "mild"), ChartBand(10, 27, "more")],
        cutoff=10,
        cutoff_label="Cut-off 10",
        expected_label="Expected range",
        legend={marker: marker.value for marker in Marker},
        score_label="Score",
    )
    drawn = _same_drawing(spec)
    assert drawn.count("<circle") >= 30 and drawn.count("<use ") >= 30
