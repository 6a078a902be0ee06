"""The national identity number from registration to erasure: only its keyed hash is stored,
the export says whether one is registered, erasure removes it and an ID-porten login then
finds nobody."""

from __future__ import annotations

import datetime as dt

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Channel, Language, Role
from fit_platform.services import patient_data, patient_export
from fit_platform.services.patient_identity import LoginMatch, NationalIdPolicy, patient_for_login
from fit_platform.services.registration import PatientDetails, register_patient
from tests.support.factories import make_staff, make_unit
from tests.support.scheduling import OSLO

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
NUMBER = "15076500565"
POLICY = NationalIdPolicy("a-test-key-that-is-long-enough-for-hmac-0123", allow_test_numbers=False)


def test_the_number_lives_only_as_a_keyed_hash_until_erasure(db: Database) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    admin = make_staff(db, (Role.ADMIN, None))
    details = PatientDetails(
        "Kari Nordmann", "EPR-77", "+4791234567", None, Language.NYNORSK, Channel.SMS, NUMBER
    )
    registered = register_patient(
        db,
        staff_id=therapist.id,
        unit_id=unit.id,
        details=details,
        started_on=dt.date(2026, 11, 25),
        national_ids=POLICY,
        now=NOW,
    )
    with db.session() as session:
        stored = session.get_one(Patient, registered.patient_id).national_id_hash
    assert stored == POLICY.digest(NUMBER) and NUMBER not in stored
    # Another key gives another hash: the database alone does not give the number back.
    assert stored != NationalIdPolicy("another-key-" * 4, allow_test_numbers=False).digest(NUMBER)
    found = patient_for_login(db, POLICY, NUMBER)
    assert (found.outcome, found.patient_id) == (LoginMatch.FOUND, registered.patient_id)

    export = patient_export.export_patient(
        db, patient_id=registered.patient_id, unit_id=unit.id, staff_id=admin.id, now=NOW
    )
    assert export is not None and export["patient"]["national_id_registered"] is True
    assert stored not in str(export) and NUMBER not in str(export)

    patient_data.erase_feedback(
        db,
        patient_id=registered.patient_id,
        unit_id=unit.id,
        staff_id=admin.id,
        confirmation="EPR-77",
        reason="The patient asked in writing",
        now=NOW,
        zone=OSLO,
    )
    with db.session() as session:
        assert session.get_one(Patient, registered.patient_id).national_id_hash is None
    assert patient_for_login(db, POLICY, NUMBER).outcome is LoginMatch.NO_PATIENT


def test_without_idporten_an_entered_number_is_not_kept_in_any_form(db: Database) -> None:
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    details = PatientDetails(
        "Ola", None, "+4791234568", None, Language.BOKMAAL, Channel.SMS, NUMBER
    )
    registered = register_patient(
        db,
        staff_id=therapist.id,
        unit_id=unit.id,
        details=details,
        started_on=NOW.date(),
        now=NOW,
    )
    with db.session() as session:
        assert session.get_one(Patient, registered.patient_id).national_id_hash is None
