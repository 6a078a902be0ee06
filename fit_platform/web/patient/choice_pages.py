"""The patient's choices, one short page each (GOV.UK: one thing per page).

    GET/POST /p/choices/<name>   say no to this questionnaire, pause, stop, change channel,
                                 ask for fewer questionnaires

``/p/choices`` (blueprint.py) asks "What do you want to do?" with a link to each page, and
still takes the same POSTs, so a form saved in an older page keeps working.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from fit_platform.domain.codes import Channel
from fit_platform.extensions import get_db, limiter
from fit_platform.messaging.setup import configured_channels
from fit_platform.services import consent
from fit_platform.services.contact_details import contact_on_file
from fit_platform.services.link_context import LinkContext, LinkStatus
from fit_platform.web.patient import blueprint as patient
from fit_platform.web.patient.blueprint import Page, bp, needs_link

# How far ahead the pause page's example date lies.
EXAMPLE_PAUSE_DAYS = 14


def choice_names(ctx: LinkContext) -> list[str]:
    """The choices this link offers: saying no only while its questionnaire is open."""
    names = list(patient.CONSENT_FORMS)
    if ctx.status is not LinkStatus.OPEN:
        names.remove("decline")
    # With one channel set up there is nothing to change to: a switch to the other would
    # only make every later message fail. With none, nothing is sent anyway; keep the page.
    if len(configured_channels(current_app.config["FIT_SETTINGS"])) == 1:
        names.remove("channel")
    return names


def channel_names() -> dict[Channel, str]:
    return {Channel.SMS: _("text message (SMS)"), Channel.EMAIL: _("e-mail")}


def _render(ctx: LinkContext, name: str, form: Any, status: int) -> tuple[str, int]:
    today = patient._now().astimezone(patient._zone()).date()
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
            on_file=contact_on_file(get_db(), ctx.patient_id) if name == "channel" else None,
        ),
        status,
    )


def record_choice(ctx: LinkContext, name: str) -> Page:
    """Record the posted choice `name` and confirm it, or show its page again with the error
    (what the patient wrote stays in the form)."""
    assert ctx.patient_id is not None
    if name not in choice_names(ctx):
        abort(400)
    form: Any = patient.CONSENT_FORMS[name](prefix=name)
    if form.validate_on_submit():
        change = patient._consent_change(name, form)
        try:
            consent.record_consent(
                get_db(),
                ctx.patient_id,
                change,
                now=patient._now(),
                invitation_id=ctx.invitation_id,
                zone=patient._zone(),
            )
        except consent.ConsentError as error:
            field = {"pause": "until", "channel": "channel"}.get(name)
            if field is None:
                return patient._closed_page(ctx)
            form[field].errors = [patient._consent_error(error.code)]
        else:
            session[patient.CONSENT_DONE_KEY] = change.kind.value
            return redirect(url_for("patient.choices_done"))
    return _render(ctx, name, form, 422)


@bp.route("/choices/<name>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def choice(ctx: LinkContext, name: str) -> Page:
    if name not in patient.CONSENT_FORMS:
        abort(404)
    if name not in choice_names(ctx):
        # Saying no to a questionnaire that has closed: the menu says what is still possible.
        return redirect(url_for("patient.choices"))
    if request.method == "POST":
        return record_choice(ctx, name)
    return _render(ctx, name, patient.CONSENT_FORMS[name](prefix=name), 200)
