"""The patient's choices: the menu and one short page each (GOV.UK: one thing per page).

    GET/POST /p/choices          what do you want to do? (a link to each choice's own page)
    GET/POST /p/choices/<name>   say no to this questionnaire, pause, stop, change channel,
                                 ask for fewer questionnaires
    GET  /p/choices/done         confirmation of a consent choice

``/p/choices`` still takes the same POSTs as the pages, so a form saved in an older page keeps
working.

Once the link's episode has closed every one of these pages shows the same page instead: the
treatment period has ended and nothing more will be sent, so there is nothing to pause, stop,
restart, reduce or send elsewhere (410 for GET and POST; the POST stores nothing, and the
consent service refuses the change too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from fit_platform.domain.codes import Channel, ConsentEventKind, ConsentState
from fit_platform.domain.contact_mask import MASKED_LETTERS
from fit_platform.extensions import get_db, limiter
from fit_platform.messaging.setup import configured_channels
from fit_platform.services import consent, episode_schedule, own_days
from fit_platform.services.contact_details import contact_on_file
from fit_platform.services.link_context import LinkContext, LinkStatus
from fit_platform.web.formatting import format_date
from fit_platform.web.labels import LANGUAGE_SHORT
from fit_platform.web.patient import forms
from fit_platform.web.patient.blueprint import (
    CONSENT_CANCELLED_KEY,
    CONSENT_DONE_KEY,
    Page,
    _closed_page,
    _deadline,
    _now,
    _progress_patient,
    _zone,
    bp,
    needs_link,
)
from fit_platform.web.patient.readers import treatment_ended

# How far ahead the pause page's example date lies.
EXAMPLE_PAUSE_DAYS = 14


def choice_names(ctx: LinkContext) -> list[str]:
    """The choices this link offers: saying no only while its questionnaire is open; after
    stopping, only starting again (the menu's button) and changing the channel; none once the
    treatment period has ended."""
    if treatment_ended(ctx):
        return []
    names = list(CONSENT_FORMS)
    if ctx.status is not LinkStatus.OPEN:
        names.remove("decline")
    if ctx.consent_state is ConsentState.STOPPED:
        # Nothing is sent: stopping or pausing again, or asking for fewer, changes nothing.
        for name in ("pause", "stop", "fewer"):
            if name in names:
                names.remove(name)
    # With one channel set up there is nothing to change to: a switch to the other would
    # only make every later message fail. With none, nothing is sent anyway; keep the page.
    if len(configured_channels(current_app.config["FIT_SETTINGS"])) == 1:
        names.remove("channel")
    return names


def channel_names() -> dict[Channel, str]:
    return {Channel.SMS: _("text message (SMS)"), Channel.EMAIL: _("e-mail")}


def _render(ctx: LinkContext, name: str, form: Any, status: int) -> tuple[str, int]:
    today = _now().astimezone(_zone()).date()
    return (
        render_template(
            "patient/choice.html",
            ctx=ctx,
            name=name,
            form=form,
            # The picker offers only the days the service accepts: a pause ends after today
            # (the clinic's day, not the UTC one) and at most MAX_PAUSE_DAYS ahead.
            first_pause_day=today + dt.timedelta(days=1),
            last_pause_day=today + dt.timedelta(days=consent.MAX_PAUSE_DAYS),
            example_date=today.fromordinal(today.toordinal() + EXAMPLE_PAUSE_DAYS),
            channel_names=channel_names(),
            # The channel page shows what is on file, masked (anyone with the link sees it).
            on_file=contact_on_file(get_db(), ctx.patient_id)
            if name == "channel" and ctx.patient_id is not None
            else None,
            # What stands for the hidden letters, shown as dots and told in words.
            masked=MASKED_LETTERS,
        ),
        status,
    )


def treatment_ended_page(ctx: LinkContext) -> tuple[str, int]:
    """The choices pages of a closed episode: the period has ended, nothing more is sent."""
    return (
        render_template(
            "patient/choices_ended.html",
            ctx=ctx,
            plan_needs_code=_plan_needs_code(ctx),
        ),
        410,
    )


def _plan_needs_code(ctx: LinkContext) -> bool:
    # The same rule as the plan pages themselves (own_plan.py): open link or a grant.
    return ctx.status is not LinkStatus.OPEN and _progress_patient() != ctx.patient_id


def record_choice(ctx: LinkContext, name: str) -> Page:
    """Record the posted choice `name` and confirm it, or show its page again with the error
    (what the patient wrote stays in the form)."""
    assert ctx.patient_id is not None
    if treatment_ended(ctx):
        return treatment_ended_page(ctx)
    if name not in choice_names(ctx):
        abort(400)
    form: Any = CONSENT_FORMS[name](prefix=name)
    if form.validate_on_submit():
        change = _consent_change(name, form)
        try:
            result = consent.record_consent(
                get_db(),
                ctx.patient_id,
                change,
                now=_now(),
                invitation_id=ctx.invitation_id,
                zone=_zone(),
            )
        except consent.ConsentError as error:
            if error.code == "episode_closed":
                # Closed between reading the link and the change.
                return treatment_ended_page(ctx)
            field = {"pause": "until", "channel": "channel"}.get(name)
            if field is None:
                return _closed_page(ctx)
            form[field].errors = [_consent_error(error.code)]
        else:
            session[CONSENT_DONE_KEY] = change.kind.value
            session[CONSENT_CANCELLED_KEY] = result.cancelled_messages
            return redirect(url_for("patient.choices_done"))
    return _render(ctx, name, form, 422)


@bp.route("/choices/<name>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def choice(ctx: LinkContext, name: str) -> Page:
    if name not in CONSENT_FORMS:
        abort(404)
    if treatment_ended(ctx):
        return treatment_ended_page(ctx)
    if name not in choice_names(ctx):
        # Saying no to a questionnaire that has closed: the menu says what is still possible.
        return redirect(url_for("patient.choices"))
    if request.method == "POST":
        return record_choice(ctx, name)
    form = CONSENT_FORMS[name](prefix=name)
    if isinstance(form, forms.ChannelForm):  # opens on how links go now, not on nothing
        form.channel.data = ctx.preferred_channel.value
    return _render(ctx, name, form, 200)


# --------------------------------------------------------------------------- the menu


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
    """What do you want to do? A link to each choice's own page (``choice`` above)."""
    assert ctx.patient_id is not None
    if treatment_ended(ctx):
        return treatment_ended_page(ctx)
    restart_form = forms.RestartForm(prefix="restart")
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "restart":
            if not restart_form.validate_on_submit():
                abort(400)
            return _restart_feedback(ctx)
        return record_choice(ctx, action)
    return render_template(
        "patient/choices.html",
        ctx=ctx,
        offered=choice_names(ctx),
        # Only a patient whose plan has programme days has days to choose (own_days.py).
        offers_own_days=_offers_own_days(ctx),
        plan_needs_code=_plan_needs_code(ctx),
        restart_form=restart_form,
        channel_names=channel_names(),
        message_language_names=LANGUAGE_SHORT,
        fewer_asked_at=_open_fewer_wish(ctx),
        on_choices_page=True,  # the footer's link to this page is left out
    )


def _open_fewer_wish(ctx: LinkContext) -> dt.datetime | None:
    """When the patient asked for fewer questionnaires, while no new plan has followed: the
    menu offered the same request again with nothing saying it had been sent."""
    if ctx.episode_id is None:
        return None
    return episode_schedule.open_fewer_wish(get_db(), episode_id=ctx.episode_id)


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
    if treatment_ended(ctx):
        # A confirmation kept from before the close would promise what no longer happens.
        session.pop(CONSENT_DONE_KEY, None)
        return treatment_ended_page(ctx)
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
        # Messages that were queued and will not be sent now; 0 (or an old cookie): say nothing.
        cancelled_messages=_cancelled_messages(),
        channel_names={Channel.SMS: _("text message (SMS)"), Channel.EMAIL: _("e-mail")},
        restart_form=forms.RestartForm(prefix="restart"),
    )


def _cancelled_messages() -> int:
    value = session.get(CONSENT_CANCELLED_KEY)
    return value if isinstance(value, int) and value > 0 else 0


def _restart_feedback(ctx: LinkContext) -> Page:
    """Turn questionnaires back on (if they were paused or stopped) and confirm it; after the
    treatment period has ended there is nothing to turn on (the ended page)."""
    if treatment_ended(ctx):
        return treatment_ended_page(ctx)
    if ctx.consent_state is not ConsentState.ACTIVE and ctx.patient_id is not None:
        try:
            consent.record_consent(
                get_db(),
                ctx.patient_id,
                consent.ConsentChange(ConsentEventKind.RESTARTED),
                now=_now(),
                invitation_id=ctx.invitation_id,
                zone=_zone(),
                min_window=current_app.config["FIT_SETTINGS"].min_answer_window,
            )
        except consent.ConsentError as error:
            if error.code != "episode_closed":
                raise
            return treatment_ended_page(ctx)
    session[CONSENT_DONE_KEY] = ConsentEventKind.RESTARTED.value
    session.pop(CONSENT_CANCELLED_KEY, None)
    return redirect(url_for("patient.choices_done"))
