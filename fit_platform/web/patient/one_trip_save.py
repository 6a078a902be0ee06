"""The question page's save without reading the link first, where the session says enough
(PostgreSQL; `services/page_save_one_trip.py` has the guard and why it is enough).

Taken only by the plainest save: "Next" on a page without a risk question, every question
answered with one of its own choices, by a browser whose session names the link, its
questionnaire and where the page's language comes from. Everything else (a page sent back, a
save in part on "Back" or a language choice, a risk question, a cookie from before the
questionnaire was kept in it, SQLite) goes the ordinary way: `needs_link` reads the link and the
view decides from it. So does a save the guard refuses, with nothing written: the link read then
finds out why and the patient gets the page they always got.
"""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from fit_platform.context_objects import this_g, this_request, this_session
from fit_platform.domain.codes import Language
from fit_platform.domain.instruments import UnknownInstrumentError, get_instrument
from fit_platform.domain.scoring import InvalidAnswerError
from fit_platform.extensions import get_db
from fit_platform.i18n import CHOSEN_LANGUAGE_KEY, PATIENT_LANGUAGE_KEY, SUPPORTED
from fit_platform.services.link_context import has_risk_question, page_plan
from fit_platform.services.page_save_one_trip import BoundLink, save_on_bound_link
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import (
    LINK_KEY,
    PROGRESS_KEY,
    QUESTIONNAIRE_KEY,
    _ints,
    _now,
)


def saved_without_link_read(page: int) -> WerkzeugResponse | None:
    """The save's redirect, or None when the page must be answered the ordinary way (nothing
    was written then)."""
    reader = get_db().direct_reader()
    if reader is None:
        return None
    current = this_session()
    bound = _ints(current.get(LINK_KEY), 2)
    instrument_id = current.get(QUESTIONNAIRE_KEY)
    if bound is None or not isinstance(instrument_id, str):
        return None
    token_id, generation = bound
    grant = _ints(current.get(PROGRESS_KEY), 3)
    if grant is not None and grant[2] != generation:
        return None  # a grant from before a logout: the ordinary path drops it
    record_language: Language | None = None
    if current.get(CHOSEN_LANGUAGE_KEY) not in SUPPORTED:
        # The page's language came from the patient's record (`i18n.select_locale`), as the
        # session remembers it: the guard checks that the record still says so.
        remembered = current.get(PATIENT_LANGUAGE_KEY)
        if remembered not in SUPPORTED:
            return None
        record_language = Language(remembered)
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrumentError:  # a questionnaire taken out of this version's library
        return None
    plan = page_plan(instrument)
    if not 1 <= page <= len(plan):
        return None
    link_ids = plan[page - 1]
    if has_risk_question(instrument, link_ids):
        return None
    posted = this_request().form
    if posted.get("language") is not None or posted.get("action") == "back":
        return None
    codes = forms.all_known_answers(instrument, link_ids, posted)
    if codes is None:
        return None
    g = this_g()
    if record_language is not None:
        g.patient_language = record_language.value  # as `_use_patient_language` would
    try:
        saved = save_on_bound_link(
            reader,
            BoundLink(token_id, generation, instrument_id, record_language),
            instrument,
            page,
            codes,
            forms.page_language(instrument),
            _now(),
        )
    except InvalidAnswerError:
        saved = None
    if saved is None:
        g.pop("patient_language", None)  # the link read sets it from the record
        return None
    if saved.next_page > saved.page_count:
        return redirect(url_for("patient.finish"))
    return redirect(url_for("patient.answer", page=saved.next_page))
