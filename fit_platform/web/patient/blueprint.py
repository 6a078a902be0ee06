"""The patient answering journey. The whole URL map of the feature is in this file.

A patient has no account: the link token is the key. ``GET /p/<token>`` only shows a landing
page (link scanners fetch links); a POST from it binds the link to this browser's signed
session (the token row id, never the token) and every later page works from that, so the
token appears in no other URL, redirect or log line.

    GET  /p/<token>            landing page, or a page saying why the link is closed (404/410)
    POST /p/<token>            start/continue, other choices, progress, goals, restart
    GET  /p/                   back to where the patient was
    GET/POST /p/answer/<n>     page n of the questionnaire (saved on every POST)
    GET  /p/help               where to get help now (shown at once after a risk answer)
    GET/POST /p/finish         topic for next session, comment, submit
    GET/POST /p/done           thank you, own progress, comment on the result
    GET/POST /p/progress       own progress; later visits need a one-time code or ID-porten
    POST /p/idporten, GET /p/idporten/callback   ID-porten (web/patient/idporten.py)
    POST /p/logout, GET /p/logged-out   log out, also of ID-porten (web/patient/logout.py)
    GET/POST /p/goals          goals for treatment in the patient's own words
    GET/POST /p/choices        what do you want to do? (a link to each choice's own page)
    GET/POST /p/choices/<name> decline, pause, stop, channel, fewer (choice_pages.py)
    GET  /p/choices/done       confirmation of a consent choice
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from fit_platform.domain.codes import (
    Channel,
    ConsentEventKind,
    ConsentState,
    Language,
)
from fit_platform.domain.instrument_language import questionnaire_language
from fit_platform.domain.instruments import Instrument, Item, Kind
from fit_platform.domain.scoring import InvalidAnswerError
from fit_platform.extensions import get_db, limiter
from fit_platform.i18n import PATIENT_LANGUAGE_KEY
from fit_platform.messaging.texts import sender_name
from fit_platform.services import (
    access_review,
    answering,
    comments,
    consent,
    one_time_codes,
    own_days,
    patient_sessions,
    progress,
    samvalg,
)
from fit_platform.services.answering import LinkClosedError, LinkContext, LinkStatus
from fit_platform.web import clock as web_clock
from fit_platform.web.access_labels import patient_action
from fit_platform.web.deadline import deadline_text
from fit_platform.web.formatting import format_date, format_datetime, format_number
from fit_platform.web.inputs import small_int
from fit_platform.web.labels import (
    CODE_SENT_BY,
    QUESTIONNAIRE_ONLY_IN,
    QUESTIONNAIRE_SHOWN_IN,
    ROLE,
)
from fit_platform.web.patient import answer_review, forms
from fit_platform.web.patient.answer_choices import choice_inputs
from fit_platform.web.patient.chart import build_chart
from fit_platform.web.patient.page_shell import render_page
from fit_platform.web.patient.shown_page import ShownPage, shown_page

bp = Blueprint("patient", __name__, url_prefix="/p", template_folder="templates")

# Both hold the patient's session generation when they were given: logging out counts it up
# on the server, and a cookie holding an older one (a copy) is refused (docs/security.md).
LINK_KEY = "p_link"  # [id of the InvitationToken row the browser opened, generation]
PROGRESS_KEY = "p_progress"  # [patient id, unix time until which progress may be shown, generation]
# Every key the patient pages keep in the cookie session starts with this; staff keys and the
# chosen language do not, and stay; so does the patient's language (PATIENT_LANGUAGE_KEY).
PATIENT_KEY_PREFIX = "p_"
CODE_KEY = "p_code_patient"  # patient id waiting for a one-time code
CONSENT_DONE_KEY = "p_consent_done"
AFTER_CODE_KEY = "p_after_code"  # the page the code step leads to, if not the progress page
PROGRESS_GRANT_SECONDS = 30 * 60

Page = str | WerkzeugResponse | tuple[str, int]
F = TypeVar("F", bound=Callable[..., Page])


def _now() -> dt.datetime:
    return web_clock.now()


def _zone() -> Any:
    return current_app.config["FIT_SETTINGS"].zone


def _language() -> Language:
    return Language(str(get_locale()))


def _questionnaire_language(inst: Instrument) -> Language:
    """The language the questionnaire itself is shown (and its answers stored) in."""
    return Language(questionnaire_language(inst, _language().value))


def _language_notice(inst: Instrument) -> str | None:
    """A plain notice when the questionnaire is not in the patient's language, else None."""
    shown = _questionnaire_language(inst)
    if shown is _language():
        return None
    texts = QUESTIONNAIRE_ONLY_IN if len(inst.languages) == 1 else QUESTIONNAIRE_SHOWN_IN
    return str(texts[shown.value])


def _access() -> one_time_codes.ProgressAccess:
    """The returning-patient check; another implementation (ID-porten) can be set on the app."""
    access = current_app.extensions.get("fit_progress_access")
    return access if access is not None else one_time_codes.OneTimeCodeAccess()


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
    if ctx.language is not None and session.get(PATIENT_LANGUAGE_KEY) != ctx.language.value:
        session[PATIENT_LANGUAGE_KEY] = ctx.language.value


def _bound_context() -> LinkContext | None:
    """The link this browser opened, or None; status ENDED when its session was ended on the
    server (logged out, or the link revoked). The check rides on the link read every patient
    page makes anyway: no statement of its own."""
    bound = _ints(session.get(LINK_KEY), 2)
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
    grant = _ints(session.get(PROGRESS_KEY), 3)
    if grant is not None and grant[0] == ctx.patient_id and grant[2] != generation:
        session.pop(PROGRESS_KEY, None)
    return ctx


def _no_link_page() -> tuple[str, int]:
    return render_template("patient/no_link.html"), 403


def _restart_feedback(ctx: LinkContext) -> WerkzeugResponse:
    """Turn questionnaires back on (if they were paused or stopped) and confirm it."""
    if ctx.consent_state is not ConsentState.ACTIVE and ctx.patient_id is not None:
        consent.record_consent(
            get_db(),
            ctx.patient_id,
            consent.ConsentChange(ConsentEventKind.RESTARTED),
            now=_now(),
            zone=_zone(),
        )
    session[CONSENT_DONE_KEY] = ConsentEventKind.RESTARTED.value
    return redirect(url_for("patient.choices_done"))


def _closed_page(ctx: LinkContext, token: str | None = None) -> tuple[str, int]:
    status = 404 if ctx.status is LinkStatus.UNKNOWN else 410
    return (
        render_template(
            "patient/closed.html",
            ctx=ctx,
            token=token,
            form=forms.LinkActionForm(),
        ),
        status,
    )


def needs_link(open_only: bool = False) -> Callable[[F], F]:
    """The view gets the LinkContext of the link opened in this browser as ``ctx``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Page:
            ctx = _bound_context()
            if ctx is None:
                return _no_link_page()
            if ctx.status is LinkStatus.ENDED:
                return _closed_page(ctx)
            if open_only and ctx.status is not LinkStatus.OPEN:
                if ctx.status is LinkStatus.COMPLETED and _progress_patient() == ctx.patient_id:
                    return redirect(url_for("patient.done"))
                return _closed_page(ctx)
            return view(ctx, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _grant_progress(patient_id: int, generation: int) -> None:
    session[PROGRESS_KEY] = [patient_id, int(time.time()) + PROGRESS_GRANT_SECONDS, generation]


def _progress_patient() -> int | None:
    grant = _ints(session.get(PROGRESS_KEY), 3)
    if grant is not None and grant[1] > time.time():
        return grant[0]
    return None


def _grant_still_holds(patient_id: int) -> bool:
    """For a grant used without a link in this browser (after an ID-porten login): whether
    the patient's sessions were ended since it was given (one read)."""
    grant = _ints(session.get(PROGRESS_KEY), 3)
    current = patient_sessions.session_generation(get_db(), patient_id)
    return grant is not None and current is not None and grant[2] == current


def _bind(ctx: LinkContext) -> None:
    """Remember the opened link in this browser; forget any other patient's link and grants."""
    previous_patient = None
    grant = session.get(PROGRESS_KEY)
    if isinstance(grant, list) and grant:
        previous_patient = grant[0]
    for key in (LINK_KEY, CODE_KEY, CONSENT_DONE_KEY, AFTER_CODE_KEY):
        session.pop(key, None)
    if previous_patient != ctx.patient_id:
        session.pop(PROGRESS_KEY, None)
    assert ctx.token_id is not None
    session[LINK_KEY] = [ctx.token_id, ctx.session_generation]


def _invalid(template: str, **values: Any) -> tuple[str, int]:
    return render_template(template, **values), 422


# --------------------------------------------------------------------------- the link


@bp.get("/<token>")
def landing(token: str) -> Page:
    """Landing page. Changes nothing anywhere: scanners and previews may fetch it freely."""
    ctx = answering.inspect_link(get_db(), token, _now())
    if ctx.status is LinkStatus.UNKNOWN:
        return _closed_page(ctx)
    _use_patient_language(ctx)
    _remember_patient_language(ctx)
    if ctx.status is not LinkStatus.OPEN:
        return _closed_page(ctx, token)
    inst = ctx.instrument
    return render_page(
        "patient/landing.html",
        ctx,
        token,
        item_count=len(inst.items),
        minutes=answering.minutes_to_answer(inst),
        language_notice=_language_notice(inst),
        deadline=_deadline(ctx),
    )


@bp.post("/<token>")
@limiter.limit("30 per minute")
def link_action(token: str) -> Page:
    form = forms.LinkActionForm()
    if not form.validate_on_submit():
        abort(400)
    ctx = answering.inspect_link(get_db(), token, _now())
    if ctx.status is LinkStatus.UNKNOWN:
        return _closed_page(ctx)
    _use_patient_language(ctx)
    if ctx.token_revoked:
        # A revoked link (its message never went out) opens nothing in this browser.
        return _closed_page(ctx)
    _remember_patient_language(ctx)
    action = request.form.get("action", "start")
    _bind(ctx)
    if action == "choices":
        return redirect(url_for("patient.choices"))
    if action == "goals":
        return redirect(url_for("patient.goals"))
    if action == "progress":
        session[CODE_KEY] = ctx.patient_id
        return redirect(url_for("patient.progress_view"))
    if action == "restart":
        return _restart_feedback(ctx)
    if ctx.status is not LinkStatus.OPEN:
        return _closed_page(ctx, token)
    assert ctx.invitation_id is not None
    try:
        answering.start_answering(
            get_db(), ctx.invitation_id, _questionnaire_language(ctx.instrument), _now()
        )
    except LinkClosedError:
        return _closed_page(answering.inspect_link(get_db(), token, _now()), token)
    return redirect(_next_step(ctx))


def _deadline(ctx: LinkContext) -> str:
    return deadline_text(ctx.expires_at, _now(), _zone()) if ctx.expires_at else ""


def _next_step(ctx: LinkContext) -> str:
    page = ctx.next_page()
    if page > len(answering.page_plan(ctx.instrument)):
        return url_for("patient.finish")
    return url_for("patient.answer", page=page)


@bp.get("/")
def resume() -> Page:
    ctx = _bound_context()
    if ctx is None:
        return _no_link_page()
    if ctx.status is LinkStatus.OPEN:
        return redirect(_next_step(ctx))
    if ctx.status is LinkStatus.COMPLETED and _progress_patient() == ctx.patient_id:
        return redirect(url_for("patient.done"))
    return _closed_page(ctx)


# --------------------------------------------------------------------------- answering


@bp.route("/answer/<int:page>", methods=["GET", "POST"])
@needs_link(open_only=True)
def answer(ctx: LinkContext, page: int) -> Page:
    inst = ctx.instrument
    plan = answering.page_plan(inst)
    if not 1 <= page <= len(plan):
        abort(404)
    link_ids = plan[page - 1]
    form: forms.AnswerPage | ShownPage
    fields: list[tuple[Item, Any]]
    if request.method == "POST":
        # A page answered in full with the questions' own choices needs no form to check it,
        # and its save no language unless the response is still to be made: the locale is
        # looked up only where it is used (a form, a new response, a page shown again).
        codes: dict[str, str | None] | None = forms.all_known_answers(inst, link_ids, request.form)
        page_form = None
        if codes is None:
            page_form = forms.answer_page_form(
                inst, link_ids, _questionnaire_language(inst).value, formdata=request.form
            )
            if page_form.validate():
                codes = {k: (page_form[k].data or None) for k in link_ids}
        if codes is not None:
            assert ctx.invitation_id is not None
            try:
                saved = answering.save_page(
                    get_db(),
                    ctx.invitation_id,
                    page,
                    codes,
                    lambda: _questionnaire_language(inst),
                    _now(),
                    instrument_id=ctx.instrument_id,
                )
            except LinkClosedError:
                return _closed_page(answering.load_context(get_db(), ctx.token_id or 0, _now()))
            except InvalidAnswerError:
                abort(400)
            if saved.risk:
                return redirect(url_for("patient.help_now", after=page))
            if saved.next_page > saved.page_count:
                return redirect(url_for("patient.finish"))
            return redirect(url_for("patient.answer", page=saved.next_page))
        assert page_form is not None  # only a page the form refused is shown again
        form = page_form
        status = 422
        fields = list(forms.item_field_pairs(form, inst))
    else:
        saved_codes = answering.saved_codes(ctx)
        shown = shown_page(inst, link_ids, saved_codes)
        if shown is not None:
            form, fields = shown, list(shown.fields)
        else:
            form = forms.answer_page_form(
                inst,
                link_ids,
                _questionnaire_language(inst).value,
                data={k: saved_codes.get(k) for k in link_ids},
            )
            fields = list(forms.item_field_pairs(form, inst))
        status = 200
    answered_before = sum(len(ids) for ids in plan[: page - 1])
    language = _questionnaire_language(inst)
    return (
        render_page(
            "patient/answer.html",
            ctx,
            inst=inst,
            form=form,
            fields=fields,
            choice_inputs=choice_inputs,
            page=page,
            page_count=len(plan),
            first_number=answered_before + 1,
            last_number=answered_before + len(link_ids),
            item_count=len(inst.items),
            lang=language.value,
            language_notice=_language_notice(inst),
            scored_ids=set(inst.scored_link_ids),
            deadline=_deadline(ctx),
            error_names=answer_review.error_names(
                inst, link_ids, answered_before + 1, language.value
            )
            if form.errors
            else {},
        ),
        status,
    )


@bp.get("/help")
@needs_link()
def help_now(ctx: LinkContext) -> Page:
    after = request.args.get("after", type=small_int) or 0
    next_url = None
    if ctx.status is LinkStatus.OPEN:
        plan = answering.page_plan(ctx.instrument)
        next_url = (
            url_for("patient.answer", page=after + 1)
            if 0 < after < len(plan)
            else url_for("patient.finish")
        )
    return render_template("patient/help.html", ctx=ctx, next_url=next_url)


@bp.route("/finish", methods=["GET", "POST"])
@needs_link(open_only=True)
def finish(ctx: LinkContext) -> Page:
    inst = ctx.instrument
    plan = answering.page_plan(inst)
    if ctx.next_page() <= len(plan):
        return redirect(url_for("patient.answer", page=ctx.next_page()))
    alliance = inst.kind is Kind.ALLIANCE
    form = forms.FinishForm()
    if request.method == "POST":
        if form.validate_on_submit():
            assert ctx.invitation_id is not None and ctx.patient_id is not None
            try:
                answering.submit(
                    get_db(),
                    ctx.invitation_id,
                    language=_questionnaire_language(inst),
                    now=_now(),
                    comment=form.comment.data,
                    comment_to_service_only=alliance and form.comment_to.data == "service",
                    topic=form.topic.data,
                    zone=_zone(),
                )
            except LinkClosedError:
                return _closed_page(answering.load_context(get_db(), ctx.token_id or 0, _now()))
            except ValueError:
                return redirect(_next_step(ctx))
            _grant_progress(ctx.patient_id, ctx.session_generation)
            return redirect(url_for("patient.done"))
        status = 422
    else:
        status = 200
    return (
        render_template(
            "patient/finish.html",
            ctx=ctx,
            inst=inst,
            form=form,
            alliance=alliance,
            page_count=len(plan),
            lang=_questionnaire_language(inst).value,
            answers=answer_review.reviewed_answers(
                inst, plan, answering.saved_codes(ctx), _questionnaire_language(inst).value
            ),
        ),
        status,
    )


# --------------------------------------------------------------------------- progress


def _progress_values(patient_id: int) -> dict[str, Any]:
    """Scores, goals, the samvalg decisions and who has read the answers (role and unit)."""
    items = progress.patient_progress(get_db(), patient_id)
    with get_db().session() as session:
        episode_id = progress.latest_episode_id(session, patient_id)
    zone = _zone()
    return {
        "progress_items": [
            {
                "p": p,
                "chart": build_chart(p),
                "sentence": _progress_sentence(p),
                "rows": [
                    (format_date(point.submitted_at.astimezone(zone), "medium"), point)
                    for point in p.points
                ],
            }
            for p in items
            if p.scored
        ],
        "goals": progress.current_goals(get_db(), patient_id),
        "decisions": samvalg.decisions_for_patient(get_db(), episode_id) if episode_id else [],
        # One row per reading session (domain/reading_sessions.py), not one per page opened.
        "readers": [
            (
                format_datetime(visit.started_at.astimezone(zone), "short"),
                ROLE[visit.role],
                visit,
                ", ".join(patient_action(action) for action in visit.actions),
            )
            for visit in access_review.patient_reading_sessions(get_db(), patient_id, limit=20)
        ],
    }


def _fmt(value: float) -> str:
    # Decimal comma in nb and nn, at most one decimal (web/formatting.py).
    return format_number(value)


def _progress_sentence(p: progress.InstrumentProgress) -> str:
    scored = p.scored
    meaning = (
        _("Higher means fewer problems.")
        if p.instrument.higher_is_better
        else _("Lower means fewer problems.")
    )
    first, latest = scored[0].total, scored[-1].total
    assert first is not None and latest is not None
    if len(scored) == 1:
        text = _("Your first score is %(score)s.", score=_fmt(latest))
    elif latest < first:
        text = _(
            "Your score has gone down from %(first)s to %(latest)s since you started.",
            first=_fmt(first),
            latest=_fmt(latest),
        )
    elif latest > first:
        text = _(
            "Your score has gone up from %(first)s to %(latest)s since you started.",
            first=_fmt(first),
            latest=_fmt(latest),
        )
    else:
        text = _("Your score is the same as when you started: %(score)s.", score=_fmt(latest))
    return f"{text} {meaning}"


@bp.route("/done", methods=["GET", "POST"])
@needs_link()
def done(ctx: LinkContext) -> Page:
    patient_id = _progress_patient()
    if ctx.status is not LinkStatus.COMPLETED or patient_id != ctx.patient_id:
        return _closed_page(ctx)
    form = forms.ResultCommentForm()
    status = 200
    inst = ctx.instrument
    if request.method == "POST":
        if form.validate_on_submit() and ctx.response_id is not None:
            comments.comment_on_result(
                get_db(), ctx.response_id, patient_id, form.text.data or "", _now()
            )
            flash(_("Thank you. Your comment is saved for your therapist."))
            return redirect(url_for("patient.done"))
        status = 422
    risk = answering.response_has_risk(get_db(), ctx.response_id) if ctx.response_id else False
    return (
        render_template(
            "patient/done.html",
            ctx=ctx,
            form=form,
            risk=risk,
            outcome=inst.kind is Kind.OUTCOME,
            own_comments=comments.own_comments(get_db(), ctx.response_id, patient_id)
            if ctx.response_id is not None
            else [],
            own_topic=comments.own_topic(get_db(), ctx.invitation_id, patient_id)
            if ctx.invitation_id is not None
            else None,
            **_progress_values(patient_id),
        ),
        status,
    )


@bp.route("/progress", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def progress_view() -> Page:
    ctx = _bound_context()
    if ctx is not None and ctx.status is LinkStatus.ENDED:
        return _closed_page(ctx)
    patient_id = _progress_patient()
    if patient_id is not None and ctx is None and not _grant_still_holds(patient_id):
        forget_the_patient()
        return _closed_page(LinkContext(status=LinkStatus.ENDED))
    if patient_id is not None and (ctx is None or ctx.patient_id == patient_id):
        return render_template(
            "patient/progress.html",
            ctx=ctx,
            logout_form=forms.LogoutForm(prefix="logout"),
            **_progress_values(patient_id),
        )
    waiting = session.get(CODE_KEY)
    if not isinstance(waiting, int) or ctx is None or ctx.patient_id != waiting:
        if idporten.idporten() is not None and request.method == "GET":
            return idporten.login_page()
        return _no_link_page()
    request_form = forms.RequestCodeForm(prefix="send")
    verify_form = forms.VerifyCodeForm(prefix="verify")
    message = None
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "send" and request_form.validate_on_submit():
            # The code comes in the language of this page: the patient may just have chosen it.
            asked = _access().request(get_db(), waiting, _now(), _language())
            outcome = asked.outcome
            # Say where it went: without a phone number the code goes by e-mail even to a
            # patient who chose SMS, and they would wait for a text that never comes.
            if outcome is one_time_codes.CodeRequestOutcome.QUEUED and asked.channel is None:
                message = _("We have sent you a code. It works for 10 minutes.")
            elif outcome is one_time_codes.CodeRequestOutcome.QUEUED:
                message = str(CODE_SENT_BY[asked.channel])
            elif outcome is one_time_codes.CodeRequestOutcome.RATE_LIMITED:
                message = _("You have asked for several codes. Please wait an hour and try again.")
                status = 429
            else:
                message = _(
                    "We have no phone number or e-mail address for you. Ask your clinic to add one."
                )
                status = 422
        elif request.form.get("action") == "verify" and verify_form.validate_on_submit():
            if _access().verify(get_db(), waiting, verify_form.code.data or "", _now()):
                session.pop(CODE_KEY, None)
                _grant_progress(waiting, ctx.session_generation)
                if session.pop(AFTER_CODE_KEY, None) == "goals":
                    return redirect(url_for("patient.goals"))
                return redirect(url_for("patient.progress_view"))
            verify_form.code.errors = [
                _("The code is wrong or too old. Check the message, or ask for a new code.")
            ]
            status = 422
        else:
            status = 422
    return (
        render_template(
            "patient/code.html",
            ctx=ctx,
            request_form=request_form,
            verify_form=verify_form,
            message=message,
            idporten_form=idporten.offer_idporten(),
            for_goals=session.get(AFTER_CODE_KEY) == "goals",
            # The same name the dispatcher puts in the message, in this page's language.
            sender=sender_name(_language().value, one_time_codes.code_sender(get_db(), waiting)),
        ),
        status,
    )


# --------------------------------------------------------------------------- goals


@bp.route("/goals", methods=["GET", "POST"])
@needs_link()
def goals(ctx: LinkContext) -> Page:
    patient_id = ctx.patient_id
    assert patient_id is not None
    if ctx.status is not LinkStatus.OPEN and _progress_patient() != patient_id:
        # Goals can be changed at any time, as the page says: from a link that has closed,
        # through the same code step that keeps the progress page private.
        session[CODE_KEY] = patient_id
        session[AFTER_CODE_KEY] = "goals"
        return redirect(url_for("patient.progress_view"))
    new_form = forms.GoalForm(prefix="new")
    status = 200
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        action = request.form.get("action", "")
        goal_id = request.form.get("goal", type=small_int)
        try:
            if action == "add" and new_form.validate_on_submit():
                progress.save_goal(
                    get_db(),
                    patient_id,
                    new_form.text.data or "",
                    _now(),
                    form_nonce=new_form.form_nonce.data,
                )
                flash(_("Your goal is saved."))
                return redirect(url_for("patient.goals"))
            if action == "edit" and goal_id is not None:
                edit = forms.GoalForm(prefix=f"goal{goal_id}")
                if edit.validate_on_submit():
                    progress.save_goal(
                        get_db(), patient_id, edit.text.data or "", _now(), goal_id=goal_id
                    )
                    flash(_("Your goal is saved."))
                    return redirect(url_for("patient.goals"))
                errors[goal_id] = [str(e) for e in edit.text.errors]
            archive = forms.ArchiveGoalForm(prefix=f"archive{goal_id}")
            if action == "archive" and goal_id is not None and archive.validate_on_submit():
                progress.archive_goal(get_db(), patient_id, goal_id, _now())
                flash(_("The goal is removed from your list. Your therapist can still see it."))
                return redirect(url_for("patient.goals"))
        except progress.GoalError as error:
            if error.code == "too_many":
                new_form.text.errors = [_("You have many goals already. Change or remove one.")]
            elif error.code == "empty":
                message = _("Write your goal first.")
                if action == "edit" and goal_id is not None:
                    errors[goal_id] = [message]
                else:
                    new_form.text.errors = [message]
            else:
                abort(404)
        status = 422
    current = progress.current_goals(get_db(), patient_id)
    return (
        render_template(
            "patient/goals.html",
            ctx=ctx,
            new_form=new_form,
            goals=[
                (
                    goal,
                    forms.GoalForm(
                        prefix=f"goal{goal.id}", formdata=None, data={"text": goal.text}
                    ),
                    errors.get(goal.id, []),
                )
                for goal in current
            ],
            archive_form=forms.ArchiveGoalForm(),
        ),
        status,
    )


# --------------------------------------------------------------------------- consent


CONSENT_FORMS = {
    "decline": forms.DeclineForm,
    "pause": forms.PauseForm,
    "stop": forms.StopForm,
    "channel": forms.ChannelForm,
    "fewer": forms.FewerForm,
}


def _consent_error(code: str) -> str:
    texts = {
        "date_not_in_future": _("Choose a date after today."),
        "date_too_far": _(
            "Choose a date less than a year from now, or stop questionnaires instead."
        ),
        "no_phone": _("We have no mobile number for you. Ask your clinic to add one."),
        "no_email": _("We have no e-mail address for you. Ask your clinic to add one."),
        "no_channel": _("Choose text message or e-mail."),
        "no_invitation": _("This questionnaire is already closed."),
    }
    return texts.get(code, _("That did not work. Please try again."))


@bp.route("/choices", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def choices(ctx: LinkContext) -> Page:
    """What do you want to do? A link to each choice's own page (choice_pages.py)."""
    assert ctx.patient_id is not None
    restart_form = forms.RestartForm(prefix="restart")
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "restart":
            if not restart_form.validate_on_submit():
                abort(400)
            return _restart_feedback(ctx)
        return choice_pages.record_choice(ctx, action)
    return render_template(
        "patient/choices.html",
        ctx=ctx,
        can_decline="decline" in choice_pages.choice_names(ctx),
        can_change_channel="channel" in choice_pages.choice_names(ctx),
        # Only a patient whose plan has programme days has days to choose (own_days.py).
        offers_own_days=_offers_own_days(ctx),
        restart_form=restart_form,
        channel_names=choice_pages.channel_names(),
    )


def _offers_own_days(ctx: LinkContext) -> bool:
    if ctx.episode_id is None:
        return False
    state = own_days.own_days(get_db(), ctx.episode_id)
    return state is not None and state.applies


def _consent_change(action: str, form: Any) -> consent.ConsentChange:
    if action == "decline":
        return consent.ConsentChange(ConsentEventKind.DECLINED_INVITATION, reason=form.reason.data)
    if action == "pause":
        return consent.ConsentChange(ConsentEventKind.PAUSED, paused_until=form.until.data)
    if action == "stop":
        return consent.ConsentChange(ConsentEventKind.STOPPED, reason=form.reason.data)
    if action == "channel":
        return consent.ConsentChange(
            ConsentEventKind.CHANNEL_CHANGED, channel=Channel(form.channel.data)
        )
    return consent.ConsentChange(ConsentEventKind.FREQUENCY_REDUCED, reason=form.reason.data)


@bp.get("/choices/done")
@needs_link()
def choices_done(ctx: LinkContext) -> Page:
    kind = session.get(CONSENT_DONE_KEY)
    if kind not in {k.value for k in ConsentEventKind}:
        return redirect(url_for("patient.choices"))
    paused_until = format_date(ctx.paused_until, "long") if ctx.paused_until is not None else None
    # A restart reopens the questionnaire of this link when its window is still open
    # (services/consent.py): then the patient can answer it now instead of waiting.
    reopened = kind == ConsentEventKind.RESTARTED.value and ctx.status is LinkStatus.OPEN
    return render_template(
        "patient/choices_done.html",
        ctx=ctx,
        kind=ConsentEventKind(kind),
        reopened=reopened,
        deadline=_deadline(ctx) if reopened else "",
        paused_until=paused_until,
        channel_names={Channel.SMS: _("text message (SMS)"), Channel.EMAIL: _("e-mail")},
        restart_form=forms.RestartForm(prefix="restart"),
    )


# Routes in their own modules, registered on this blueprint (imported last: they use it).
from fit_platform.web.patient import choice_pages, idporten, logout  # noqa: E402, F401
