"""Correcting a patient's contact details: the therapist's page (from the episode's pages)
and the form handling the administrator's page shares (web/admin/patient_contact.py).

The rules, the access log and the audit row are the service's (services/contact_details.py);
this module parses the form, shows the registration's translated messages on the fields and
keeps what was typed when something is refused.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Channel, Language, Role
from fit_platform.extensions import get_db
from fit_platform.services.access_control import EpisodeClosed
from fit_platform.services.contact_details import (
    ContactNotFound,
    Correction,
    Reach,
    contact_details,
    correct_contact_details,
)
from fit_platform.services.patient_identity import NationalIdPolicy
from fit_platform.services.registration import (
    RegistrationError,
    contact_problems,
    national_id_digest,
)
from fit_platform.web.auth.session import login_required
from fit_platform.web.clock import now
from fit_platform.web.episode_closed import closed_message
from fit_platform.web.episodes.forms import (
    ContactForm,
    channel_or_none,
    channels_set_up,
    label_contact_fields,
    offer_configured_channels,
)
from fit_platform.web.episodes.texts import registration_message
from fit_platform.web.form_problems import passes_all

Page = Response | tuple[str, int]


def national_id_policy() -> NationalIdPolicy | None:
    """The number is asked for only where ID-porten uses it; elsewhere it has no purpose
    (registration and this page alike)."""
    settings = current_app.config["FIT_SETTINGS"]
    if not settings.idporten_enabled:
        return None
    return NationalIdPolicy(settings.patient_id_hash_key, settings.national_id_test_numbers)


def contact_form_page(reach: Reach, *, back_url: str, done_url: str) -> Page:
    """GET shows what is on file; POST saves a correction and goes to `done_url`, or shows
    the form again with what was typed and the reason on the field (422). Reached through
    an ended episode, the details are shown without a form and a POST is refused."""
    form = ContactForm()
    offer_configured_channels(form.channel, channels_set_up())
    label_contact_fields(form, channels_set_up())
    national_ids = national_id_policy()
    if national_ids is None:
        del form.national_id
    status = 200
    if request.method == "POST":

        def problems() -> list[tuple[str, str]]:
            return contact_problems(
                form.phone.data, form.email.data, channel_or_none(form.channel.data)
            )

        # Every wrong field in one round, as on registration: the contact rule runs with the
        # form's own checks ("enter a valid e-mail address" and "a mobile number is needed
        # for SMS" came one after the other).
        if passes_all(form, problems, registration_message, fallback="phone"):
            try:
                correction = Correction(
                    phone=form.phone.data,
                    email=form.email.data,
                    language=Language(form.language.data),
                    channel=Channel(form.channel.data),
                    national_id_hash=national_id_digest(form.national_id.data, national_ids)
                    if national_ids is not None
                    else None,
                )
                corrected = correct_contact_details(
                    get_db(),
                    reach,
                    correction,
                    now=now(),
                    zone=current_app.config["FIT_SETTINGS"].zone,
                )
            except RegistrationError as error:
                form[error.field].errors = [registration_message(error.code)]
            except ContactNotFound:
                abort(404)
            else:
                if corrected.changed_fields:
                    flash(_("The contact details are corrected. The next message uses them."))
                else:
                    flash(_("Nothing was changed: these are the details already on file."))
                return redirect(done_url)
        status = 422
    try:
        details = contact_details(get_db(), reach, now=now())
    except ContactNotFound:
        abort(404)
    if details.closed_episode and reach.episode_id is not None:
        if request.method == "POST":
            # A valid form was refused by the service; one failing its own checks is refused
            # the same way, not answered with field errors on a page without a form.
            raise EpisodeClosed(reach.episode_id, details.episode_ended_on)
        closed = closed_message(details.episode_ended_on)
    else:
        closed = None
    if request.method != "POST":
        form = ContactForm(
            formdata=None,
            data={
                "phone": details.phone or "",
                "email": details.email or "",
                "language": details.language.value,
                "channel": details.channel.value,
            },
        )
        offer_configured_channels(form.channel, channels_set_up())
        label_contact_fields(form, channels_set_up())
        if national_ids is None:
            del form.national_id
    html = render_template(
        "episodes/contact.html",
        form=form,
        details=details,
        back_url=back_url,
        closed_message=closed,
    )
    return html, status


@login_required(Role.THERAPIST)
def contact_page(episode_id: int) -> Page:
    """The therapist's page, for a patient on one of their own episodes (else 404)."""
    back = url_for("clinician.presession_page", episode_id=episode_id)
    return contact_form_page(
        Reach(staff_id=g.staff.staff_id, episode_id=episode_id), back_url=back, done_url=back
    )
