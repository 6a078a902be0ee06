"""The patient's own progress: the page after submitting, and the progress page a later visit
reaches through a one-time code or ID-porten (routes on the patient blueprint, blueprint.py).

    GET/POST /p/done           thank you, own progress, comment on the result
    GET/POST /p/progress       own progress; later visits need a one-time code or ID-porten
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from fit_platform.domain.instruments import Kind
from fit_platform.domain.reading_sessions import ReadingSession
from fit_platform.extensions import get_db, limiter
from fit_platform.messaging.texts import sender_name
from fit_platform.services import (
    access_review,
    answering,
    comments,
    one_time_codes,
    progress,
    samvalg,
)
from fit_platform.services.answering import LinkContext, LinkStatus
from fit_platform.services.unattended import episode_has_active_responsible
from fit_platform.web.access_labels import patient_action
from fit_platform.web.formatting import format_date, format_datetime, format_time
from fit_platform.web.labels import CODE_SENT_BY, ROLE
from fit_platform.web.patient import forms, idporten
from fit_platform.web.patient.blueprint import (
    CODE_KEY,
    Page,
    _bound_context,
    _closed_page,
    _grant_progress,
    _grant_still_holds,
    _language,
    _no_link_page,
    _now,
    _progress_patient,
    _zone,
    after_the_code_step,
    bp,
    code_step_target,
    forget_the_patient,
    needs_link,
)
from fit_platform.web.patient.chart import build_chart
from fit_platform.web.patient.progress_sentence import progress_words
from fit_platform.web.patient.readers import therapist_reads, treatment_ended


def _access() -> one_time_codes.ProgressAccess:
    """The returning-patient check; another implementation (ID-porten) can be set on the app."""
    access = current_app.extensions.get("fit_progress_access")
    return access if access is not None else one_time_codes.OneTimeCodeAccess()


def _reading_time(visit: ReadingSession, zone: dt.tzinfo) -> str:
    """When a reading session was: from its first read to its last. Its start alone read as if
    everything in the row was done then, a crisis plan "read" before the patient wrote it."""
    start, end = visit.started_at.astimezone(zone), visit.ended_at.astimezone(zone)
    began = format_datetime(start, "day_and_time")
    # Shown to the minute: one minute when both fall in it. Under 60 seconds across a minute's
    # turn (14:05:50 to 14:06:10) is two, or the staff's record of the last read (14:06)
    # is not on the patient's line.
    if start.replace(second=0, microsecond=0) == end.replace(second=0, microsecond=0):
        return began
    if end.date() == start.date():
        return f"{began}–{format_time(end, 'short')}"
    return f"{began} – {format_datetime(end, 'day_and_time')}"


def _progress_values(patient_id: int, ctx: LinkContext | None) -> dict[str, Any]:
    """Scores, goals, the samvalg decisions and who has read the answers (role and unit)."""
    items = progress.patient_progress(get_db(), patient_id)
    with get_db().session() as session:
        episode_id = progress.latest_episode_id(session, patient_id)
        if ctx is not None and ctx.patient_id == patient_id:
            reads, ended = therapist_reads(ctx), treatment_ended(ctx)
        else:  # no link in this browser (an ID-porten login): her latest episode
            reads = episode_id is not None and episode_has_active_responsible(session, episode_id)
            ended = episode_id is not None and not progress.episode_is_active(session, episode_id)
    zone = _zone()
    return {
        "progress_items": [
            {
                "p": p,
                "chart": build_chart(p),
                "words": progress_words(p, therapist_reads=reads, treatment_ended=ended),
                "rows": [
                    (format_date(point.submitted_at.astimezone(zone), "medium"), point)
                    for point in p.points
                ],
                # Under the chart's first and last point: it had no date at all.
                "span": tuple(
                    format_date(point.submitted_at.astimezone(zone), "medium")
                    for point in dict.fromkeys((p.scored[0], p.scored[-1]))
                ),
            }
            for p in items
            if p.scored
        ],
        "goals": progress.current_goals(get_db(), patient_id),
        "decisions": samvalg.decisions_for_patient(get_db(), episode_id) if episode_id else [],
        # One row per reading session (domain/reading_sessions.py), not one per page opened.
        "readers": [
            (
                _reading_time(visit, zone),
                ROLE[visit.role],
                visit,
                # Several actions share a phrase (acknowledging and resolving a signal are
                # both "followed up"): each phrase once, in the order first done.
                ", ".join(dict.fromkeys(patient_action(action) for action in visit.actions)),
            )
            for visit in access_review.patient_reading_sessions(get_db(), patient_id, limit=20)
        ],
    }


@bp.route("/done", methods=["GET", "POST"])
@needs_link()
def done(ctx: LinkContext) -> Page:
    patient_id = _progress_patient()
    if ctx.status is not LinkStatus.COMPLETED or patient_id is None or patient_id != ctx.patient_id:
        return _closed_page(ctx)
    form = forms.ResultCommentForm()
    status = 200
    inst = ctx.instrument
    # After the treatment period nobody reads a comment (readers.py): the page offers none,
    # and one sent from a page shown before the episode was closed is not saved but said so.
    comment_refused = False
    if request.method == "POST" and treatment_ended(ctx):
        comment_refused, status = True, 409
    elif request.method == "POST":
        if form.validate_on_submit() and ctx.response_id is not None:
            comments.comment_on_result(
                get_db(), ctx.response_id, patient_id, form.text.data or "", _now()
            )
            flash(
                _("Thank you. Your comment is saved for your therapist.")
                if therapist_reads(ctx)
                else _("Thank you. Your comment is saved for your clinic.")
            )
            return redirect(url_for("patient.done"))
        status = 422
    risk = answering.response_has_risk(get_db(), ctx.response_id) if ctx.response_id else False
    return (
        render_template(
            "patient/done.html",
            ctx=ctx,
            form=form,
            comment_refused=comment_refused,
            risk=risk,
            outcome=inst.kind is Kind.OUTCOME,
            own_comments=comments.own_comments(get_db(), ctx.response_id, patient_id)
            if ctx.response_id is not None
            else [],
            own_topic=comments.own_topic(get_db(), ctx.invitation_id, patient_id)
            if ctx.invitation_id is not None
            else None,
            **_progress_values(patient_id, ctx),
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
            **_progress_values(patient_id, ctx),
        )
    waiting = session.get(CODE_KEY)
    if not isinstance(waiting, int) and ctx is not None and ctx.patient_id is not None:
        # A link is open in this browser (a questionnaire not yet answered, say): the code
        # step for its patient. The page said "We could not find an open questionnaire in
        # this browser" with one open, and the patient's other messages are new links.
        waiting = session[CODE_KEY] = ctx.patient_id
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
            # In the name of the unit of the link in use, not of the patient's latest episode.
            asked = _access().request(get_db(), waiting, _now(), _language(), ctx.unit_id)
            outcome = asked.outcome
            # Say where it went: without a phone number the code goes by e-mail even to a
            # patient who chose SMS, and they would wait for a text that never comes.
            if outcome is one_time_codes.CodeRequestOutcome.QUEUED and asked.channel is None:
                message = _("We have sent you a code. It works for 10 minutes.")
            elif outcome is one_time_codes.CodeRequestOutcome.QUEUED and asked.channel is not None:
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
                return after_the_code_step()
            if one_time_codes.code_locked(get_db(), waiting, _now()):
                why = _(
                    "The code was typed wrong too many times, so it no longer works. Ask for a "
                    "new code."
                )
            else:
                why = _("The code is wrong or too old. Check the message, or ask for a new code.")
            verify_form.code.errors = [why]
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
            # The page asked for (goals, crisis plan, standing choices) names the step.
            then=code_step_target(),
            # The same name the dispatcher puts in the message, in this page's language.
            sender=sender_name(
                _language().value, one_time_codes.code_sender(get_db(), waiting, ctx.unit_id)
            ),
        ),
        status,
    )
