"""Registering a patient never tells a therapist about another unit's patients."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import csrf_token, log_in


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _register(client: FlaskClient, unit_id: int, name: str, record_id: str):  # type: ignore[no-untyped-def]
    page = client.get("/clinician/register?lang=en").get_data(as_text=True)
    return client.post(
        "/clinician/register",
        data={
            "csrf_token": csrf_token(page),
            "display_name": name,
            "external_id": record_id,
            "phone": "+47 912 34 567",
            "email": "",
            "language": "nb",
            "channel": "sms",
            "unit": str(unit_id),
            "started_on": "2026-11-25",
        },
    )


def test_a_record_id_registered_in_another_unit_is_registered_here_without_a_word(
    app: Flask,
) -> None:
    db = _db(app)
    unit_a, unit_b = make_unit(db), make_unit(db)
    therapist_a = make_staff(db, (Role.THERAPIST, unit_a.id))
    therapist_b = make_staff(db, (Role.THERAPIST, unit_b.id))
    a, b = app.test_client(), app.test_client()
    log_in(a, therapist_a.username, PASSWORD)
    log_in(b, therapist_b.username, PASSWORD)
    assert _register(a, unit_a.id, "Kari Nordmann", "EPR-77").status_code == 302

    response = _register(b, unit_b.id, "Kari Nordmann", "EPR-77")
    assert response.status_code == 302
    assert "already registered" not in b.get(response.headers["Location"]).get_data(as_text=True)
    with db.session() as session:
        units = session.scalars(
            select(Episode.unit_id).join(Patient).where(Patient.external_id == "EPR-77")
        ).all()
        assert sorted(units) == sorted([unit_a.id, unit_b.id])
        # Each unit has its own record of the person; B's therapist sees only B's episode.
        assert session.scalar(select(func.count()).select_from(Patient)) == 2


def test_the_same_record_id_twice_in_one_unit_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)
    assert _register(client, unit.id, "Kari Nordmann", "EPR-78").status_code == 302
    again = _register(client, unit.id, "Kari Nordmann", "EPR-78")
    assert again.status_code == 422
    assert "already in treatment in this unit" in again.get_data(as_text=True)
