"""A refused appointment change changes nothing and is logged as nothing but the page's read:
the patient's "who has looked" list never says the therapist changed her appointments when the
move was refused. A refused move (out of range, an empty or half-typed date or time) shows the
episode's page again with the error on that appointment's row, naming it, and what was typed
kept, as a refused "Add" does; never a generic 400 page."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Appointment
from fit_platform.domain.codes import AppointmentStatus
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import oslo
from tests.web.test_closed_episode import closed

__all__ = ["closed"]

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
STARTS = oslo(2026, 12, 10, 9)  # 10 Dec 2026, 09:00 in Oslo
NAMED = "The appointment of 10/12/2026, 09:00 was not moved"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _actions(db: Database, world: World) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AccessLog.action)
                .where(AccessLog.patient_id == world.patient_id)
                .order_by(AccessLog.id)
            )
        )


def _booked(client: FlaskClient) -> tuple[World, int, str]:
    """A therapist's patient with one planned appointment; the therapist is on its page."""
    client.application.extensions["fit_clock"] = lambda: NOW
    db = _db(client)
    world = make_world(db)
    with db.transaction() as session:
        appointment = Appointment(episode_id=world.episode_id, starts_at=STARTS)
        session.add(appointment)
        session.flush()
        appointment_id = appointment.id
    log_in(client, world.therapist_username, PASSWORD)
    return world, appointment_id, f"/clinician/episodes/{world.episode_id}/appointments"


def _starts_at(db: Database, appointment_id: int) -> dt.datetime:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).starts_at


def _refused_move(client: FlaskClient, day: str, time: str) -> tuple[World, int, str, str]:
    """A booked appointment moved to `day` `time` and refused: the page again (422) naming
    the appointment, what was typed kept, nothing changed and no change logged. Returns the
    world, the appointment, its page's address and the refusal's HTML."""
    world, appointment_id, url = _booked(client)
    db = _db(client)
    before = _starts_at(db, appointment_id)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": day, "move-time": time},
    )
    html = moved.get_data(as_text=True)
    assert moved.status_code == 422
    assert NAMED in html
    assert f'value="{day}"' in html and f'value="{time}"' in html
    assert _starts_at(db, appointment_id) == before
    assert "appointment_change" not in _actions(db, world)
    return world, appointment_id, url, html


def test_a_move_refused_as_out_of_range_is_not_shown_to_the_patient_as_a_change(
    client: FlaskClient,
) -> None:
    world, _appointment_id, _url, html = _refused_move(client, "2020-01-01", "09:00")
    assert "no more than 2 years back" in html
    assert _actions(_db(client), world) == ["appointments_view", "appointments_view"]

    # The patient's own list: the therapist looked at the appointments, changed nothing.
    client.application.extensions.pop("fit_clock")  # the patient answers today
    _invitation, token = open_invitation(_db(client), world)
    patient = Patient(client.application.test_client(), token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()
    looked = patient.client.get("/p/progress?lang=en").get_data(as_text=True).lower()
    assert "changed your appointments" not in looked
    assert "looked at your appointments" in looked


def test_a_move_with_an_empty_or_half_typed_time_is_shown_on_its_row_not_a_400(
    client: FlaskClient,
) -> None:
    world, appointment_id, url = _booked(client)
    db = _db(client)
    page = client.get(url + "?lang=nn").get_data(as_text=True)
    moved = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=nn",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-11", "move-time": "9:"},
    )
    html = moved.get_data(as_text=True)
    assert moved.status_code == 422
    assert "Vi kunne ikkje bruke det som vart sendt" not in html
    assert "Timen 10.12.2026, 09:00 vart ikkje flytta" in html
    assert "Skriv inn eit gyldig klokkeslett." in html
    assert 'value="2026-12-11"' in html and 'value="9:"' in html
    assert f'href="#move-time-{appointment_id}"' in html
    assert re.search(rf'id="move-time-{appointment_id}"[^>]*aria-invalid="true"', html)
    assert _starts_at(db, appointment_id) == STARTS
    empty = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "", "move-time": ""},
    )
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert NAMED + ": Enter a date like 31.12.2026." in html
    assert "appointment_change" not in _actions(db, world)


def test_refused_adds_and_status_changes_log_no_change(
    client: FlaskClient, closed: tuple[World, int, str]
) -> None:
    world, appointment_id, _token = closed
    db = _db(client)
    token = csrf_token(client.get("/staff/account").get_data(as_text=True))
    url = f"/clinician/episodes/{world.episode_id}/appointments?lang=en"
    client.post(url, data={"csrf_token": token, "day": "2026-12-11", "time": "09:00"})
    client.post(
        f"/clinician/appointments/{appointment_id}/status",
        data={"csrf_token": token, "status": AppointmentStatus.CANCELLED.value},
    )
    client.post(
        f"/clinician/appointments/{appointment_id}/move",
        data={"csrf_token": token, "move-day": "2026-12-11", "move-time": "09:00"},
    )
    assert "appointment_change" not in _actions(db, world)


def test_an_add_refused_as_out_of_range_logs_only_the_read(client: FlaskClient) -> None:
    world, _appointment_id, url = _booked(client)
    db = _db(client)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    added = client.post(
        url + "?lang=en", data={"csrf_token": csrf_token(page), "day": "2020-01-01", "time": "9:00"}
    )
    assert added.status_code == 422
    assert _actions(db, world) == ["appointments_view", "appointments_view"]


def test_a_session_that_has_not_begun_cannot_be_marked_done_or_missed(
    client: FlaskClient,
) -> None:
    """A session on 10 December marked "Done" on 2 December stayed among the planned ones,
    as done, while its questionnaire was still planned."""
    world, appointment_id, page_url = _booked(client)
    page = client.get(page_url + "?lang=en").get_data(as_text=True)
    row = page[page.index(f'id="status-{appointment_id}"') :]
    offered = re.findall(r'<option value="(\w+)"', row[: row.index("</select>")])
    assert offered == ["planned", "cancelled"]
    for status in ("done", "no_show"):
        refused = client.post(
            f"/clinician/appointments/{appointment_id}/status?lang=en",
            data={"csrf_token": csrf_token(page), "status": status},
            follow_redirects=True,
        )
        assert refused.status_code == 200
        assert "A session that has not begun cannot be marked done or did not attend." in (
            refused.get_data(as_text=True)
        )
        with _db(client).session() as session:
            assert session.get(Appointment, appointment_id).status is AppointmentStatus.PLANNED  # type: ignore[union-attr]
    # Once its time has begun, it can.
    client.application.extensions["fit_clock"] = lambda: STARTS + dt.timedelta(minutes=5)
    log_in(client, world.therapist_username, PASSWORD)  # eight days on: a new staff session
    page = client.get(page_url + "?lang=en").get_data(as_text=True)
    done = client.post(
        f"/clinician/appointments/{appointment_id}/status?lang=en",
        data={"csrf_token": csrf_token(page), "status": "done"},
    )
    assert done.status_code == 302
    with _db(client).session() as session:
        assert session.get(Appointment, appointment_id).status is AppointmentStatus.DONE  # type: ignore[union-attr]


def test_a_move_into_the_past_is_refused_on_its_row(client: FlaskClient) -> None:
    """A walk moved a session to last week by a slip of the date: it was accepted ("The
    appointment is moved", a questionnaire promised for the new time), and the session sat
    among the past ones as "Planned" with no way to move it back. A time already begun is
    refused on the appointment's row, what was typed kept, and nothing is changed."""
    # 08:00 in Oslo on the day it is now 09:30 UTC (10:30 in Oslo): begun.
    _world, appointment_id, url, html = _refused_move(client, "2026-12-02", "08:00")
    assert "Choose a time that has not passed yet." in html
    assert "The appointment is moved" not in html
    # The problem box takes the focus, and the language links lead back to this page (the
    # move's own URL leads up to the caseload).
    assert '<div class="alert alert-error" role="alert" tabindex="-1" autofocus>' in html
    nav = html.split('class="language-switcher"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{url}?lang=nb"' in nav
    # Later the same day is a move like any other.
    page = client.get(url + "?lang=en").get_data(as_text=True)
    later = client.post(
        f"/clinician/appointments/{appointment_id}/move?lang=en",
        data={"csrf_token": csrf_token(page), "move-day": "2026-12-02", "move-time": "15:00"},
    )
    assert later.status_code == 302
    assert _starts_at(_db(client), appointment_id) == oslo(2026, 12, 2, 15)


def test_a_change_comes_back_at_its_row_and_says_what_was_done_there(
    client: FlaskClient,
) -> None:
    """A keyboard walk came back at the top of the page after each change ("The appointment
    is updated.", naming none) and took 61 presses of Tab to get back to the fourth. The page
    now opens at the changed appointment's row, with the message in that row."""
    _world, appointment_id, url = _booked(client)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    saved = client.post(
        f"/clinician/appointments/{appointment_id}/status?lang=en",
        data={"csrf_token": csrf_token(page), "status": "cancelled"},
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"#appointment-{appointment_id}")
    html = client.get(saved.headers["Location"].split("#", 1)[0] + "?lang=en").get_data(
        as_text=True
    )
    row = html.split(f'<tr id="appointment-{appointment_id}">', 1)[1].split("</tr>", 1)[0]
    assert '<p class="said-here" role="status">The appointment is updated.</p>' in row
    top = html.split("<h1>", 1)[0]
    assert "The appointment is updated." not in top


def test_each_row_names_its_appointment_to_a_screen_reader_and_no_id_repeats(
    client: FlaskClient,
) -> None:
    """A keyboard walk heard "Save status", "Move", "New date" over and over with nothing
    saying which appointment each belonged to, and every row's form repeated the same CSRF
    field id. Each control now carries its row's time (visually hidden)."""
    world, appointment_id, url = _booked(client)
    with _db(client).transaction() as session:
        session.add(Appointment(episode_id=world.episode_id, starts_at=oslo(2026, 12, 17, 9)))
    html = client.get(url + "?lang=en").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    row = html.split(f'<tr id="appointment-{appointment_id}">', 1)[1].split("</tr>", 1)[0]
    named = '<span class="visually-hidden">, 10/12/2026, 09:00</span>'
    for control in ("Save status", "Move", "New date", "New time", "Mark as the last appointment"):
        assert f"{control}{named}" in row, control
