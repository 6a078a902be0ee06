"""Appointment import and typed-in appointments through the therapist's pages.

Dates are relative to the real today (the pages use the real clock), so the tests pass on any
day and at any hour.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Appointment, Patient
from fit_platform.domain.codes import AppointmentStatus, Role
from tests.support.appointment_upload import upload_appointments
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in

OSLO = ZoneInfo("Europe/Oslo")


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _day(days_from_today: int) -> str:
    return (dt.datetime.now(OSLO).date() + dt.timedelta(days=days_from_today)).isoformat()


def _ref(db: Database, world: World) -> str:
    with db.session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None and patient.external_id
        return patient.external_id


def _upload(client: FlaskClient, unit_id: int, content: str, name: str) -> tuple[int, str]:
    return upload_appointments(client, unit_id, content, name)


def _rows(db: Database, world: World) -> list[tuple[str | None, dt.datetime, AppointmentStatus]]:
    with db.session() as session:
        return [
            (row.external_ref, row.starts_at, row.status)
            for row in session.scalars(
                select(Appointment)
                .where(Appointment.episode_id == world.episode_id)
                .order_by(Appointment.external_ref)
            )
        ]


def test_a_csv_file_uploaded_on_the_import_page_creates_the_appointments(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    ref = _ref(db, world)
    log_in(client, world.therapist_username, PASSWORD)
    csv = (
        "appointment_id;patient_id;start;end;status\n"
        f"K-1;{ref};{_day(7)}T10:00;{_day(7)}T10:45;booked\n"
        f"K-2;{ref};{_day(14)}T10:00;;\n"
    )
    status, html = _upload(client, world.unit_id, csv, "timeliste.csv")
    assert status == 200
    assert "New appointments: 2" in html
    assert [(ref_, state) for ref_, _start, state in _rows(db, world)] == [
        ("K-1", AppointmentStatus.PLANNED),
        ("K-2", AppointmentStatus.PLANNED),
    ]
    # The therapist sees them on the patient's appointments page.
    page = client.get(f"/clinician/episodes/{world.episode_id}/appointments?lang=en")
    assert page.get_data(as_text=True).count(">Planned</td>") == 2


def test_an_import_refuses_the_rows_of_patients_the_therapist_does_not_treat(
    client: FlaskClient,
) -> None:
    db = _db(client)
    mine = make_world(db)
    colleague = make_staff(db, (Role.THERAPIST, mine.unit_id))
    theirs = make_world(db, unit=None, therapist=colleague)
    # The colleague's patient is in the same unit.
    with db.transaction() as session:
        from fit_platform.db.models import Episode

        episode = session.get(Episode, theirs.episode_id)
        assert episode is not None
        episode.unit_id = mine.unit_id
    theirs = World(
        mine.unit_id, colleague.id, colleague.username, theirs.patient_id, theirs.episode_id
    )
    their_ref, my_ref = _ref(db, theirs), _ref(db, mine)
    # The colleague imports their patient's appointment first.
    log_in(client, colleague.username, PASSWORD)
    original = (
        f"appointment_id,patient_id,start,end,status\nT-1,{their_ref},{_day(3)}T09:00,,booked\n"
    )
    assert "New appointments: 1" in _upload(client, mine.unit_id, original, "a.csv")[1]
    before = _rows(db, theirs)

    client.post(
        "/staff/logout",
        data={"csrf_token": csrf_token(client.get("/clinician/").get_data(as_text=True))},
    )
    log_in(client, mine.therapist_username, PASSWORD)
    hostile = (
        "appointment_id,patient_id,start,end,status\n"
        f"M-1,{my_ref},{_day(3)}T12:00,,booked\n"
        f"T-1,{their_ref},{_day(4)}T15:00,,cancelled\n"
        f"T-2,{their_ref},{_day(5)}T15:00,,booked\n"
    )
    status, html = _upload(client, mine.unit_id, hostile, "b.csv")
    assert status == 200
    assert "New appointments: 1" in html
    assert "Rows refused: patients you do not treat" in html
    for row in (2, 3):
        assert (
            f"Row {row} (patient {their_ref}): you are not a therapist on this patient's "
            "episode, so nothing was changed" in unescape(html)
        )
    assert _rows(db, theirs) == before
    assert [ref for ref, _start, _state in _rows(db, mine)] == ["M-1"]
    with db.session() as session:
        logged = session.scalars(
            select(AccessLog.patient_id).where(
                AccessLog.action == "appointment_import", AccessLog.staff_id == mine.therapist_id
            )
        ).all()
    assert logged == [mine.patient_id]  # nothing of the colleague's patient was read or written


@pytest.mark.parametrize(
    ("language", "reason"),
    [("nb", "du er ikke behandler i denne pasientens forløp"), ("nn", "du er ikkje behandlar")],
)
def test_the_refusal_reason_is_translated(client: FlaskClient, language: str, reason: str) -> None:
    db = _db(client)
    mine = make_world(db)
    other = make_world(db, unit=None)
    with db.transaction() as session:
        from fit_platform.db.models import Episode

        episode = session.get(Episode, other.episode_id)
        assert episode is not None
        episode.unit_id = mine.unit_id
    log_in(client, mine.therapist_username, PASSWORD)
    client.get(f"/?lang={language}")
    page = client.get("/clinician/appointments/import").get_data(as_text=True)
    csv = f"appointment_id,patient_id,start,end,status\nX-1,{_ref(db, other)},{_day(2)}T09:00,,\n"
    response = client.post(
        "/clinician/appointments/import",
        data={
            "csrf_token": csrf_token(page),
            "unit": str(mine.unit_id),
            "file": (io.BytesIO(csv.encode()), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"(pasient {_ref(db, other)}): {reason}" in unescape(html)


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_import_rows_dated_in_year_1_or_9999_are_listed_and_the_rest_is_imported(
    client: FlaskClient, year: str
) -> None:
    db = _db(client)
    world = make_world(db)
    ref = _ref(db, world)
    log_in(client, world.therapist_username, PASSWORD)
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": f"d-{n}",
                    "status": "booked",
                    "start": start,
                    "participant": [{"actor": {"reference": f"Patient/{ref}"}}],
                }
            }
            for n, start in enumerate(
                [
                    f"{year}-01-01T00:00:00",
                    f"{_day(10)}T10:00:00+01:00",
                    f"{year}-12-31T23:30:00-05:00",
                ],
                start=1,
            )
        ],
    }
    status, html = _upload(client, world.unit_id, json.dumps(bundle), "bundle.json")
    assert status == 200
    assert "New appointments: 1" in html
    assert "Row 1, field start:" in html and "Row 3, field start:" in html
    assert "Row 2," not in html
    assert [ref_ for ref_, _start, _state in _rows(db, world)] == ["d-2"]


def test_import_rows_years_away_are_refused_as_out_of_range(client: FlaskClient) -> None:
    db = _db(client)
    world = make_world(db)
    ref = _ref(db, world)
    log_in(client, world.therapist_username, PASSWORD)
    csv = (
        "appointment_id,patient_id,start,end,status\n"
        f"Y-1,{ref},{_day(-3 * 365)}T10:00,,done\n"
        f"Y-2,{ref},{_day(6 * 365)}T10:00,,\n"
        f"Y-3,{ref},{_day(-30)}T10:00,,done\n"
    )
    status, html = _upload(client, world.unit_id, csv, "old.csv")
    assert status == 200
    assert html.count("the date is more than 2 years back or more than 5 years ahead") == 2
    assert [ref_ for ref_, _start, _state in _rows(db, world)] == ["Y-3"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1900-01-01"])
def test_a_typed_in_appointment_far_outside_the_range_gets_a_message_and_is_not_saved(
    client: FlaskClient, day: str
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": "10:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a date no more than 2 years back and no more than 5 years ahead." in html
    assert f'value="{day}"' in html  # what was typed is still in the field
    assert _rows(db, world) == []


def test_moving_an_appointment_to_year_9999_changes_nothing_and_says_why(
    client: FlaskClient,
) -> None:
    db = _db(client)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = client.get(url).get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_token(page), "day": _day(7), "time": "10:00"})
    before = _rows(db, world)
    with db.session() as session:
        appointment_id = session.scalars(select(Appointment.id)).one()
    response = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "9999-12-31", "move-time": "10:00"},
    )
    # Shown again at once with the error on the appointment's row (422), as a refused "Add".
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert "Choose a date no more than 2 years back and no more than 5 years ahead." in shown
    assert 'value="9999-12-31"' in shown
    assert _rows(db, world) == before


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.one_of(
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
        st.text(max_size=12),
    ),
    time=st.sampled_from(["00:00", "23:59", "10:00", "25:00", "", "-1:00"]),
)
def test_any_typed_date_is_saved_or_refused_with_a_message_never_a_500(
    client: FlaskClient, day: str, time: str
) -> None:
    db = _db(client)
    if not hasattr(client, "_world"):
        client._world = make_world(db)  # type: ignore[attr-defined]
        log_in(client, client._world.therapist_username, PASSWORD)  # type: ignore[attr-defined]
    world = client._world  # type: ignore[attr-defined]
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "day": day, "time": time})
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert 'class="field-error"' in response.get_data(as_text=True)
