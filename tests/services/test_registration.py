from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, Patient
from fit_platform.domain.codes import Channel, Language, Role
from fit_platform.services.registration import (
    NotAllowed,
    PatientDetails,
    RegistrationError,
    register_patient,
)
from tests.support.factories import NOW, make_staff, make_unit


def details(**changes: object) -> PatientDetails:
    values: dict[str, object] = {
        "display_name": "Kari Nordmann",
        "external_id": "EPR-77",
        "phone": "912 34 567",
        "email": "kari@example.org",
        "language": Language.NYNORSK,
        "channel": Channel.SMS,
        **changes,
    }
    return PatientDetails(**values)  # type: ignore[arg-type]


def test_a_therapist_registers_a_patient_with_a_normalised_number(db: Database) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    registered = register_patient(
        db,
        staff_id=therapist.id,
        unit_id=unit.id,
        details=details(),
        started_on=dt.date(2026, 11, 25),
        now=NOW,
    )
    with db.session() as session:
        patient = session.get(Patient, registered.patient_id)
        episode = session.get(Episode, registered.episode_id)
        responsible = session.scalars(select(EpisodeTherapist.staff_id)).all()
    assert patient is not None and patient.phone_e164 == "+4791234567"
    assert patient.preferred_language is Language.NYNORSK
    assert episode is not None and episode.unit_id == unit.id
    assert responsible == [therapist.id]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"display_name": " \x00 "}, "display_name", "required"),
        ({"phone": "12"}, "phone", "invalid_phone"),
        ({"phone": "22 00 00 00"}, "phone", "invalid_phone"),  # a landline cannot get SMS
        ({"phone": ""}, "phone", "required_for_sms"),
        ({"email": "not-an-address"}, "email", "invalid_email"),
        ({"email": "", "channel": Channel.EMAIL}, "email", "required_for_email"),
    ],
)
def test_bad_details_are_refused_with_the_field_named(
    db: Database, changes: dict[str, object], field: str, code: str
) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    with pytest.raises(RegistrationError) as error:
        register_patient(
            db,
            staff_id=therapist.id,
            unit_id=unit.id,
            details=details(**changes),
            started_on=dt.date(2026, 11, 25),
            now=NOW,
        )
    assert (error.value.field, error.value.code) == (field, code)
    with db.session() as session:
        assert session.scalars(select(Patient)).all() == []


def test_the_same_record_id_cannot_be_registered_twice(db: Database) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    kwargs = {
        "staff_id": therapist.id,
        "unit_id": unit.id,
        "started_on": dt.date(2026, 11, 25),
        "now": NOW,
    }
    register_patient(db, details=details(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="taken"):
        register_patient(db, details=details(), **kwargs)  # type: ignore[arg-type]


def test_only_a_therapist_of_the_unit_may_register(db: Database) -> None:
    unit, other_unit = make_unit(db), make_unit(db)
    outsider = make_staff(db, (Role.THERAPIST, other_unit.id))
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    for staff in (outsider, developer):
        with pytest.raises(NotAllowed):
            register_patient(
                db,
                staff_id=staff.id,
                unit_id=unit.id,
                details=details(),
                started_on=dt.date(2026, 11, 25),
                now=NOW,
            )


def test_a_new_episode_gets_its_own_copy_of_the_units_schedule_template(db: Database) -> None:
    from fit_platform.db.models import SchedulePlan, ScheduleRule
    from fit_platform.domain.codes import ScheduleTrigger

    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    with db.transaction() as session:
        session.add(
            SchedulePlan(
                name="Standard",
                unit_id=unit.id,
                rules=[
                    ScheduleRule(
                        instrument_id="phq9",
                        trigger=ScheduleTrigger.BEFORE_APPOINTMENT,
                        offset_hours=24,
                    )
                ],
            )
        )
    registered = register_patient(
        db,
        staff_id=therapist.id,
        unit_id=unit.id,
        details=details(),
        started_on=dt.date(2026, 11, 25),
        now=NOW,
    )
    with db.session() as session:
        plan = session.scalars(
            select(SchedulePlan).where(SchedulePlan.episode_id == registered.episode_id)
        ).one()
        assert [(r.instrument_id, r.offset_hours) for r in plan.rules] == [("phq9", 24)]
