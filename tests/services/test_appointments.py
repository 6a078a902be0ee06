from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment
from fit_platform.domain.appointment_import import parse_csv
from fit_platform.domain.codes import AppointmentStatus, Role
from fit_platform.services.appointment_import import import_appointments
from fit_platform.services.appointments import (
    AppointmentNotBegun,
    AppointmentNotFound,
    AppointmentOutOfRange,
    add_appointment,
    move_appointment,
    set_appointment_status,
)
from tests.support.factories import make_staff, make_world

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 9, tzinfo=UTC)


def _csv(patient_ref: str, start: str = "2026-11-30T10:00", status: str = "booked") -> str:
    return (
        "appointment_id,patient_id,start,end,status\n"
        f"A1,{patient_ref},{start},,{status}\n"
        f"A2,{patient_ref},2026-12-07T10:00,,booked\n"
        "A3,EPR-UNKNOWN,2026-12-07T10:00,,booked\n"
    )


def _external_id(db: Database, patient_id: int) -> str:
    from fit_platform.db.models import Patient

    with db.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.external_id
        return patient.external_id


def test_importing_the_same_file_twice_changes_nothing(db: Database) -> None:
    world = make_world(db)
    text = _csv(_external_id(db, world.patient_id))
    first = import_appointments(
        db,
        staff_id=world.therapist_id,
        unit_id=world.unit_id,
        parsed=parse_csv(text, OSLO),
        now=NOW,
    )
    second = import_appointments(
        db,
        staff_id=world.therapist_id,
        unit_id=world.unit_id,
        parsed=parse_csv(text, OSLO),
        now=NOW,
    )
    assert (first.created, first.updated, first.unmatched_patients) == (2, 0, ["EPR-UNKNOWN"])
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    with db.session() as session:
        from fit_platform.db.models import AccessLog

        logged = session.scalars(
            select(AccessLog.patient_id).where(AccessLog.action == "appointment_import")
        ).all()
    assert logged == [world.patient_id, world.patient_id]  # one row per import
    with db.session() as session:
        assert len(session.scalars(select(Appointment)).all()) == 2


def test_a_moved_or_cancelled_appointment_in_a_new_file_updates_the_row(db: Database) -> None:
    world = make_world(db)
    ref = _external_id(db, world.patient_id)
    import_appointments(
        db,
        staff_id=world.therapist_id,
        unit_id=world.unit_id,
        parsed=parse_csv(_csv(ref), OSLO),
        now=NOW,
    )
    summary = import_appointments(
        db,
        staff_id=world.therapist_id,
        unit_id=world.unit_id,
        parsed=parse_csv(_csv(ref, start="2026-12-01T09:00", status="cancelled"), OSLO),
        now=NOW,
    )
    assert summary.updated == 1 and len(summary.changed_appointment_ids) == 1
    with db.session() as session:
        moved = session.get(Appointment, summary.changed_appointment_ids[0])
    assert moved is not None
    assert moved.starts_at == dt.datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert moved.status is AppointmentStatus.CANCELLED


def test_typed_appointments_can_be_moved_and_marked(db: Database) -> None:
    world = make_world(db)
    appointment_id = add_appointment(
        db,
        staff_id=world.therapist_id,
        episode_id=world.episode_id,
        starts_at=dt.datetime(2026, 12, 1, 9, tzinfo=UTC),
        now=NOW,
        ends_at=dt.datetime(2026, 12, 1, 10, tzinfo=UTC),
    )
    move_appointment(
        db,
        staff_id=world.therapist_id,
        appointment_id=appointment_id,
        starts_at=dt.datetime(2026, 12, 2, 13, tzinfo=UTC),
        now=NOW,
    )
    # Done only once its time has begun: before, it is refused and nothing changes.
    with pytest.raises(AppointmentNotBegun):
        set_appointment_status(
            db,
            staff_id=world.therapist_id,
            appointment_id=appointment_id,
            status=AppointmentStatus.DONE,
            now=NOW,
        )
    set_appointment_status(
        db,
        staff_id=world.therapist_id,
        appointment_id=appointment_id,
        status=AppointmentStatus.DONE,
        now=dt.datetime(2026, 12, 2, 13, 50, tzinfo=UTC),
    )
    with db.session() as session:
        row = session.get(Appointment, appointment_id)
    assert row is not None and row.status is AppointmentStatus.DONE
    assert (row.starts_at, row.ends_at) == (
        dt.datetime(2026, 12, 2, 13, tzinfo=UTC),
        dt.datetime(2026, 12, 2, 14, tzinfo=UTC),
    )


def test_another_therapists_episode_is_not_found(db: Database) -> None:
    world = make_world(db)
    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    with pytest.raises(AppointmentNotFound):
        add_appointment(
            db,
            staff_id=stranger.id,
            episode_id=world.episode_id,
            starts_at=dt.datetime(2026, 12, 1, 9, tzinfo=UTC),
            now=NOW,
        )
    own = add_appointment(
        db,
        staff_id=world.therapist_id,
        episode_id=world.episode_id,
        starts_at=dt.datetime(2026, 12, 1, 9, tzinfo=UTC),
        now=NOW,
    )
    with pytest.raises(AppointmentNotFound):
        move_appointment(
            db,
            staff_id=stranger.id,
            appointment_id=own,
            starts_at=dt.datetime(2026, 12, 3, 9, tzinfo=UTC),
            now=NOW,
        )


def test_appointment_times_outside_the_accepted_range_are_refused(db: Database) -> None:
    world = make_world(db)
    for starts_at in (NOW - dt.timedelta(days=3 * 365), NOW + dt.timedelta(days=6 * 365)):
        with pytest.raises(AppointmentOutOfRange):
            add_appointment(
                db,
                staff_id=world.therapist_id,
                episode_id=world.episode_id,
                starts_at=starts_at,
                now=NOW,
            )
    with db.session() as session:
        assert session.scalars(select(Appointment)).all() == []


def test_a_year_9999_appointment_stored_before_the_range_check_does_not_stop_the_scheduler(
    db: Database,
) -> None:
    from fit_platform.domain.codes import ScheduleTrigger
    from fit_platform.services.invitations import enqueue_due
    from tests.support.scheduling import RuleSpec, World, oslo

    world = World(db)
    rules = [
        RuleSpec("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24),
        RuleSpec("gad7", ScheduleTrigger.AFTER_APPOINTMENT, offset_hours=1, window_hours=48),
        RuleSpec("wai_sr", ScheduleTrigger.LAST_SESSION, offset_hours=1, window_hours=48),
    ]
    broken = [dt.datetime(9999, 12, 31, 20, tzinfo=UTC), dt.datetime(1, 1, 1, 5, tzinfo=UTC)]
    world.patient_with_episode(rules, [*broken, oslo(2026, 11, 26, 10)])
    result = enqueue_due(db, oslo(2026, 11, 25, 10), zone=OSLO)
    assert result.invitations == 1  # the real appointment's, on every tick as before
