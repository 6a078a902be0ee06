from __future__ import annotations

import itertools
import re

from fit_platform.web.chart_frame import FONT, LEFT, RIGHT, WIDTH
from fit_platform.web.chart_spec import ChartBand, ChartPoint, ChartSpec, Marker
from fit_platform.web.charts import nice_ticks, trend_chart


def _spec(**overrides: object) -> ChartSpec:
    values: dict[str, object] = {
        "chart_id": "c1",
        "title": "PHQ-9 <over> time",
        "description": "Latest score 9 & falling",
        "y_min": 0,
        "y_max": 27,
        "points": [
            ChartPoint(0, "1.6", 20, Marker.BASELINE, 14, 26),
            ChartPoint(7, "8.6", None),
            ChartPoint(14, "15.6", 12, Marker.IMPROVED, 12, 24),
            ChartPoint(21, "22.6", 25, Marker.WORSE, 11, 23),
        ],
        "bands": [ChartBand(0, 10, "mild"), ChartBand(10, 27, "severe")],
        "cutoff": 10,
        "cutoff_label": "Cut-off 10",
        "expected_label": "Expected range",
        "legend": {Marker.IMPROVED: "Reliably better", Marker.WORSE: "Reliably worse"},
        "score_label": "Score",
    }
    values.update(overrides)
    return ChartSpec(**values)  # type: ignore[arg-type]


def test_chart_is_an_image_named_by_its_title_and_description() -> None:
    svg = str(trend_chart(_spec()))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">PHQ-9 &lt;over&gt; time</title>' in svg
    assert "Latest score 9 &amp; falling" in svg


def test_chart_marks_meaning_with_shapes_and_dashes_not_colour_alone() -> None:
    svg = str(trend_chart(_spec()))
    assert 'stroke-dasharray="8 4"' in svg  # the cut-off line
    assert 'fill="url(#c1-hatch)"' in svg  # the expected range
    assert "<path d=" in svg and "<rect x=" in svg  # triangle and crossed square markers
    assert ">Reliably better<" in svg and ">Reliably worse<" in svg and ">mild<" in svg


def test_an_unscorable_answer_breaks_the_line() -> None:
    svg = str(trend_chart(_spec()))
    assert svg.count("<polyline") == 1  # only the last two points are joined


def test_chart_has_no_inline_style_or_script_and_escapes_labels() -> None:
    svg = str(trend_chart(_spec(chart_id='x" onload="alert(1)', cutoff_label="<script>")))
    assert "style=" not in svg and "<script" not in svg and 'onload="' not in svg


def test_a_single_point_is_drawn_in_the_middle() -> None:
    svg = str(trend_chart(_spec(points=[ChartPoint(0, "1.6", 5, Marker.BASELINE)])))
    assert f'cx="{LEFT + (WIDTH - LEFT - RIGHT) // 2}"' in svg


def test_an_axis_without_bands_gets_round_ticks_between_its_ends() -> None:
    assert nice_ticks(12, 60) == [20, 30, 40, 50, 60]
    assert nice_ticks(0, 30) == [0, 5, 10, 15, 20, 25, 30]
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    # The alliance chart (no severity bands) labels more than its two ends, with grid lines.
    svg = str(trend_chart(_spec(y_min=0, y_max=30, bands=[], cutoff=None)))
    labels = re.findall(r'text-anchor="end" font-size="\d+" fill="#1b1b1b">(\d+)</text>', svg)
    assert labels == ["0", "5", "10", "15", "20", "25", "30"]
    assert svg.count('stroke="#d0d0d0"') == 5  # a grid line at each inner tick


def test_chart_text_is_large_enough_when_the_chart_is_shown_at_its_narrowest() -> None:
    # The stylesheet never shows a chart narrower than 36rem (576 px); text must then be 12 px.
    assert FONT * 576 / WIDTH >= 12
    svg = str(trend_chart(_spec()))
    sizes = {int(size) for size in re.findall(r'font-size="(\d+)"', svg)}
    assert sizes == {FONT}


def test_date_labels_never_touch_and_the_first_and_last_are_always_shown() -> None:
    from fit_platform.web.chart_frame import BOTTOM, HEIGHT, LABEL_EM

    points = [
        ChartPoint(7 * week, f"{week + 1:02d}.08.2026", 10, Marker.NO_CHANGE) for week in range(16)
    ]
    svg = str(trend_chart(_spec(points=points)))
    labels = re.findall(
        rf'<text x="([\d.]+)" y="{HEIGHT - BOTTOM + 20}" text-anchor="(\w+)"[^>]*>([^<]+)<', svg
    )
    assert labels[0][2] == "01.08.2026" and labels[-1][2] == "16.08.2026"
    assert 3 <= len(labels) < 16
    extents = []
    for x, anchor, text in labels:
        width = LABEL_EM * FONT * len(text)
        left = {"start": 0, "middle": width / 2, "end": width}[anchor]
        extents.append((float(x) - left, float(x) - left + width))
    for (_, right), (left, _) in itertools.pairwise(extents):
        assert left - right >= FONT - 0.01


def test_a_legend_on_three_lines_makes_the_drawing_taller_instead_of_being_cut_off() -> None:
    two_lines = str(trend_chart(_spec()))
    assert 'viewBox="0 0 640 320"' in two_lines
    long = "Expected range (service percentiles; else not validated)"
    three_lines = str(trend_chart(_spec(expected_label=long)))
    height = float(re.search(r'viewBox="0 0 640 ([\d.]+)"', three_lines).group(1))  # type: ignore[union-attr]
    lowest = max(float(y) for y in re.findall(r"translate\([\d.]+ ([\d.]+)\)", three_lines))
    assert height > 320 and lowest + 4 < height


def test_each_marker_shape_is_defined_once_and_placed_at_its_points() -> None:
    points = [
        ChartPoint(0, "1.6", 20, Marker.BASELINE),
        *(ChartPoint(7 * week, f"{week}.7", 9, Marker.IMPROVED) for week in range(1, 6)),
        ChartPoint(42, "12.7", 25, Marker.WORSE),
    ]
    svg = str(trend_chart(_spec(points=points)))
    assert svg.count('<path id="c1-improved"') == 1 and svg.count('<g id="c1-worse">') == 1
    assert 'id="c1-drop"' not in svg  # no drop on this chart, so no shape for it
    uses = re.findall(r'<use href="#c1-(\w+)" x="([\d.]+)" y="([\d.]+)"/>', svg)
    assert [marker for marker, _x, _y in uses] == ["improved"] * 5 + ["worse"]
    # At the point: 9 of 0-27 on a plot 214 high from 14, one week (of six) along 576 from 48.
    assert uses[0][1:] == ("144", str(round(14 + (27 - 9) / 27 * 214, 1)))
    # The legend still draws its shapes, so it reads alone.
    assert '<g transform="translate(' in svg and svg.count("<use ") == 6


# The GAD-7 of a demo patient as the pre-session view drew it: the newest score (7) at the right
# edge in the middle of "mild", and the line near the cut-off (8) at its left end.
GAD7_COURSE = [14, 14, 10, 11, 9, 10, 9, 9, 10, 8, 8, 6, 8, 6, 8, 7]


def _label_boxes(svg: str, names: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """Each named label's box (left, top, right, bottom), estimated as the chart estimates
    text (0.6 em per character)."""
    boxes = {}
    for name in names:
        found = re.search(
            rf'<text x="([\d.]+)" y="([\d.]+)"( text-anchor="(\w+)")?[^>]*>{name}<', svg
        )
        assert found is not None, name
        x, y, anchor = float(found.group(1)), float(found.group(2)), found.group(4) or "start"
        width = 0.6 * FONT * len(name)
        left = x - width if anchor == "end" else x
        boxes[name] = (left, y - 0.8 * FONT, left + width, y + 0.25 * FONT)
    return boxes


def _score_places(svg: str) -> list[tuple[float, float]]:
    line = re.search(r'<polyline points="([^"]+)" fill="none" stroke="#0b3d66"', svg)
    assert line is not None
    return [(float(x), float(y)) for x, y in (p.split(",") for p in line.group(1).split())]


def test_no_band_name_or_cut_off_name_sits_on_a_score_or_the_line() -> None:
    spec = _spec(
        y_max=21,
        points=[
            ChartPoint(7 * week, f"{week}", value, Marker.NO_CHANGE)
            for week, value in enumerate(GAD7_COURSE)
        ],
        bands=[
            ChartBand(0, 5, "minimal"),
            ChartBand(5, 10, "mild"),
            ChartBand(10, 15, "moderat"),
            ChartBand(15, 21, "alvorlig"),
        ],
        cutoff=8,
        cutoff_label="Klinisk grenseverdi 8",
    )
    svg = str(trend_chart(spec))
    places = _score_places(svg)
    boxes = _label_boxes(svg, ["minimal", "mild", "moderat", "alvorlig", "Klinisk grenseverdi 8"])
    for name, (left, top, right, bottom) in boxes.items():
        # No marker (at most 7 units from its centre) within the label's box.
        for x, y in places:
            assert not (left - 7 < x < right + 7 and top - 7 < y < bottom + 7), (name, x, y)
        # No piece of the score line through it (each piece walked in small steps).
        for (x0, y0), (x1, y1) in itertools.pairwise(places):
            for step in range(101):
                x, y = x0 + (x1 - x0) * step / 100, y0 + (y1 - y0) * step / 100
                assert not (left < x < right and top < y < bottom), (name, x, y)
    # Each name is still inside its own band, and inside the plot.
    bands = {"minimal": (0, 5), "mild": (5, 10), "moderat": (10, 15), "alvorlig": (15, 21)}
    plot_h = 320 - 14 - 92
    for name, (low, high) in bands.items():
        left, top, right, bottom = boxes[name]
        assert 14 + (21 - high) / 21 * plot_h <= top and bottom <= 14 + (21 - low) / 21 * plot_h
        assert left >= LEFT and right <= WIDTH - RIGHT


def test_eight_quarters_are_labelled_in_even_steps_from_the_first() -> None:
    """The service figures' charts: a first label that started at its point pushed the second
    out (1st, 3rd, 4th, 5th, 6th and 8th labelled). Centred, only the label before the last
    date can be left out."""
    from fit_platform.web.chart_frame import BOTTOM, HEIGHT

    periods = [f"{year}-Q{quarter}" for year in (2025, 2026) for quarter in (1, 2, 3, 4)]
    points = [
        ChartPoint(float(index), period, 10, Marker.NO_CHANGE)
        for index, period in enumerate(periods)
    ]
    svg = str(trend_chart(_spec(points=points)))
    labels = re.findall(
        rf'<text x="[\d.]+" y="{HEIGHT - BOTTOM + 20}" text-anchor="(\w+)"[^>]*>([^<]+)<', svg
    )
    assert [text for _anchor, text in labels] == periods[:6] + periods[7:]
    assert labels[0] == ("middle", "2025-Q1")  # inside the drawing, centred like the others
    assert labels[-1] == ("end", "2026-Q4")  # centred it would run past the right edge
