"""Therapist pages to register patients and manage appointments (typed in or imported)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from fit_platform.db.models import (
    Programme,
    Unit,
)
from fit_platform.domain.appointment_import import (
    FileError,
    ParsedFile,
    parse_csv,
    parse_fhir_bundle,
    read_text,
)
from fit_platform.domain.codes import Channel, Language, Role
from fit_platform.extensions import get_db
from fit_platform.services.appointment_import import import_appointments
from fit_platform.services.appointments import (
    AppointmentAtSameTime,
    AppointmentNotFound,
    AppointmentOutOfRange,
    add_appointment,
    recorded_after,
)
from fit_platform.services.registration import (
    NotAllowed,
    PatientDetails,
    RegistrationError,
    ReturningPatient,
    register_patient,
    registration_problems,
)
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.body_limits import allow_larger_body
from fit_platform.web.clock import now as clock_now
from fit_platform.web.episodes.appointment_changes import (
    appointment_last,
    appointment_move,
    appointment_status,
    night_time_notice,
    starts_at_of,
)
from fit_platform.web.episodes.appointments_page import appointments_page
from fit_platform.web.episodes.contact import contact_page, national_id_policy
from fit_platform.web.episodes.forms import (
    AppointmentForm,
    ImportForm,
    RegisterPatientForm,
    channel_or_none,
    channels_set_up,
    label_contact_fields,
    offer_configured_channels,
)
from fit_platform.web.episodes.schedule import schedule_page
from fit_platform.web.episodes.texts import (
    APPOINTMENT_AT_SAME_TIME,
    APPOINTMENT_OUT_OF_RANGE,
    REFUSAL_REASONS,
    file_problem,
    night_rows,
    registration_message,
    returning_patient_message,
    row_problem,
    unmatched_by_record,
)
from fit_platform.web.form_problems import passes_all

bp = Blueprint("episodes", __name__, url_prefix="/clinician", template_folder="templates")

MAX_IMPORT_BYTES = 2 * 1024 * 1024
# The request around the file: a file a little over 2 MB still reaches the page and gets its
# message; a body over this gets the same words on the error page (`web/body_limits.py`).
IMPORT_BODY_BYTES = 4 * 1024 * 1024


def _file_too_large() -> str:
    return _(
        "The file is too large (at most 2 MB). Nothing was imported. Split it into smaller"
        " files and import each."
    )


def _zone() -> ZoneInfo:
    return settings().zone


def _now() -> dt.datetime:
    return clock_now()  # the page's clock: a test's fixed time, else the real one


def _therapist_units() -> list[SelectChoice]:
    unit_ids = [unit for role, unit in g.staff.roles if role is Role.THERAPIST and unit]
    with get_db().session() as session:
        units = session.scalars(
            select(Unit)
            .where(Unit.id.in_(unit_ids), Unit.archived_at.is_(None))
            .order_by(Unit.name)
        )
        return [SelectChoice(str(unit.id), unit.name) for unit in units]


def _therapist_programmes() -> list[SelectChoice]:
    """The open programmes of the therapist's open units, named "unit: programme" as on the
    admin pages; the registration service checks that the one chosen belongs to the unit."""
    unit_ids = [unit for role, unit in g.staff.roles if role is Role.THERAPIST and unit]
    with get_db().session() as session:
        rows = session.execute(
            select(Programme.id, Programme.name, Unit.name)
            .join(Unit, Unit.id == Programme.unit_id)
            .where(
                Programme.unit_id.in_(unit_ids),
                Programme.archived_at.is_(None),
                Unit.archived_at.is_(None),
            )
            .order_by(Unit.name, Programme.name)
        ).all()
    return [SelectChoice(str(pid), f"{unit}: {name}") for pid, name, unit in rows]


@bp.route("/register", methods=["GET", "POST"])
@login_required(Role.THERAPIST)
def register() -> tuple[str, int] | Response:
    form = RegisterPatientForm()
    offer_configured_channels(form.channel, channels_set_up())
    label_contact_fields(form, channels_set_up())
    form.unit.choices = _therapist_units()
    programmes = _therapist_programmes()
    if programmes:
        form.programme.choices = [
            SelectChoice("", _("None (the unit's own schedule)")),
            *programmes,
        ]
    else:
        del form.programme  # the therapist's units have no open programme
    national_ids = national_id_policy()
    if national_ids is None:
        del form.national_id

    def problems() -> list[tuple[str, str]]:
        return registration_problems(
            display_name=form.display_name.data,
            phone=form.phone.data,
            email=form.email.data,
            channel=channel_or_none(form.channel.data),
            started_on=form.started_on.data,
            now=_now(),
        )

    # The box for a returning patient is shown once asked for, and kept while ticked.
    offer_returning = bool(form.returning.data)
    # Every wrong field in one round: the typed details' checks run with the form's own, and
    # again when the form passes (a bad phone and a bad e-mail address, both at once).
    if passes_all(form, problems, registration_message, fallback="display_name"):
        details = PatientDetails(
            display_name=form.display_name.data or "",
            external_id=form.external_id.data,
            phone=form.phone.data,
            email=form.email.data,
            language=Language(form.language.data),
            channel=Channel(form.channel.data),
            national_id=form.national_id.data if national_ids is not None else None,
        )
        try:
            registered = register_patient(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=form.unit.data,
                details=details,
                started_on=form.started_on.data,
                programme_id=int(form.programme.data)
                if programmes and form.programme.data
                else None,
                form_nonce=form.form_nonce.data,
                national_ids=national_ids,
                now=_now(),
                returning=bool(form.returning.data),
            )
        except ReturningPatient as returning:
            form.external_id.errors = [returning_patient_message(returning.ended_on)]
            offer_returning = True
        except RegistrationError as error:
            getattr(form, error.field).errors = [registration_message(error.code)]
        except NotAllowed:
            abort(403)
        else:
            if registered.returning:
                # The typed contact details were not used: what the patient chose is on file.
                flash(
                    _(
                        "A new course of treatment has started for the patient already "
                        "registered here. The contact details, language and channel on file "
                        "are kept: check them with the patient on the contact details page."
                    )
                )
            if not registered.rules_in_use:
                # The unit (or programme) has no template with a rule in use: nothing would
                # ever be sent, so the next step is the plan, not the appointments.
                flash(
                    _(
                        "The patient is registered, but no questionnaire is planned: the "
                        "programme's schedule template has no rule in use yet. Add a rule "
                        "below, and ask an administrator to complete the template."
                    )
                    if registered.from_programme
                    else _(
                        "The patient is registered, but no questionnaire is planned: the unit "
                        "has no schedule template with a rule in use. Add a rule below."
                    )
                )
                return redirect(url_for("episodes.schedule", episode_id=registered.episode_id))
            flash(_("The patient is registered. Add the appointments next."))
            return redirect(url_for("episodes.appointments", episode_id=registered.episode_id))
    status = 422 if form.errors else 200
    # No SMS gateway and no e-mail relay: the patient would never get a link, and only the
    # start-up log said so (the form offers both channels then, as nothing can be sent).
    return render_template(
        "episodes/register.html",
        form=form,
        cannot_send=not channels_set_up(),
        offer_returning=offer_returning,
    ), status


@bp.route("/episodes/<int:episode_id>/appointments", methods=["GET", "POST"])
@login_required(Role.THERAPIST, Role.UNIT_LEAD)
def appointments(episode_id: int) -> tuple[str, int] | Response:
    form = AppointmentForm()
    now = _now()
    starts_at = starts_at_of(form, now) if form.validate_on_submit() else None
    if starts_at is not None:
        try:
            add_appointment(
                get_db(),
                staff_id=g.staff.staff_id,
                episode_id=episode_id,
                starts_at=starts_at,
                now=now,
                form_nonce=form.form_nonce.data,
            )
        except AppointmentNotFound:
            abort(404)
        except AppointmentOutOfRange:
            form.day.errors = [str(APPOINTMENT_OUT_OF_RANGE)]
        except AppointmentAtSameTime:
            form.time.errors = [str(APPOINTMENT_AT_SAME_TIME)]
        else:
            if recorded_after(starts_at, now):
                flash(
                    _(
                        "The appointment is added as done: its time has passed, so it is"
                        " recorded as a session held, not as a planned one."
                    )
                )
            else:
                flash(_("The appointment is added."))
            for notice in night_time_notice(form):
                flash(notice)
            return redirect(url_for("episodes.appointments", episode_id=episode_id))
    return appointments_page(episode_id, form=form)


@bp.route("/appointments/import", methods=["GET", "POST"])
@login_required(Role.THERAPIST)
def import_file() -> tuple[str, int] | Response:
    form = ImportForm()
    form.unit.choices = _therapist_units()
    summary = None
    is_bundle = False
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            form.file.errors = [_file_too_large()]
        else:
            text = read_text(raw)
            if isinstance(text, FileError):
                parsed = ParsedFile((), (), text)
            else:
                is_bundle = text.lstrip(" \n\r\t").startswith("{")
                parsed = (parse_fhir_bundle if is_bundle else parse_csv)(text, _zone())
            try:
                summary = import_appointments(
                    get_db(),
                    staff_id=g.staff.staff_id,
                    unit_id=form.unit.data,
                    parsed=parsed,
                    now=_now(),
                    min_window=settings().min_answer_window,
                )
            except AppointmentNotFound:
                abort(403)
            if summary.file_error is not None:
                # Said once, on the file field and in the summary at the top: not a row.
                form.file.errors = [file_problem(summary.file_error, bundle=is_bundle)]
                summary = None
    return render_template(
        "episodes/import.html",
        form=form,
        summary=summary,
        is_bundle=is_bundle,
        row_problem=row_problem,
        unmatched_by_record=unmatched_by_record,
        night_rows=night_rows,
        zone=_zone(),
        refusals=REFUSAL_REASONS,
    ), (422 if form.errors else 200)


allow_larger_body("episodes.import_file", IMPORT_BODY_BYTES, _file_too_large)

# Moving an appointment and setting its status live in appointment_changes.py, the episode's
# own schedule in schedule.py; their URLs are registered here.
bp.add_url_rule(
    "/appointments/<int:appointment_id>/status",
    endpoint="appointment_status",
    view_func=appointment_status,
    methods=["POST"],
)
bp.add_url_rule(
    "/appointments/<int:appointment_id>/last",
    endpoint="appointment_last",
    view_func=appointment_last,
    methods=["POST"],
)
bp.add_url_rule(
    "/appointments/<int:appointment_id>/move",
    endpoint="appointment_move",
    view_func=appointment_move,
    methods=["POST"],
)
bp.add_url_rule(
    "/episodes/<int:episode_id>/schedule",
    endpoint="schedule",
    view_func=schedule_page,
    methods=["GET", "POST"],
)
bp.add_url_rule(
    "/episodes/<int:episode_id>/schedule/<int:rule_id>",
    endpoint="schedule",
    view_func=schedule_page,
    methods=["POST"],
)
bp.add_url_rule(
    "/episodes/<int:episode_id>/contact",
    endpoint="contact",
    view_func=contact_page,
    methods=["GET", "POST"],
)
