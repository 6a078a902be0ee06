"""Changing an appointment: moving it, setting its status (done, cancelled, did not
attend) and marking it as the course's last. The questionnaires that no longer fit are
withdrawn by the service in the same request, and the page after says so; the new time's
questionnaire comes with the scheduler's next run. The URLs are registered in blueprint.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from fit_platform.db.models import Appointment
from fit_platform.domain.appointment_range import (
    NonexistentLocalTime,
    is_accepted_day,
    is_night,
    local_to_utc,
)
from fit_platform.domain.codes import AppointmentStatus, Role
from fit_platform.extensions import get_db
from fit_platform.services.appointments import (
    AppointmentMovedIntoPast,
    AppointmentNotBegun,
    AppointmentNotFound,
    AppointmentOutOfRange,
    appointment_episode,
    mark_last,
    move_appointment,
    set_appointment_status,
)
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clock import now as clock_now
from fit_platform.web.episodes.appointments_page import appointments_page
from fit_platform.web.episodes.forms import (
    AppointmentForm,
    AppointmentStatusForm,
    LastAppointmentForm,
)
from fit_platform.web.episodes.texts import (
    APPOINTMENT_MOVED_INTO_PAST,
    APPOINTMENT_OUT_OF_RANGE,
    nonexistent_time,
)
from fit_platform.web.redirects import show_form_page
from fit_platform.web.said_here import flash_at


def zone() -> ZoneInfo:
    return current_app.config["FIT_SETTINGS"].zone  # type: ignore[no-any-return]


def starts_at_of(form: AppointmentForm, now: dt.datetime) -> dt.datetime | None:
    """The form's date and time in UTC, or None with the error on the date field when the date is
    outside the accepted range (checked on the local date first: year 1 cannot become UTC), or on
    the time field when that local time does not exist (the spring DST gap). Shared by the add
    and the move form."""
    if form.day.data is None or form.time.data is None:
        return None
    if not is_accepted_day(form.day.data, now.astimezone(zone()).date()):
        form.day.errors = [str(APPOINTMENT_OUT_OF_RANGE)]
        return None
    try:
        wall = dt.datetime.combine(form.day.data, form.time.data)
        return local_to_utc(wall, zone())
    except NonexistentLocalTime as gap:
        form.time.errors = [nonexistent_time(gap)]
        return None


def night_time_notice(form: AppointmentForm) -> list[str]:
    """The check-the-time line for an appointment saved at night (`appointment_range.is_night`),
    else none."""
    time = form.time.data
    if time is None or not is_night(time):
        return []
    return [
        _(
            "It is at %(time)s, at night. If that is a typing mistake, move it: its"
            " questionnaires are planned from that time.",
            time=time.strftime("%H:%M"),
        )
    ]


@login_required(Role.THERAPIST)
def appointment_status(appointment_id: int) -> Response:
    form = AppointmentStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        cancelled = set_appointment_status(
            get_db(),
            staff_id=g.staff.staff_id,
            appointment_id=appointment_id,
            status=AppointmentStatus(form.status.data),
            now=clock_now(),
        )
    except AppointmentNotFound:
        abort(404)
    except AppointmentNotBegun:
        return _back_to_episode(
            appointment_id,
            _(
                "A session that has not begun cannot be marked done or did not attend."
                " Nothing was changed."
            ),
        )
    return _back_to_episode(
        appointment_id,
        _("The appointment is updated."),
        *([_withdrawn(cancelled)] if cancelled else []),
    )


@login_required(Role.THERAPIST)
def appointment_last(appointment_id: int) -> Response:
    """ "Before the last appointment" asks before the appointment marked here: without a mark
    the rule sent nothing (the course's end was known only once the episode was closed)."""
    form = LastAppointmentForm()
    if not form.validate_on_submit():
        abort(400)
    last = form.last.data == "1"
    try:
        marked = mark_last(
            get_db(),
            staff_id=g.staff.staff_id,
            appointment_id=appointment_id,
            last=last,
            now=clock_now(),
        )
    except AppointmentNotFound:
        abort(404)
    later = ngettext(
        "%(num)d later appointment is still planned: cancel it, or mark the last one instead.",
        "%(num)d later appointments are still planned: cancel them, or mark the last one instead.",
        marked.later_planned,
    )
    return _back_to_episode(
        appointment_id,
        _(
            "This is now the last appointment: a questionnaire planned before the last "
            "appointment is sent before it."
        )
        if last
        else _("The appointment is no longer marked as the last."),
        *([later] if marked.later_planned else []),
        *([_withdrawn(marked.withdrawn)] if marked.withdrawn else []),
    )


def _withdrawn(cancelled: int) -> str:
    return ngettext(
        "The questionnaire for this appointment is withdrawn; its link now tells the patient why.",
        "%(num)d questionnaires for this appointment are withdrawn; their links now"
        " tell the patient why.",
        cancelled,
    )


@login_required(Role.THERAPIST)
def appointment_move(appointment_id: int) -> Response | tuple[str, int]:
    form = AppointmentForm(prefix="move")
    now = clock_now()  # the page's clock: a test's fixed time, else the real one
    starts_at = starts_at_of(form, now) if form.validate_on_submit() else None
    if starts_at is not None:
        try:
            moved = move_appointment(
                get_db(),
                staff_id=g.staff.staff_id,
                appointment_id=appointment_id,
                starts_at=starts_at,
                now=now,
                min_window=settings().min_answer_window,
            )
        except AppointmentNotFound:
            abort(404)
        except AppointmentOutOfRange:
            form.day.errors = [str(APPOINTMENT_OUT_OF_RANGE)]
        except AppointmentMovedIntoPast:
            form.day.errors = [str(APPOINTMENT_MOVED_INTO_PAST)]
        else:
            # The new time's questionnaire is planned by the scheduler, when the schedule
            # says it is due (a withdrawn one was not due yet for the new time, or could not
            # be kept: domain/moved_appointments.py), not here.
            withdrawn = ngettext(
                "The questionnaire for the old time is withdrawn; its link now tells the"
                " patient why. One for the new time is sent when the questionnaire schedule"
                " says.",
                "%(num)d questionnaires for the old time are withdrawn; their links now tell"
                " the patient why. New ones for the new time are sent when the questionnaire"
                " schedule says.",
                moved.withdrawn,
            )
            replied = ngettext(
                "The patient has already replied to the questionnaire for this appointment:"
                " the reply stands, and it is not sent again for the new time.",
                "The patient has already replied to %(num)d questionnaires for this"
                " appointment: the replies stand, and they are not sent again for the new time.",
                moved.replied,
            )
            kept = ngettext(
                "The questionnaire the patient already has stays open for the new time: the"
                " same link still works, and no new message is sent.",
                "The %(num)d questionnaires the patient already has stay open for the new"
                " time: the same links still work, and no new messages are sent.",
                moved.kept - moved.kept_ahead,
            )
            kept_ahead = ngettext(
                "The patient has started answering the questionnaire: it stays open for the"
                " new time with the answers saved, and the patient is reminded when it would"
                " have been sent.",
                "The patient has started answering %(num)d questionnaires: they stay open for"
                " the new time with the answers saved, and the patient is reminded when they"
                " would have been sent.",
                moved.kept_ahead,
            )
            return _back_to_episode(
                appointment_id,
                _("The appointment is moved."),
                *([withdrawn] if moved.withdrawn else []),
                *([kept] if moved.kept > moved.kept_ahead else []),
                *([kept_ahead] if moved.kept_ahead else []),
                *([replied] if moved.replied else []),
                *night_time_notice(form),
            )
    # Refused (an empty, half-typed or out-of-range date or time): nothing is changed and no
    # change is logged. The episode's page is shown again, as after a refused "Add", with the
    # error on the appointment's own row and what was typed kept there.
    try:
        episode_id = appointment_episode(
            get_db(), staff_id=g.staff.staff_id, appointment_id=appointment_id
        )
    except AppointmentNotFound:
        abort(404)
    # Its language links and "Extend" lead to this page, not to the caseload up the move's URL.
    show_form_page(url_for("episodes.appointments", episode_id=episode_id))
    return appointments_page(episode_id, move_form=form, moving=appointment_id)


def _back_to_episode(appointment_id: int, *messages: str) -> Response:
    """The appointments page at the appointment just changed, with what was done said in its
    row: a keyboard walk came back at the top of the page after each change, the message
    there naming no appointment, and took 61 presses of Tab to get back to the fourth."""
    with get_db().session() as session:
        episode_id = session.scalar(
            select(Appointment.episode_id).where(Appointment.id == appointment_id)
        )
    for message in messages:
        flash_at(f"appointment-{appointment_id}", message)
    return redirect(
        url_for(
            "episodes.appointments", episode_id=episode_id, _anchor=f"appointment-{appointment_id}"
        )
    )

    return f"row:appointment-{appointment_id}"
