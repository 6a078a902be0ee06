"""The schedule page says when the next questionnaires go, before they go.

Found in a review of a new clinic: the register flow goes to the appointments, the unit's
day-before PHQ-9 was already due for the appointment she typed in, and the SMS left within a
minute; no page had said when the first questionnaire would go. The page now lists what the
rules in use send in the next 14 days, worked out by the scheduler's own rules
(`services/upcoming.py`), and the next tick sends exactly that."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, EpisodeTherapist, Invitation, Staff
from fit_platform.domain.codes import AppointmentStatus, ConsentEventKind, Role
from fit_platform.services.consent import ConsentChange, record_consent
from fit_platform.services.invitations import enqueue_due
from tests.support.clinical import add_consent_event
from tests.support.factories import PASSWORD, World, make_invitation, make_staff, make_world
from tests.support.html import log_in
from tests.support.patient import Patient
from tests.support.scheduling import DAY_BEFORE, OSLO, give_plan
from tests.web.test_send_times import book

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # Monday 10:00 in Oslo


def _section(page: str) -> str:
    return page.split('id="upcoming-heading"', 1)[1].split("</section>", 1)[0]


def _upcoming(page: str) -> list[str]:
    section = _section(page)
    return [" ".join(item.split()) for item in re.findall(r"<li>(.*?)</li>", section, re.S)]


def _therapist_with_a_day_before_plan(client: FlaskClient) -> tuple[Database, World, str]:
    """A patient whose plan sends a PHQ-9 a day before each appointment, her therapist logged
    in at `NOW`; the schedule page's URL in English."""
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    log_in(client, world.therapist_username, PASSWORD)
    return db, world, f"/clinician/episodes/{world.episode_id}/schedule?lang=en"


def test_the_schedule_lists_the_next_questionnaires_and_the_scheduler_sends_those(
    client: FlaskClient,
) -> None:
    db, world, url = _therapist_with_a_day_before_plan(client)
    # No appointment yet: the rule has no occasion, and the page says so.
    empty = client.get(url).get_data(as_text=True)
    assert "Sent in the next 14 days" in empty and _upcoming(empty) == []
    assert "no appointment yet for a rule that follows appointments" in empty

    # Thursday 10:00 and, tomorrow at 09:00, one whose day-before time has passed.
    appointments = f"/clinician/episodes/{world.episode_id}/appointments"
    book(client, appointments, "2026-12-10", "10:00")
    book(client, appointments, "2026-12-08", "09:00")
    page = client.get(url).get_data(as_text=True)
    assert _upcoming(page) == [
        "PHQ-9 · at once · before each appointment",
        "PHQ-9 · 9 Dec 2026, 10:00 · before each appointment",
    ]
    nb = client.get(url.replace("lang=en", "lang=nb")).get_data(as_text=True)
    assert "PHQ-9 · 9. des. 2026, 10:00 · før hver time" in _upcoming(nb)

    # The scheduler, at those times, creates exactly those invitations.
    enqueue_due(db, NOW, zone=OSLO)
    enqueue_due(db, dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC), zone=OSLO)
    with db.session() as session:
        sent = session.scalars(select(Invitation.due_at).order_by(Invitation.due_at)).all()
    assert [t.astimezone(OSLO).strftime("%d %H:%M") for t in sent] == ["07 09:00", "09 10:00"]
    # Nothing left to list for those occasions once they are planned.
    after = client.get(url).get_data(as_text=True)
    assert "9 Dec 2026, 10:00" not in " ".join(_upcoming(after))


def test_a_stored_event_the_rules_cannot_read_never_fails_the_page_or_the_tick(
    client: FlaskClient,
) -> None:
    # Rows the services never write, as an old import or a hand-edited database could leave
    # them (the fuzz suite's world has the first): the page answered 500.
    db, world, url = _therapist_with_a_day_before_plan(client)
    book(client, f"/clinician/episodes/{world.episode_id}/appointments", "2026-12-10", "10:00")
    # A channel change without its channel: left out (the patient's recorded channel holds).
    add_consent_event(db, world, ConsentEventKind.CHANNEL_CHANGED, at=NOW - dt.timedelta(days=1))
    page = client.get(url)
    assert page.status_code == 200
    assert _upcoming(page.get_data(as_text=True)) == [
        "PHQ-9 · 9 Dec 2026, 10:00 · before each appointment"
    ]
    enqueue_due(db, dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC), zone=OSLO)
    with db.session() as session:
        assert len(session.scalars(select(Invitation)).all()) == 1
    # A pause without its end is never read as no pause: nothing is worked out or sent, and
    # the page says so instead of failing.
    add_consent_event(db, world, ConsentEventKind.PAUSED, at=NOW - dt.timedelta(hours=1))
    page = client.get(url)
    assert page.status_code == 200
    assert "They cannot be worked out from this patient's data." in page.get_data(as_text=True)


def test_nothing_is_listed_while_nobody_would_see_the_answers(client: FlaskClient) -> None:
    # The tick asks nothing of a patient whose responsible therapist is inactive in a unit
    # without a lead; the list must not promise sends that will not happen. Read by a
    # therapist the episode is shared with.
    db: Database = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = lambda: NOW
    world = make_world(db)
    give_plan(db, world.episode_id, DAY_BEFORE)
    colleague = make_staff(db, (Role.THERAPIST, world.unit_id))
    with db.transaction() as session:
        session.add(
            EpisodeTherapist(episode_id=world.episode_id, staff_id=colleague.id, responsible=False)
        )
        session.get_one(Staff, world.therapist_id).is_active = False
        session.add(
            Appointment(
                episode_id=world.episode_id,
                starts_at=dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC),
                status=AppointmentStatus.PLANNED,
            )
        )
    log_in(client, colleague.username, PASSWORD)
    page = client.get(f"/clinician/episodes/{world.episode_id}/schedule?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and _upcoming(html) == []
    assert "so nobody would see the answers and no questionnaire is sent" in html
    enqueue_due(db, dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC), zone=OSLO)
    with db.session() as session:
        assert session.scalars(select(Invitation)).all() == []


def test_a_pause_is_the_reason_given_and_the_list_starts_when_it_ends(
    client: FlaskClient,
) -> None:
    """The patient pauses on her link until Thursday; sessions on Wednesday and Saturday.
    The list said "the rules in use have no occasion in that time" under the two planned
    appointments. It now names the pause, lists Friday's questionnaire for Saturday (the
    day after the pause), not Tuesday's, and the scheduler sends exactly that."""
    db, world, url = _therapist_with_a_day_before_plan(client)
    appointments = f"/clinician/episodes/{world.episode_id}/appointments"
    book(client, appointments, "2026-12-09", "10:00")
    book(client, appointments, "2026-12-12", "10:00")
    _invitation, token = make_invitation(db, world, due_at=NOW - dt.timedelta(hours=1))
    patient = Patient(client.application.test_client(), token)
    patient.post(f"/p/{token}", {"action": "choices"})
    paused = patient.post("/p/choices", {"action": "pause", "pause-until": "2026-12-10"})
    assert paused.status_code == 302

    page = client.get(url).get_data(as_text=True)
    section = _section(page)
    assert (
        "The patient has paused feedback: nothing is sent to and including 10 Dec 2026"
        " (questionnaires again from 11 Dec)." in section
    )
    assert "no occasion" not in section
    assert _upcoming(page) == ["PHQ-9 · 11 Dec 2026, 10:00 · before each appointment"]
    for when in (dt.datetime(2026, 12, 8, 9, 0), dt.datetime(2026, 12, 11, 9, 0)):
        enqueue_due(db, when.replace(tzinfo=dt.UTC), zone=OSLO)
    with db.session() as session:
        sent = session.scalars(
            select(Invitation.due_at).where(Invitation.appointment_id.is_not(None))
        ).all()
    assert [t.astimezone(OSLO).strftime("%d %H:%M") for t in sent] == ["11 10:00"]


def test_a_pause_beyond_the_days_shown_or_a_stop_is_the_reason_given(
    client: FlaskClient,
) -> None:
    db, world, url = _therapist_with_a_day_before_plan(client)
    book(client, f"/clinician/episodes/{world.episode_id}/appointments", "2026-12-09", "10:00")
    for change, said in (
        (
            ConsentChange(ConsentEventKind.PAUSED, paused_until=dt.date(2026, 12, 31)),
            "The patient has paused feedback: nothing is sent to and including 31 Dec 2026",
        ),
        (ConsentChange(ConsentEventKind.STOPPED), "The patient has stopped feedback"),
    ):
        record_consent(db, world.patient_id, change, now=NOW, zone=OSLO)
        page = client.get(url).get_data(as_text=True)
        assert said in _section(page) and "no occasion" not in _section(page)
        assert _upcoming(page) == []
