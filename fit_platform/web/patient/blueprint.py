"""The patient answering journey: the whole URL map of the feature, the patient's session in
this browser and the ``needs_link`` guard every page shares.

A patient has no account: the link token is the key. ``GET /p/<token>`` only shows a landing
page (link scanners fetch links); a POST from it binds the link to this browser's signed
session (the token row id, never the token) and every later page works from that, so the
token appears in no other URL, redirect or log line.

    GET  /p/<token>            landing page, or a page saying why the link is closed (404/410)
    POST /p/<token>            start/continue, other choices, progress, goals, restart
    GET  /p/                   back to where the patient was
    GET/POST /p/answer/<n>     page n of the questionnaire (saved on every POST)
    GET  /p/help               where to get help now (shown at once after a risk answer)
    GET/POST /p/finish         topic for next session, comment, submit       (answer.py)
    GET/POST /p/done           thank you, own progress, comment on the result
    GET/POST /p/progress       own progress; later visits need a one-time code or ID-porten
                                                                             (own_progress.py)
    POST /p/idporten, GET /p/idporten/callback   ID-porten (idporten.py)
    POST /p/logout, GET /p/logged-out   log out, also of ID-porten (logout.py)
    GET/POST /p/goals          goals for treatment in the patient's own words (goals.py)
    GET/POST /p/choices        what do you want to do? (a link to each choice's own page)
    GET/POST /p/choices/<name> decline, pause, stop, channel, fewer
    GET  /p/choices/done       confirmation of a consent choice              (choice_pages.py)
    GET/POST /p/days, /p/plan  own days and own plan                 (own_days.py, own_plan.py)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from fit_platform.context_objects import this_app, this_session
from fit_platform.domain.codes import Language
from fit_platform.extensions import get_db
from fit_platform.i18n import PATIENT_LANGUAGE_KEY, get_locale
from fit_platform.services import answering, patient_sessions
from fit_platform.services.answering import LinkContext, LinkStatus
from fit_platform.web import clock as web_clock
from fit_platform.web.deadline import deadline_text
from fit_platform.web.patient import forms
from fit_platform.web.patient.readers import (
    new_course_started,
    own_plan_unread,
    therapist_reads,
    treatment_ended,
)

bp = Blueprint("patient", __name__, url_prefix="/p", template_folder="templates")

# Both hold the patient's session generation when they were given: logging out counts it up
# on the server, and a cookie holding an older one (a copy) is refused (docs/security.md).
LINK_KEY = "p_link"  # [id of the InvitationToken row the browser opened, generation]
PROGRESS_KEY = "p_progress"  # [patient id, unix time until which progress may be shown, generation]
# The questionnaire of the opened link (its id): the page save needs no link read where the
# session names it (one_trip_save.py).
QUESTIONNAIRE_KEY = "p_questionnaire"
# Every key the patient pages keep in the cookie session starts with this; staff keys and the
# chosen language do not, and stay; so does the patient's language (PATIENT_LANGUAGE_KEY).
PATIENT_KEY_PREFIX = "p_"
CODE_KEY = "p_code_patient"  # patient id waiting for a one-time code
CONSENT_DONE_KEY = "p_consent_done"
# How many waiting messages the choice cancelled: the confirmation says so only when there were.
CONSENT_CANCELLED_KEY = "p_consent_cancelled"
AFTER_CODE_KEY = "p_after_code"  # the page the code step leads to, if not the progress page
# The pages a closed link reaches through the code step, by a fixed name (never a URL, so the
# session cannot be made to redirect anywhere else): the name kept under AFTER_CODE_KEY.
AFTER_CODE_PAGES = {
    "goals": "patient.goals",
    "crisis_plan": "patient.crisis_plan",
    "standing_choices": "patient.standing_choices",
}
PROGRESS_GRANT_SECONDS = 30 * 60

Page = str | WerkzeugResponse | tuple[str, int]
F = TypeVar("F", bound=Callable[..., Page])


def _now() -> dt.datetime:
    return web_clock.now()


def _zone() -> Any:
    # The objects themselves in these helpers of every patient page, not their proxies
    # (fit_platform/context_objects.py).
    return this_app().config["FIT_SETTINGS"].zone


def _language() -> Language:
    return Language(str(get_locale()))


@bp.context_processor
def _readers() -> dict[str, Any]:
    # "Your therapist" or "someone at your clinic": one rule for every page (readers.py).
    return {
        "therapist_reads": therapist_reads,
        "treatment_ended": treatment_ended,
        "own_plan_unread": own_plan_unread,
        "new_course_started": new_course_started,
    }


@bp.after_request
def never_cache_or_refer(response: WerkzeugResponse) -> WerkzeugResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --------------------------------------------------------------------------- helpers


def _use_patient_language(ctx: LinkContext) -> None:
    # Before anything is translated: the patient's registered language, unless they chose.
    if ctx.language is not None:
        g.patient_language = ctx.language.value


def _ints(value: Any, length: int) -> list[int] | None:
    if isinstance(value, list) and len(value) == length and all(type(x) is int for x in value):
        return value
    return None


def forget_the_patient() -> None:
    """Empty this browser's patient keys (its link, code and progress grant). The patient's
    language stays: it is a preference, not who they are, and the page saying they are logged
    out, or the next link they open, would otherwise be in the browser's language."""
    for key in [
        key for key in session if key.startswith(PATIENT_KEY_PREFIX) and key != PATIENT_LANGUAGE_KEY
    ]:
        session.pop(key, None)


def _remember_patient_language(ctx: LinkContext) -> None:
    # For the pages around the link that know no link yet (the privacy notice, the page
    # asking to open the link, the choices before Start): the patient's language, not the
    # browser's. Only the language goes in the session; the link stays unbound and unused.
    current = this_session()
    if ctx.language is not None and current.get(PATIENT_LANGUAGE_KEY) != ctx.language.value:
        current[PATIENT_LANGUAGE_KEY] = ctx.language.value


def has_patient_link() -> bool:
    """This browser has opened a patient's link and started (its session holds the link): the
    pages outside the questionnaire (the privacy notice, an error page) offer the way back to
    it, `/p/`, rather than only the start page with the staff login. No statement: whether the
    link still works is for `/p/` to say."""
    return _ints(session.get(LINK_KEY), 2) is not None


def _bound_context() -> LinkContext | None:
    """The link this browser opened, or None; status ENDED when its session was ended on the
    server (logged out, or the link revoked). The check rides on the link read every patient
    page makes anyway: no statement of its own."""
    current = this_session()
    bound = _ints(current.get(LINK_KEY), 2)
    if bound is None:
        return None
    token_id, generation = bound
    ctx = answering.load_context(get_db(), token_id, _now())
    if ctx.status is LinkStatus.UNKNOWN:
        return None
    _use_patient_language(ctx)
    if ctx.session_generation != generation or ctx.token_revoked:
        forget_the_patient()
        return replace(ctx, status=LinkStatus.ENDED)
    grant = _ints(current.get(PROGRESS_KEY), 3)
    if grant is not None and grant[0] == ctx.patient_id and grant[2] != generation:
        current.pop(PROGRESS_KEY, None)
    return ctx


def _no_link_page() -> tuple[str, int]:
    return render_template("patient/no_link.html"), 403


def _closed_page(ctx: LinkContext, token: str | None = None) -> tuple[str, int]:
    status = 404 if ctx.status is LinkStatus.UNKNOWN else 410
    # After the treatment has ended no new link comes: this one is the way to her progress
    # until the clean-up deletes it, and the page says until when (a walk found the progress
    # gone a month later with no word).
    kept_until = (
        ctx.token_closed_at
        + dt.timedelta(days=this_app().config["FIT_SETTINGS"].retention_link_token_days)
        if ctx.token_closed_at is not None and not ctx.episode_active
        else None
    )
    return (
        render_template(
            "patient/closed.html",
            ctx=ctx,
            token=token,
            form=forms.LinkActionForm(),
            kept_until=kept_until,
        ),
        status,
    )


def needs_link(
    open_only: bool = False, late: Callable[..., Page] | None = None
) -> Callable[[F], F]:
    """The view gets the LinkContext of the link opened in this browser as ``ctx``.
    ``late`` answers a POST of an ``open_only`` view whose questionnaire ran out of time, in
    place of the closed page (the question page: a late risk answer, `late_risk.py`)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Page:
            ctx = _bound_context()
            if ctx is None:
                return _no_link_page()
            if ctx.status is LinkStatus.ENDED:
                return _closed_page(ctx)
            if open_only and ctx.status is not LinkStatus.OPEN:
                # "Send" again after the questionnaire was finished goes to the thank-you page,
                # which decides what it may show: a double click's second request can arrive
                # after the first one's submit but without the cookie its answer set.
                if ctx.status is LinkStatus.COMPLETED and (
                    _progress_patient() == ctx.patient_id
                    or (request.method == "POST" and request.endpoint == "patient.finish")
                ):
                    return redirect(url_for("patient.done"))
                if (
                    late is not None
                    and ctx.status is LinkStatus.EXPIRED
                    and request.method == "POST"
                ):
                    return late(ctx, *args, **kwargs)
                return _closed_page(ctx)
            return view(ctx, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _grant_progress(patient_id: int, generation: int) -> None:
    session[PROGRESS_KEY] = [
        patient_id,
        web_clock.epoch_seconds() + PROGRESS_GRANT_SECONDS,
        generation,
    ]


def _progress_patient() -> int | None:
    grant = _ints(session.get(PROGRESS_KEY), 3)
    if grant is not None and grant[1] > web_clock.epoch_seconds():
        return grant[0]
    return None


def _grant_still_holds(patient_id: int) -> bool:
    """For a grant used without a link in this browser (after an ID-porten login): whether
    the patient's sessions were ended since it was given (one read)."""
    grant = _ints(session.get(PROGRESS_KEY), 3)
    current = patient_sessions.session_generation(get_db(), patient_id)
    return grant is not None and current is not None and grant[2] == current


def to_code_step(patient_id: int, then: str) -> WerkzeugResponse:
    """From a closed link without a grant: the one-time code step, which then leads on to the
    page ``then`` (a key of AFTER_CODE_PAGES). The code step keeps the page private: anyone
    holding a used link must not read or change what is behind it."""
    session[CODE_KEY] = patient_id
    session[AFTER_CODE_KEY] = then
    return redirect(url_for("patient.progress_view"))


def code_step_target() -> str | None:
    """The name of the page the code step leads on to, or None for the progress page."""
    after = session.get(AFTER_CODE_KEY)
    return after if isinstance(after, str) and after in AFTER_CODE_PAGES else None


def after_the_code_step() -> WerkzeugResponse:
    """Where a correct code (or an ID-porten login) leads: the page asked for, else progress."""
    target = code_step_target()
    session.pop(AFTER_CODE_KEY, None)
    return redirect(url_for(AFTER_CODE_PAGES[target] if target else "patient.progress_view"))


def _bind(ctx: LinkContext) -> None:
    """Remember the opened link in this browser; forget any other patient's link and grants."""
    previous_patient = None
    grant = session.get(PROGRESS_KEY)
    if isinstance(grant, list) and grant:
        previous_patient = grant[0]
    for key in (
        LINK_KEY,
        QUESTIONNAIRE_KEY,
        CODE_KEY,
        CONSENT_DONE_KEY,
        CONSENT_CANCELLED_KEY,
        AFTER_CODE_KEY,
    ):
        session.pop(key, None)
    if previous_patient != ctx.patient_id:
        session.pop(PROGRESS_KEY, None)
    assert ctx.token_id is not None
    session[LINK_KEY] = [ctx.token_id, ctx.session_generation]
    if ctx.instrument_id is not None:
        session[QUESTIONNAIRE_KEY] = ctx.instrument_id


def _deadline(ctx: LinkContext) -> str:
    return deadline_text(ctx.expires_at, _now(), _zone()) if ctx.expires_at else ""


# Routes in their own modules, registered on this blueprint (imported last: they use it).
from fit_platform.web.patient import (  # noqa: E402, F401
    answer,
    choice_pages,
    goals,
    idporten,
    logout,
    own_progress,
)
