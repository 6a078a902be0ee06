"""Turn a pre-session trend into a chart spec and a one-sentence summary, in the user's language."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from babel.dates import format_timedelta
from babel.units import format_unit
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from markupsafe import Markup, escape

from fit_platform.domain.change import ChangeCategory
from fit_platform.domain.codes import CommentSource, ConsentEventKind
from fit_platform.domain.instrument_language import working_translations
from fit_platform.domain.instruments import Instrument, Kind, default_instruments
from fit_platform.services.comments import PatientWords
from fit_platform.services.presession import DecisionView, PreSession, SignalView
from fit_platform.services.score_trends import InstrumentTrend, ScorePoint
from fit_platform.web.charts import ChartBand, ChartPoint, ChartSpec, Marker, trend_chart
from fit_platform.web.clock import now
from fit_platform.web.formatting import (
    date_formatter,
    format_date,
    format_number,
    formatting_locale,
    number_formatter,
)
from fit_platform.web.labels import BANDS, CHANGE, CONSENT_EVENT, LANGUAGE_SHORT

# Score rows per questionnaire on the pre-session view; every row is on the page of all scores.
ROWS_SHOWN = 8


@functools.lru_cache(maxsize=16)  # one per loaded catalogue: a few languages
def _bound_gettext(translations: Any) -> Callable[..., str]:
    """Flask-Babel's `gettext` bound to one catalogue, for a presenter that translates a
    dozen strings: each call of Flask-Babel's own finds the request context, the domain and
    the catalogue again through `g`. Same result (translate, then %-format when given
    values)."""

    def gettext(message: str, **variables: object) -> str:
        text: str = translations.ugettext(message)
        return text % variables if variables else text

    return gettext


@functools.lru_cache(maxsize=16)  # one per loaded catalogue: a few languages
def _labels_in(translations: Any) -> dict[tuple[str, object], str]:
    """The band and change labels as text in one catalogue. Each label is a lazy string whose
    `str()` looks the request's locale, domain and catalogue up again (a chart has a band
    label per severity band); the text depends only on the catalogue, so it is made once per
    catalogue. Called with this request's catalogue, which the lazy strings use too."""
    return {
        **{("band", code): str(label) for code, label in BANDS.items()},
        **{("change", code): str(label) for code, label in CHANGE.items()},
    }


def instrument_title(trend: InstrumentTrend, language: str) -> str:
    return trend.instrument.title.get(language) or trend.instrument.title["en"]


def working_languages(trend: InstrumentTrend) -> tuple[str, ...]:
    """The languages of the latest answers whose text is the project's working translation,
    not the rights holder's: the panel says its cut-offs are the original's (not validated
    for that wording)."""
    working = working_translations(trend.instrument)
    return tuple(lang for lang in trend.answered_in if lang in working)


def working_language_names(trend: InstrumentTrend) -> str:
    """`working_languages` named for a sentence ("bokmål, nynorsk"); empty when none."""
    return ", ".join(str(LANGUAGE_SHORT[code]) for code in working_languages(trend))


def title_of(instrument_id: str | None, language: str) -> str:
    """The questionnaire's title in the viewer's language (its id if it is not in the library)."""
    if instrument_id is None:
        return ""
    instrument = default_instruments().get(instrument_id)
    if instrument is None:
        return instrument_id
    return instrument.title.get(language) or instrument.title["en"]


# Recorded with the consent events, but consent itself stays as it was: "Asked for fewer
# questionnaires" or declining one questionnaire is what it is, not a "Consent change".
NOT_A_CONSENT_CHANGE = frozenset(
    {
        ConsentEventKind.FREQUENCY_REDUCED,
        ConsentEventKind.CHANNEL_CHANGED,
        ConsentEventKind.DECLINED_INVITATION,
    }
)


def words_label(words: PatientWords, language: str) -> str:
    """Where the patient wrote it: which questionnaire, or which consent change."""
    title = title_of(words.instrument_id, language)
    if words.consent_kind is not None:
        change = str(CONSENT_EVENT[words.consent_kind])
        if words.consent_kind is ConsentEventKind.DECLINED_INVITATION and title:
            # Named like the comments next to it ("Comment sent with <questionnaire>").
            return _("Declined %(questionnaire)s", questionnaire=title)
        if words.consent_kind in NOT_A_CONSENT_CHANGE:
            return change
        if title:
            return _(
                "Consent change: %(change)s (%(questionnaire)s)", change=change, questionnaire=title
            )
        return _("Consent change: %(change)s", change=change)
    if words.source is CommentSource.RESULT:
        return _("Comment on the result of %(questionnaire)s", questionnaire=title)
    return _("Comment sent with %(questionnaire)s", questionnaire=title)


def band_label(
    code: str | None,
    labels: dict[tuple[str, object], str] | None = None,
    instrument: Instrument | str | None = None,
) -> str:
    """The severity band's name as users read it, never its raw code: the definition's own
    label in the request's language, else the platform's name of a known code ("mild"),
    else the definition's English label, else the scores the band covers ("score 36–40").
    `labels` is `_labels_in` of the request's catalogue, when the caller has it;
    `instrument` (or its id) is the questionnaire the band belongs to."""
    if not code:
        return ""
    if isinstance(instrument, str):
        instrument = default_instruments().get(instrument)
    band = instrument.band(code) if instrument is not None else None
    own = dict(band.label) if band is not None else {}
    language = str(get_locale() or "nb")
    if own.get(language):
        return own[language]
    if code in BANDS:
        return labels[("band", code)] if labels is not None else str(BANDS[code])
    if own.get("en"):
        return own["en"]
    covered = instrument.band_range(code) if instrument is not None else None
    if covered is None:
        return _("band not named")
    number = number_formatter()
    return _("score %(low)s–%(high)s", low=number(covered[0]), high=number(covered[1]))


def score_text(value: float | None) -> str:
    return _("not scorable") if value is None else format_number(value)


def short_name(instrument_id: str | None) -> str:
    """The questionnaire's short name as people write it ("PHQ-9", not the id "phq9")."""
    if instrument_id is None:
        return ""
    instrument = default_instruments().get(instrument_id)
    return instrument.short_name if instrument is not None else instrument_id


def waited(signal: SignalView) -> str:
    """How long a signal has waited for someone to act on it ("3 hours", "6 days"): until it was
    acknowledged, or until now."""
    until = signal.acknowledged_at or now()
    raised = (
        signal.raised_at if signal.raised_at.tzinfo else signal.raised_at.replace(tzinfo=dt.UTC)
    )
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    return whole_hours_or_days(max(until - raised, dt.timedelta(0)))


def whole_hours_or_days(duration: dt.timedelta) -> str:
    """A wait in whole hours below two days and in whole days from then on, never rounded up
    ("6 days" until seven have passed); under two hours, in minutes. Babel's
    `format_timedelta` rounds to the nearest unit and goes on to weeks: a signal raised 6 days
    16 hours before read "waiting for 7 days", and one raised 11 days before "2 weeks"."""
    locale = formatting_locale()
    if duration < dt.timedelta(hours=2):
        return format_timedelta(duration, threshold=1.5, locale=locale)
    if duration < dt.timedelta(days=2):
        return format_unit(duration // dt.timedelta(hours=1), "duration-hour", locale=locale)
    return format_unit(duration.days, "duration-day", locale=locale)


def decision_signal(view: PreSession, decision: DecisionView) -> SignalView | None:
    """The signal a samvalg decision answers, if it is still shown on the page."""
    if decision.signal_id is None:
        return None
    for signal in (*view.open_signals, *view.resolved_signals):
        if signal.id == decision.signal_id:
            return signal
    return None


_IMPROVEMENT = ChangeCategory.RELIABLE_IMPROVEMENT
_DETERIORATION = ChangeCategory.RELIABLE_DETERIORATION


def expected_text(point: ScorePoint, higher_is_better: bool, _: Callable[..., str] = _) -> str:
    band = point.expected
    if band is None or point.total is None:
        return ""
    if band.is_worse_than_band(point.total, higher_is_better):
        return _("worse than expected")
    if band.low <= point.total <= band.high:
        return _("within the expected range")
    return _("better than expected")


def score_rows(points: Iterable[ScorePoint], trend: InstrumentTrend) -> Markup:
    """The score table's rows (date, score, severity, expected range, change since the first).

    Written here rather than by a Jinja macro per row: two years of weekly answers are some
    200 rows, and a macro call per row (with its filters and look-ups) was about half of the
    pre-session view's CPU. Every value is escaped as Jinja's autoescaping would."""
    higher_is_better = trend.instrument.higher_is_better
    # The request's locale, time zone, catalogue and the few labels looked up once for all rows.
    date = date_formatter("short")
    number = number_formatter()
    translations = get_translations()
    _ = _bound_gettext(translations)
    texts = _labels_in(translations)
    first_score = escape(_("first score"))
    # On a phone the table is cards (`table.reflow`): each cell names its column, and a cell
    # with nothing in it is left out of the card rather than shown as a label alone.
    headings = {
        "score": escape(_("Score")),
        "band": escape(_("Severity")),
        "expected": escape(_("Expected range")),
        "change": escape(_("Since the first score")),
    }
    labels: dict[object, Markup] = {}

    def cell(column: str, value: object) -> str:
        empty = "" if value else ' class="empty-cell"'
        return f'<td data-label="{headings[column]}"{empty}>{value}</td>'

    def label(key: object, make: Callable[[], object]) -> Markup:
        if key not in labels:
            labels[key] = escape(make())
        return labels[key]

    rows = []
    for point in points:
        expected = ""
        if point.expected:
            expected = f"{escape(number(point.expected.low))}–{escape(number(point.expected.high))}"
            if point.total is not None:
                text = label(
                    (
                        "expected",
                        point.expected.is_worse_than_band(point.total, higher_is_better),
                        point.expected.low <= point.total <= point.expected.high,
                    ),
                    functools.partial(expected_text, point, higher_is_better, _),
                )
                expected += f" ({text})"
        if point.occasion == 1:
            change = first_score
        elif point.change_from_first:
            change = label(
                point.change_from_first,
                functools.partial(texts.__getitem__, ("change", point.change_from_first)),
            )
        else:
            change = Markup("")
        score = (
            label(("score", None), lambda: _("not scorable"))
            if point.total is None
            else escape(number(point.total))
        )
        band = label(
            ("band", point.band),
            functools.partial(band_label, point.band, texts, instrument=trend.instrument),
        )
        rows.append(
            f"<tr><td>{escape(date(point.at))}</td>{cell('score', score)}{cell('band', band)}"
            f"{cell('expected', expected)}{cell('change', change)}</tr>"
        )
    return Markup("".join(rows))  # noqa: S704 - every value above is escaped


def alliance_rows(points: Iterable[ScorePoint]) -> Markup:
    """An alliance table's rows (date, score, a drop from last time), escaped as Jinja would."""
    date = date_formatter("short")
    number = number_formatter()
    _ = _bound_gettext(get_translations())
    unscorable = escape(_("not scorable"))
    drop, no_drop = Markup("<strong>%s</strong>") % _("Yes"), escape(_("No"))
    rows = [
        f"<tr><td>{escape(date(point.at))}</td>"
        f"<td>{unscorable if point.total is None else escape(number(point.total))}</td>"
        f"<td>{drop if point.drop else no_drop}</td></tr>"
        for point in points
    ]
    return Markup("".join(rows))  # noqa: S704 - every value above is escaped


def summary_sentence(trend: InstrumentTrend) -> str:
    """One sentence a therapist can read aloud: latest score, change and expected range.
    Its strings, labels and numbers through the request's catalogue and locale looked up
    once (each of Flask-Babel's look-ups goes through the request context again)."""
    translations = get_translations()
    _ = _bound_gettext(translations)
    labels = _labels_in(translations)
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
        if latest.drop:
            return _(
                "Latest score %(score)s on %(date)s: a drop from %(previous)s last time.",
                score=score_text(latest.total),
                date=date,
                previous=score_text(scored[-2].total),
            )
        return _(
            "Latest score %(score)s on %(date)s: no drop from %(previous)s last time.",
            score=score_text(latest.total),
            date=date,
            previous=score_text(scored[-2].total),
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
    _ = _bound_gettext(translations)
    labels = _labels_in(translations)
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
        )
    )
