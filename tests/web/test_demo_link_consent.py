"""The demo's printed patient link is a send like the scheduler's: it keeps the first patient's
pause or stop and the plan's minimum interval. A restarted demo once printed a new PHQ-9 link
for a patient who had paused, and marked it sent."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, OutboxMessage, Patient
from fit_platform.demo import no_link_reason
from fit_platform.domain.codes import Channel
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.file_drop import FileDropChannel
from fit_platform.services.demo_course import HISTORY_SLOT
from fit_platform.services.demo_link import NoDemoSession, demo_patient_link
from fit_platform.services.demo_patients import seed_demo_patients
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo, seed_demo_schedules
from fit_platform.services.invitations import enqueue_due
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient as PatientBrowser

OSLO = ZoneInfo("Europe/Oslo")
ANNA = "DEMO-P001"


def _start_demo(client: FlaskClient, db: Database, now: dt.datetime) -> str:
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    return demo_patient_link(db, now=now, zone=OSLO)


def _restart_demo(client: FlaskClient, db: Database, now: dt.datetime) -> str:
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    return demo_patient_link(db, now=now, zone=OSLO)


def _anna_answers(client: FlaskClient, link: str) -> PatientBrowser:
    patient = PatientBrowser(client, link.removeprefix("/p/"))
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    return patient


def _therapist_books(client: FlaskClient, db: Database, day: dt.date) -> None:
    with db.session() as session:
        episode_id = session.scalar(
            select(Episode.id).join(Patient).where(Patient.external_id == ANNA)
        )
    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    url = f"/clinician/episodes/{episode_id}/appointments"
    page = client.get(url).get_data(as_text=True)
    booked = client.post(
        url, data={"csrf_token": csrf_token(page), "day": day.isoformat(), "time": "10:30"}
    )
    assert booked.status_code == 302


def _annas_invitations(db: Database) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(Invitation.id)
                .join(Episode, Episode.id == Invitation.episode_id)
                .join(Patient, Patient.id == Episode.patient_id)
                .where(Patient.external_id == ANNA)
                .where(~Invitation.slot_key.startswith(HISTORY_SLOT))
            ).all()
        )


def _unanswered(client: FlaskClient, name: str) -> str:
    page = client.get("/clinician/?lang=en").get_data(as_text=True)
    row = page[page.index(name) :]
    row = row[: row.index("</tr>")]
    return re.search(r'data-label="Waiting for an answer">\s*(\d+)', row).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("hour", [6, 14, 22])
def test_a_restarted_demo_prints_no_link_for_a_patient_who_paused(
    client: FlaskClient, db: Database, hour: int, tmp_path: Path
) -> None:
    started = dt.datetime(2026, 12, 3, hour, 30, tzinfo=OSLO).astimezone(dt.UTC)
    link = _start_demo(client, db, started)
    patient = _anna_answers(client, link)
    until = dt.date(2026, 12, 10)
    paused = patient.post("/p/choices/pause", {"action": "pause", "pause-until": until.isoformat()})
    assert paused.status_code == 302
    client.post("/p/logout", data={"csrf_token": patient.csrf})
    _therapist_books(client, db, dt.date(2026, 12, 7))
    before = _annas_invitations(db)

    restarted = started + dt.timedelta(minutes=20)
    with pytest.raises(NoDemoSession) as refused:
        _restart_demo(client, db, restarted)
    assert refused.value.reason == NoDemoSession.PAUSED
    assert refused.value.until == until
    assert (
        no_link_reason(refused.value, OSLO)
        == "Anna Demo has paused her questionnaires until 2026-12-10. "
        "Log in as terapeut1@demo.fit to see her on the caseload."
    )
    # The scheduler and the dispatcher send her nothing either, through the night and the day.
    outbox = tmp_path / "outbox"
    files = {
        Channel.SMS: FileDropChannel(outbox, "sms"),
        Channel.EMAIL: FileDropChannel(outbox, "email"),
    }
    for hours in (0, 1, 12, 24, 48):
        moment = restarted + dt.timedelta(hours=hours)
        enqueue_due(db, moment, zone=OSLO)

        def clock(m: dt.datetime = moment) -> dt.datetime:
            return m

        Dispatcher(db, files, lambda token: f"/p/{token}", clock=clock).drain()
    assert _annas_invitations(db) == before
    with db.session() as session:
        # Sent by the restarted demo: the history's messages went out in the weeks before.
        sent_to = session.scalars(
            select(OutboxMessage.patient_id).where(OutboxMessage.created_at >= restarted)
        ).all()
    with db.session() as session:
        anna = session.scalar(select(Patient.id).where(Patient.external_id == ANNA))
    assert anna not in sent_to
    assert _unanswered(client, "Anna Demo") == "0"


def test_a_restarted_demo_keeps_the_minimum_interval_then_prints_the_next_link(
    client: FlaskClient, db: Database
) -> None:
    started = dt.datetime(2026, 12, 3, 14, 30, tzinfo=OSLO).astimezone(dt.UTC)
    link = _start_demo(client, db, started)
    patient = _anna_answers(client, link)
    client.post("/p/logout", data={"csrf_token": patient.csrf})
    _therapist_books(client, db, dt.date(2026, 12, 4))
    before = _annas_invitations(db)

    # The demo plan sends no second PHQ-9 within 72 hours of the first.
    with pytest.raises(NoDemoSession) as refused:
        _restart_demo(client, db, started + dt.timedelta(hours=1))
    assert refused.value.reason == NoDemoSession.TOO_SOON
    assert refused.value.until == started + dt.timedelta(hours=72)
    assert "the next may be sent from 2026-12-06 14:30" in no_link_reason(refused.value, OSLO)
    assert _annas_invitations(db) == before

    later = _restart_demo(client, db, started + dt.timedelta(hours=73))
    assert client.get(later).status_code == 200


def test_the_interval_counts_from_when_the_schedulers_phq9_really_went(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    """The scheduler finds the first session's PHQ-9 days after its planned time (the demo
    opens it 90 hours ahead) and sends it at once: the printed link then may not add another
    PHQ-9 within 72 hours of that send, whatever the planned time was."""
    started = dt.datetime(2026, 12, 3, 14, 30, tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: started
    seed_demo(db)
    seed_demo_patients(db, now=started, zone=OSLO)
    seed_demo_schedules(db, now=started, zone=OSLO)
    outbox = tmp_path / "outbox"
    files = {
        Channel.SMS: FileDropChannel(outbox, "sms"),
        Channel.EMAIL: FileDropChannel(outbox, "email"),
    }
    enqueue_due(db, started, zone=OSLO)
    Dispatcher(db, files, lambda token: f"/p/{token}", clock=lambda: started).drain()
    with db.session() as session:
        [(due_at, sent_at)] = session.execute(
            select(Invitation.due_at, Invitation.sent_at)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id == ANNA)
            .where(~Invitation.slot_key.startswith(HISTORY_SLOT))
        ).all()
    # Planned Monday evening, sent Thursday afternoon.
    assert sent_at == started and started - due_at > dt.timedelta(hours=60)
    # The printed link is that same invitation; she answers it. That evening, 72 hours after
    # the planned time but not after the send, the next session's PHQ-9 would be a second one.
    link = demo_patient_link(db, now=started, zone=OSLO)
    patient = _anna_answers(client, link)
    client.post("/p/logout", data={"csrf_token": patient.csrf})
    evening = started + dt.timedelta(hours=6)
    assert evening > due_at + dt.timedelta(hours=72)
    with pytest.raises(NoDemoSession) as refused:
        demo_patient_link(db, now=evening, zone=OSLO)
    assert refused.value.reason == NoDemoSession.TOO_SOON
    assert refused.value.until == started + dt.timedelta(hours=72)
    assert _annas_invitations(db) == 1
