"""Trends of the service figures as words, numbers and SVG: the one-sentence summary, the
value as shown, and the chart spec for :func:`fit_platform.web.charts.trend_chart`.

A hidden (suppressed) or empty period is a point without a value, so the chart leaves a gap
there and draws no marker; the data table under each chart says which it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.small_cells import MIN_PATIENTS_PER_CELL
from fit_platform.services.export.trends import (
    SHARES,
    Direction,
    Measure,
    PointState,
    Trend,
    summarise,
)
from fit_platform.web.chart_spec import ChartPoint, ChartSpec, Marker
from fit_platform.web.charts import trend_chart

MEASURE_LABELS = {
    Measure.RESPONSE_RATE: _l("Response rate"),
    Measure.RELIABLE_IMPROVEMENT: _l("Reliable improvement"),
    Measure.ALLIANCE: _l("Alliance"),
    # The figures table's own words: the two pages named one figure two ways.
    Measure.RISK_HOURS: _l("Median hours to acknowledge a risk signal"),
}
MEASURE_EXPLAINED = {
    Measure.RESPONSE_RATE: _l("Share of the questionnaires sent that were answered."),
    Measure.RELIABLE_IMPROVEMENT: _l(
        "Share of the patients with two or more scores whose latest score is reliably better "
        "than their first, on %(instrument)s."
    ),
    Measure.ALLIANCE: _l("Mean alliance score on %(instrument)s (higher is better)."),
    Measure.RISK_HOURS: _l(
        "Median hours from a risk answer to a therapist acknowledging it (lower is better)."
    ),
}
# When the range has no questionnaire for the figure (a unit with no outcome or alliance
# answers): the sentences above once read "…better than their first, on ." there.
MEASURE_EXPLAINED_WITHOUT_INSTRUMENT = {
    Measure.RELIABLE_IMPROVEMENT: _l(
        "Share of the patients with two or more scores whose latest score is reliably better "
        "than their first. No questionnaire has scores for it in this range."
    ),
    Measure.ALLIANCE: _l(
        "Mean alliance score (higher is better). No alliance questionnaire has answers in this "
        "range."
    ),
}


@dataclass(frozen=True)
class TrendView:
    trend: Trend
    label: str
    explained: str
    sentence: str
    chart: Markup
    values: list[tuple[str, str, PointState]]  # period, value as shown (or why not), state


def instrument_title(instrument_id: str | None) -> str:
    if instrument_id is None:
        return ""
    instrument = default_instruments().get(instrument_id)
    if instrument is None:
        return instrument_id
    return instrument.title.get(str(get_locale())) or instrument.title["en"]


def instrument_short(instrument_id: str | None) -> str:
    """'PHQ-9' from 'Patient Health Questionnaire (PHQ-9)': the name a short card has room for."""
    title = instrument_title(instrument_id)
    found = re.search(r"\(([^()]+)\)$", title)
    return found.group(1) if found else title


def shown_value(measure: Measure, value: float) -> str:
    """A figure as the page shows it: '62 %', '21.4' or '5.5' in the reader's locale."""
    if measure in SHARES:
        return format_percent(value, format="#,##0 %")
    return format_decimal(value, format="#,##0.0")


def period_named(period: str, running: str | None) -> str:
    """A period as the report words it: the one not over yet says so ("2026-Q4 (so far)"),
    since its figures are partial beside whole periods."""
    return _("%(period)s (so far)", period=period) if period == running else period


def sentence(trend: Trend, unit_label: str, running: str | None = None) -> str:
    """'Response rate in DPS Nord rose from 62 % in 2025-Q1 to 71 % in 2026-Q3.'"""
    measure = str(MEASURE_LABELS[trend.measure])
    summary = summarise(trend)
    if summary is None:
        shown = trend.shown
        if shown:
            assert shown[0].value is not None
            return _(
                "%(measure)s in %(unit)s was %(value)s in %(period)s; no other period in this "
                "range can be shown.",
                measure=measure,
                unit=unit_label,
                value=shown_value(trend.measure, shown[0].value),
                period=period_named(shown[0].period, running),
            )
        if not trend.suppressed:
            return _(
                "%(measure)s in %(unit)s has no data for this range.",
                measure=measure,
                unit=unit_label,
            )
        return _(
            "%(measure)s in %(unit)s cannot be shown for this range: every period has fewer "
            "than %(threshold)s patients or no data.",
            measure=measure,
            unit=unit_label,
            threshold=MIN_PATIENTS_PER_CELL,
        )
    assert summary.first.value is not None and summary.last.value is not None
    values = {
        "measure": measure,
        "unit": unit_label,
        "first": shown_value(trend.measure, summary.first.value),
        "first_period": period_named(summary.first.period, running),
        "last": shown_value(trend.measure, summary.last.value),
        "last_period": period_named(summary.last.period, running),
    }
    if summary.direction is Direction.ROSE:
        return _(
            "%(measure)s in %(unit)s rose from %(first)s in %(first_period)s to %(last)s in "
            "%(last_period)s.",
            **values,
        )
    if summary.direction is Direction.FELL:
        return _(
            "%(measure)s in %(unit)s fell from %(first)s in %(first_period)s to %(last)s in "
            "%(last_period)s.",
            **values,
        )
    return _(
        "%(measure)s in %(unit)s was %(first)s in %(first_period)s and the same in "
        "%(last_period)s.",
        **values,
    )


def _y_range(trend: Trend) -> tuple[float, float]:
    if trend.measure in SHARES:
        return 0.0, 100.0
    if trend.measure is Measure.ALLIANCE and trend.instrument_id:
        instrument = default_instruments().get(trend.instrument_id)
        if instrument is not None:
            return 0.0, instrument.score_max
    highest = max((p.value or 0.0 for p in trend.shown), default=0.0)
    return 0.0, max(12.0, float(int(highest * 1.25) // 6 * 6 + 6))


def trend_view(
    trend: Trend, unit_label: str, chart_id: str, running: str | None = None
) -> TrendView:
    """Everything one figure of the report needs: label, sentence, chart and table values.
    ``running`` is the period not over yet, which the sentence and the table call partial."""
    scale = 100.0 if trend.measure in SHARES else 1.0
    low, high = _y_range(trend)
    label = str(MEASURE_LABELS[trend.measure])
    described = sentence(trend, unit_label, running)
    # Hidden periods break a line: said only where a line is drawn (two or more shown).
    if trend.suppressed and len(trend.shown) > 1:
        described += " " + ngettext(
            "%(num)s hidden period is left out of the line.",
            "%(num)s hidden periods are left out of the line.",
            trend.suppressed,
        )
    spec = ChartSpec(
        chart_id=chart_id,
        title=_("%(measure)s in %(unit)s", measure=label, unit=unit_label),
        description=described,
        y_min=low,
        y_max=high,
        points=[
            ChartPoint(
                x=float(index),
                label=point.period,
                value=None if point.value is None else point.value * scale,
            )
            for index, point in enumerate(trend.points)
        ],
        score_label=label + (" (%)" if trend.measure in SHARES else ""),
        ticks=[low + (high - low) * step / 4 for step in (1, 2, 3)],
        legend={Marker.NO_CHANGE: ""},
    )
    explained = str(MEASURE_EXPLAINED[trend.measure])
    if "%(instrument)s" in explained:
        if trend.instrument_id is None:
            explained = str(MEASURE_EXPLAINED_WITHOUT_INSTRUMENT[trend.measure])
        else:
            explained = explained % {"instrument": instrument_title(trend.instrument_id)}
    hidden = {
        PointState.SUPPRESSED: _(
            "hidden (fewer than %(threshold)s)", threshold=MIN_PATIENTS_PER_CELL
        ),
        # Based on enough patients: saying "fewer than 5" of it would be untrue.
        PointState.HIDDEN_FOR_OTHERS: _("hidden (to protect other figures)"),
    }
    values = [
        (
            period_named(point.period, running),
            shown_value(trend.measure, point.value)
            if point.value is not None
            else hidden.get(point.state, _("no data")),
            point.state,
        )
        for point in trend.points
    ]
    return TrendView(trend, label, explained, described, trend_chart(spec), values)
