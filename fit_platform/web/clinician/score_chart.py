"""The trend chart of one questionnaire and its summary sentence, in the user's language.

The summary sentence is the chart's text alternative (a therapist can read it aloud) and the
headline of each questionnaire on the page of all scores, which has no chart; it is kept with
the chart because the chart's description is built from it. The SVG itself is drawn by
`web.charts`: this module decides what the chart says, that one how it looks.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import get_translations
from flask_babel import gettext as _
from markupsafe import Markup

from fit_platform.domain.change import ChangeCategory
from fit_platform.domain.instruments import Kind
from fit_platform.services.score_trends import InstrumentTrend
from fit_platform.web.chart_spec import ChartBand, ChartPoint, ChartSpec, Marker
from fit_platform.web.charts import trend_chart
from fit_platform.web.clinician.presenters import (
    band_label,
    bound_gettext,
    instrument_title,
    labels_in,
)
from fit_platform.web.clinician.score_tables import ROWS_SHOWN, expected_text
from fit_platform.web.formatting import date_formatter, format_date, format_number, number_formatter

_IMPROVEMENT = ChangeCategory.RELIABLE_IMPROVEMENT
_DETERIORATION = ChangeCategory.RELIABLE_DETERIORATION


def summary_sentence(trend: InstrumentTrend) -> str:
    """One sentence a therapist can read aloud: latest score, change and expected range.
    Its strings, labels and numbers through the request's catalogue and locale looked up
    once (each of Flask-Babel's look-ups goes through the request context again)."""
    translations = get_translations()
    _ = bound_gettext(translations)
    labels = labels_in(translations)
    number = number_formatter()

    def score_text(value: float | None) -> str:
        return _("not scorable") if value is None else number(value)

    scored = trend.scored
    if not scored:
        return _("No scorable answers yet.")
    latest = scored[-1]
    date = format_date(latest.at, "medium")
    if trend.instrument.kind is Kind.ALLIANCE:
        if len(scored) == 1:
            return _(
                "One score so far: %(score)s on %(date)s.",
                score=score_text(latest.total),
                date=date,
            )
        if latest.period != scored[-2].period:
            # A drop is not counted across a change of therapist (`score_trends`): "no drop
            # from 58" beside a first rating of a new relationship would compare the two.
            return _(
                "Latest score %(score)s on %(date)s: the first with the new therapist, so not "
                "compared with the %(previous)s given before the change.",
                score=score_text(latest.total),
                date=date,
                previous=score_text(scored[-2].total),
            )
        if latest.drop:
            return _(
                "Latest score %(score)s on %(date)s: a drop from %(previous)s last time.",
                score=score_text(latest.total),
                date=date,
                previous=score_text(scored[-2].total),
            )
        previous, rule = scored[-2].total, trend.instrument.alliance_drop
        if (
            rule is not None
            and latest.total is not None
            and previous is not None
            and latest.total < previous
        ):
            # Lower, but by less than the rule's points: "no drop" beside 32 after 33.5 read
            # as if the numbers were wrong (found walking a group form's scores).
            return _(
                "Latest score %(score)s on %(date)s: lower than %(previous)s last time, by "
                "less than the %(threshold)s points that count as a drop.",
                score=score_text(latest.total),
                date=date,
                previous=score_text(previous),
                threshold=score_text(rule.threshold),
            )
        return _(
            "Latest score %(score)s on %(date)s: no drop from %(previous)s last time.",
            score=score_text(latest.total),
            date=date,
            previous=score_text(previous),
        )
    band = band_label(latest.band, labels, trend.instrument)
    if len(scored) == 1:
        return _(
            "One score so far: %(score)s (%(band)s) on %(date)s.",
            score=score_text(latest.total),
            band=band,
            date=date,
        )
    change = labels[("change", latest.change_from_first or ChangeCategory.NOT_ASSESSABLE)]
    expected = expected_text(latest, trend.instrument.higher_is_better, _)
    if expected:
        return _(
            "Latest score %(score)s (%(band)s) on %(date)s: %(change)s since the first score "
            "of %(first)s, and %(expected)s.",
            score=score_text(latest.total),
            band=band,
            date=date,
            change=change,
            first=score_text(scored[0].total),
            expected=expected,
        )
    return _(
        "Latest score %(score)s (%(band)s) on %(date)s: %(change)s since the first score "
        "of %(first)s.",
        score=score_text(latest.total),
        band=band,
        date=date,
        change=change,
        first=score_text(scored[0].total),
    )


def _expected_label(trend: InstrumentTrend, _: Callable[..., str] = _) -> str:
    inst = trend.instrument
    if any(p.expected and p.expected.source == "service_percentiles" for p in trend.points):
        # Short enough for one legend line; docs/signals.md says which cells use which band.
        return _("Expected range (patients of this service; elsewhere not validated)")
    if inst.expected_recovery and not inst.expected_recovery.validated:
        return _("Expected range (not validated)")
    return _("Expected range")


def chart(trend: InstrumentTrend, language: str, summary: str | None = None) -> Markup:
    """The trend chart of one questionnaire; `summary` is the page's summary sentence when the
    page has it already. Dates and labels are looked up once per chart, not per point."""
    translations = get_translations()
    _ = bound_gettext(translations)
    labels = labels_in(translations)
    inst = trend.instrument
    alliance = inst.kind is Kind.ALLIANCE
    date = date_formatter("short")
    first_at = trend.points[0].at if trend.points else None
    # `_marker` written out, comparing the change by identity: a lookup keyed by the enum
    # hashes it in Python (`Enum.__hash__`), once per point of every chart on every view.
    points = []
    for p in trend.points:
        band = p.expected
        if alliance:
            marker = Marker.DROP if p.drop else Marker.NO_CHANGE
        elif p.occasion == 1:
            marker = Marker.BASELINE
        elif p.change_from_first is _IMPROVEMENT:
            marker = Marker.IMPROVED
        elif p.change_from_first is _DETERIORATION:
            marker = Marker.WORSE
        else:
            marker = Marker.NO_CHANGE
        points.append(
            ChartPoint(
                (p.at - first_at).total_seconds() / 86400 if first_at else 0.0,
                "",
                p.total,
                marker,
                band.low if band else None,
                band.high if band else None,
            )
        )
    levels = inst.bands
    bands = [
        ChartBand(
            level.min,
            levels[i + 1].min if i + 1 < len(levels) else inst.score_max,
            band_label(level.code, labels, inst),
        )
        for i, level in enumerate(levels)
    ]
    direction = (
        _("Higher scores are better.") if inst.higher_is_better else _("Higher scores are worse.")
    )
    title = _("%(instrument)s over time", instrument=instrument_title(trend, language))
    table = (
        _(
            "The latest %(num)d scores are in the table below the chart, and every score is "
            "on the page of all scores.",
            num=ROWS_SHOWN,
        )
        if len(points) > ROWS_SHOWN
        else _("The same numbers are in the table below the chart.")
    )
    description = " ".join(
        [summary if summary is not None else summary_sentence(trend), direction, table]
    )
    cutoff = inst.clinical_cutoff
    return trend_chart(
        ChartSpec(
            chart_id=f"chart-{inst.id}",
            title=title,
            description=description,
            y_min=inst.score_min,
            y_max=inst.score_max,
            points=points,
            bands=bands,
            cutoff=cutoff.value if cutoff else None,
            cutoff_label=_("Clinical cut-off %(value)s", value=format_number(cutoff.value))
            if cutoff
            else "",
            expected_label=_expected_label(trend, _),
            score_label=_("Score"),
            legend={
                Marker.BASELINE: _("First score"),
                Marker.NO_CHANGE: "" if alliance else _("No reliable change"),
                Marker.IMPROVED: _("Reliably better than first"),
                Marker.WORSE: _("Reliably worse than first"),
                Marker.DROP: _("Drop from last time"),
            },
            # A point's date is formatted only when the axis may label it.
            label_of=lambda index: date(trend.points[index].at),
            dividers=[(t - first_at).total_seconds() / 86400 for t in trend.transfers]
            if first_at
            else [],
            divider_label=_("Therapist changed"),
        )
    )
