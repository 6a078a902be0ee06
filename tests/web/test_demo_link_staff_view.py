"""The demo prints the first patient's link instead of sending a message, and her therapist's
appointments page says so. It once read "PHQ-9 Sendt 04.12.2026, 22:30" above "No messages
yet", in quiet hours the schedule page promises: nothing had been sent to anyone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Invitation, OutboxMessage, Patient
from fit_platform.domain.codes import Channel, InvitationState, OutboxState
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.file_drop import FileDropChannel
from fit_platform.services.demo_course import HISTORY_SLOT
from fit_platform.services.demo_link import demo_patient_link
from fit_platform.services.demo_patients import seed_demo_patients
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo, seed_demo_schedules
from fit_platform.services.invitations import enqueue_due
from tests.support.html import log_in
from tests.support.patient import Patient as PatientBrowser

OSLO = ZoneInfo("Europe/Oslo")
ANNA = "DEMO-P001"

SHOWN = {
    "nb": "Lenke vist i demoen {when}, ingen melding sendt",
    "nn": "Lenkje vist i demoen {when}, inga melding sendt",
    "en": "Link shown in the demo {when}, no message sent",
}
SENT = {"nb": "Sendt {when}", "nn": "Sendt {when}", "en": "Sent {when}"}


def _short(moment: dt.datetime, language: str) -> str:
    """The page's short date and time (Babel's, in Oslo time)."""
    local = moment.astimezone(OSLO)
    return local.strftime("%d/%m/%Y, %H:%M" if language == "en" else "%d.%m.%Y, %H:%M")


def _demo_invitation(db: Database) -> Invitation:
    with db.session() as session:
        invitation = session.scalar(
            select(Invitation)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id == ANNA, Invitation.shown_in_demo.is_(True))
        )
        assert invitation is not None
        session.expunge(invitation)
        return invitation


# Night (the walk-through's 22:30 and 05:38, quiet hours 21-08) and day: a printed link is
# never a message, at any hour.
@pytest.mark.parametrize("started", ["2026-12-04T22:30", "2026-12-04T05:38", "2026-12-03T14:00"])
def test_the_therapist_reads_the_printed_link_as_shown_in_the_demo_not_sent(
    client: FlaskClient, db: Database, started: str, tmp_path: Path
) -> None:
    now = dt.datetime.fromisoformat(started).replace(tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    link = demo_patient_link(db, now=now, zone=OSLO)
    printed = _demo_invitation(db)

    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    url = f"/clinician/episodes/{printed.episode_id}/appointments"
    for language in ("nb", "nn", "en"):
        page = client.get(f"{url}?lang={language}").get_data(as_text=True)
        when = _short(now, language)
        assert SHOWN[language].format(when=when) in page, language
        assert SENT[language].format(when=when) not in page, language
    assert "nothing went to the patient for it" in page
    with db.session() as session:  # the history's questionnaires had messages; this one none
        assert not session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.invitation_id == printed.id)
        ).all()

    # The scheduler, through the night and the next day, sends nothing for the printed slot
    # and makes no second invitation beside it.
    outbox = tmp_path / "outbox"
    files = {
        Channel.SMS: FileDropChannel(outbox, "sms"),
        Channel.EMAIL: FileDropChannel(outbox, "email"),
    }
    for hours in (0, 1, 10, 24):
        moment = now + dt.timedelta(hours=hours)
        enqueue_due(db, moment, zone=OSLO)

        def clock(m: dt.datetime = moment) -> dt.datetime:
            return m

        Dispatcher(db, files, lambda token: f"/p/{token}", clock=clock).drain()
    with db.session() as session:
        assert not session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.invitation_id == printed.id)
        ).all()
        same_slot = session.scalars(
            select(Invitation.id).where(
                Invitation.episode_id == printed.episode_id,
                Invitation.instrument_id == printed.instrument_id,
                Invitation.slot_key == printed.slot_key,
            )
        ).all()
    assert same_slot == [printed.id]

    # The link still works at the hour it was printed, quiet hours or not.
    patient = PatientBrowser(client, link.removeprefix("/p/"))
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    with db.session() as session:
        answered = session.get(Invitation, printed.id)
        assert answered is not None
        assert answered.state is InvitationState.COMPLETED


def test_a_link_printed_for_the_schedulers_held_invitation_is_shown_in_the_demo_not_sent_later(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    # 22:30: the scheduler has made her PHQ-9 first and holds its message for quiet hours;
    # then the demo prints the link. It once opened that invitation but left it "To be sent",
    # and at 08:00 a message with a second link went out for a questionnaire she had answered.
    now = dt.datetime(2026, 12, 4, 22, 30, tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    seed_demo_schedules(db, now=now, zone=OSLO)
    outbox = tmp_path / "outbox"
    files = {
        Channel.SMS: FileDropChannel(outbox, "sms"),
        Channel.EMAIL: FileDropChannel(outbox, "email"),
    }

    def scheduler_tick(moment: dt.datetime) -> None:
        enqueue_due(db, moment, zone=OSLO)
        Dispatcher(db, files, lambda token: f"/p/{token}", clock=lambda: moment).drain()

    scheduler_tick(now)
    with db.session() as session:
        held = session.scalars(
            select(Invitation)
            .join(Episode, Episode.id == Invitation.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Patient.external_id == ANNA, Invitation.instrument_id == "phq9")
            .where(~Invitation.slot_key.startswith(HISTORY_SLOT))
        ).all()
        assert [i.state for i in held] == [InvitationState.SCHEDULED]
        waiting_for = held[0].id
    link = demo_patient_link(db, now=now, zone=OSLO)
    printed = _demo_invitation(db)
    assert printed.id == waiting_for and printed.state is InvitationState.SENT

    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    url = f"/clinician/episodes/{printed.episode_id}/appointments"
    for language in ("nb", "nn", "en"):
        page = client.get(f"{url}?lang={language}").get_data(as_text=True)
        assert SHOWN[language].format(when=_short(now, language)) in page, language
    assert "To be sent" not in page

    # She answers it at once, at night; at 08:00 and through the next day nothing goes out.
    patient = PatientBrowser(client, link.removeprefix("/p/"))
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    for hours in (1, 10, 24):
        scheduler_tick(now + dt.timedelta(hours=hours))
    with db.session() as session:
        states = session.scalars(
            select(OutboxMessage.state).where(OutboxMessage.invitation_id == printed.id)
        ).all()
        assert OutboxState.SENT not in states and OutboxState.QUEUED not in states, states
        answered = session.get(Invitation, printed.id)
        assert answered is not None and answered.state is InvitationState.COMPLETED
