"""How the clinician's pages name what they show, in the user's language: questionnaires,
severity bands, scores, how long a signal has waited, where the patient's own words were
written, and the signal a samvalg decision answers.

The score tables (`score_tables`) and the trend chart with its summary sentence
(`score_chart`) are built on these names; the per-catalogue look-ups they share
(`bound_gettext`, `labels_in`) are here with the band names they serve.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from babel.dates import format_timedelta
from babel.units import format_unit
from flask_babel import get_locale
from flask_babel import gettext as _

from fit_platform.domain.codes import CommentSource, ConsentEventKind
from fit_platform.domain.instrument_language import working_translations
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.services.comments import PatientWords
from fit_platform.services.presession_contents import DecisionView, PreSession, SignalView
from fit_platform.services.score_trends import InstrumentTrend
from fit_platform.services.signal_answers import AnswerChange
from fit_platform.web.clock import now
from fit_platform.web.formatting import (
    format_datetime,
    format_number,
    formatting_locale,
    number_formatter,
)
from fit_platform.web.labels import BANDS, CHANGE, CONSENT_EVENT, LANGUAGE_SHORT


@functools.lru_cache(maxsize=16)  # one per loaded catalogue: a few languages
def bound_gettext(translations: Any) -> Callable[..., str]:
    """Flask-Babel's `gettext` bound to one catalogue, for a presenter that translates a
    dozen strings: each call of Flask-Babel's own finds the request context, the domain and
    the catalogue again through `g`. Same result (translate, then %-format when given
    values)."""

    def gettext(message: str, **variables: object) -> str:
        text: str = translations.ugettext(message)
        return text % variables if variables else text

    return gettext


@functools.lru_cache(maxsize=16)  # one per loaded catalogue: a few languages
def labels_in(translations: Any) -> dict[tuple[str, object], str]:
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
    `labels` is `labels_in` of the request's catalogue, when the caller has it;
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
    if duration < dt.timedelta(minutes=1):
        return format_timedelta(duration, locale=locale)  # seconds
    if duration < dt.timedelta(hours=2):
        # Whole minutes: Babel's threshold made 91 minutes "2 hours".
        return format_unit(duration // dt.timedelta(minutes=1), "duration-minute", locale=locale)
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


def answer_change_sentence(change: AnswerChange) -> str:
    """A risk answer the patient changed after its signal was raised, in one sentence, with
    what the patient answered first: that answer raised the signal and is what the therapist
    must talk about (the pre-session view and both forms of the journal summary)."""
    when = format_datetime(change.at, "short")
    if change.answer_text and change.previous_text:
        return _(
            "The patient changed the answer to question %(number)s from “%(previous)s” to "
            "“%(answer)s” at %(when)s.",
            number=change.item_number,
            previous=change.previous_text,
            answer=change.answer_text,
            when=when,
        )
    if change.answer_text:
        return _(
            "The patient changed the answer to question %(number)s to “%(answer)s” at %(when)s.",
            number=change.item_number,
            answer=change.answer_text,
            when=when,
        )
    if change.previous_text:
        return _(
            "The patient removed the answer “%(previous)s” to question %(number)s at %(when)s.",
            number=change.item_number,
            previous=change.previous_text,
            when=when,
        )
    return _(
        "The patient removed the answer to question %(number)s at %(when)s.",
        number=change.item_number,
        when=when,
    )
