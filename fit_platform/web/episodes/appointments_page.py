"""An episode's appointments page: its appointments, the questionnaires sent and the message
deliveries, with the add, status and move forms for the episode's therapists. Shown by the page
itself and again, with the refused form's errors, when adding or moving was refused; each showing
logs one read (`appointments_view`), never a change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, render_template
from flask_babel import get_locale
from sqlalchemy import ColumnElement, func, or_, select

from fit_platform.db.models import Appointment, Invitation, OutboxMessage, Patient
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.domain.instrument_language import text_in
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.quiet_hours import local_to_utc
from fit_platform.extensions import get_db
from fit_platform.services.access_control import access_role, treats, visible_episode
from fit_platform.services.access_log import record_access
from fit_platform.services.delivery_status import (
    failed_message_problems,
    undelivered_invitations,
)
from fit_platform.web import labels
from fit_platform.web.clock import now as clock_now
from fit_platform.web.episode_closed import closed_message
from fit_platform.web.episodes.forms import (
    STATUS_CHOICES,
    AppointmentForm,
    AppointmentStatusForm,
)

# Up to this many past appointments are listed as they are; more are folded under one line.
PAST_SHOWN_OPEN = 5
# The newest questionnaires and messages listed as they are (about two weeks of a plan of
# three a week); the earlier ones are folded under one line.
NEWEST_SHOWN_OPEN = 6


def _zone() -> ZoneInfo:
    return current_app.config["FIT_SETTINGS"].zone  # type: ignore[no-any-return]


def _of_this_course(
    episode_id: int, started_on: dt.date, ended_on: dt.date | None
) -> ColumnElement[bool]:
    """The messages a course of treatment's page lists. Messages are the patient's, and a
    patient who comes back has two courses: a message for a questionnaire belongs to that
    questionnaire's course; one for none (a one-time code, a confirmation) to every course
    open on the day it was made. The new course's page listed the earlier course's
    questionnaires' messages, failures and all, beside a list of questionnaires without them."""
    zone = _zone()
    made_in_course = OutboxMessage.created_at >= local_to_utc(started_on, dt.time(0), zone)
    if ended_on is not None:
        day_after = ended_on + dt.timedelta(days=1)
        made_in_course &= OutboxMessage.created_at < local_to_utc(day_after, dt.time(0), zone)
    return or_(
        Invitation.episode_id == episode_id,
        OutboxMessage.invitation_id.is_(None) & made_in_course,
    )


def _load_episode_page(episode_id: int) -> dict[str, object]:
    """Appointments, invitations and deliveries of one visible episode; the read is logged."""
    now = clock_now()
    with get_db().transaction() as session:
        episode = visible_episode(session, g.staff, episode_id)
        if episode is None:
            abort(404)
        role = access_role(g.staff, episode)
        record_access(
            session,
            staff_id=g.staff.staff_id,
            role=role,
            patient_id=episode.patient_id,
            unit_id=episode.unit_id,
            action="appointments_view",
            now=now,
        )
        patient = session.get(Patient, episode.patient_id)
        appointments = session.scalars(
            select(Appointment)
            .where(Appointment.episode_id == episode_id)
            .order_by(Appointment.starts_at)
        ).all()
        # Newest first by the time the table shows (sent, or to be sent): by due time alone a
        # questionnaire found late and sent at 20:32 came below one sent at 20:24.
        shown_at = func.coalesce(Invitation.sent_at, Invitation.due_at)
        invitations = session.scalars(
            select(Invitation)
            .where(Invitation.episode_id == episode_id)
            .order_by(shown_at.desc(), Invitation.id.desc())
            .limit(50)
        ).all()
        # Each message with the questionnaire it was for: "SMS, sent" alone did not say which.
        message_rows = session.execute(
            select(OutboxMessage, Invitation.instrument_id)
            .outerjoin(Invitation, Invitation.id == OutboxMessage.invitation_id)
            .where(
                OutboxMessage.patient_id == episode.patient_id,
                _of_this_course(episode.id, episode.started_on, episode.ended_on),
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(50)
        ).all()
        messages = [message for message, _instrument_id in message_rows]
        undelivered = undelivered_invitations(session, invitations)
    problems = {problem.value for problem in undelivered.values()}
    return {
        "episode": episode,
        # Only the episode's therapists plan in it (`access_control.treats`, the rule the
        # appointment service applies): a unit lead reads this page without its forms.
        "is_treating": treats(g.staff.staff_id, episode),
        # An ended episode is read here, not changed (services refuse with `EpisodeClosed`).
        "is_closed": episode.status is not EpisodeStatus.ACTIVE,
        "closed_message": closed_message(episode.ended_on),
        "patient": patient,
        # Planned sessions soonest first, then the sessions held newest first.
        "upcoming": [a for a in appointments if a.starts_at >= now],
        "past": [a for a in reversed(appointments) if a.starts_at < now],
        "past_open_up_to": PAST_SHOWN_OPEN,
        "invitations": invitations,
        "newest_open_up_to": NEWEST_SHOWN_OPEN,
        "messages": messages,
        "message_instruments": {
            message.id: instrument_id for message, instrument_id in message_rows if instrument_id
        },
        # Why an invitation never reached the patient, and why each failed message failed,
        # in the pre-session view's words (services/delivery_status.py).
        "undelivered": undelivered,
        "undelivered_problems": sorted(problems),
        "message_problems": failed_message_problems(messages),
        "zone": _zone(),
    }


def appointments_page(
    episode_id: int,
    *,
    form: AppointmentForm | None = None,
    move_form: AppointmentForm | None = None,
    moving: int | None = None,
) -> tuple[str, int]:
    """The page, 422 when `form` (adding) or `move_form` (moving appointment `moving`) carries
    errors: they are shown on the form, or on the appointment's row, with what was typed."""
    context = _load_episode_page(episode_id)
    move_form = move_form or AppointmentForm(prefix="move", formdata=None)
    refused = (form is not None and bool(form.errors)) or bool(move_form.errors)
    return render_template(
        "episodes/appointments.html",
        form=form or AppointmentForm(formdata=None),
        status_form=AppointmentStatusForm(formdata=None),
        move_form=move_form,
        moving=moving,
        status_labels={choice.value: choice.label for choice in STATUS_CHOICES},
        labels=labels,
        instrument_titles={
            instrument.id: text_in(instrument.title, str(get_locale() or "nb"))
            for instrument in default_instruments().values()
        },
        **context,
    ), (422 if refused else 200)
