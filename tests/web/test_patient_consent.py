"""Consent from a link page: decline, pause, stop, channel, fewer; one-time codes; goals."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    ConsentEvent,
    Invitation,
    OneTimeCode,
    OutboxMessage,
    PatientGoal,
)
from fit_platform.db.models import (
    Patient as PatientRow,
)
from fit_platform.domain.codes import (
    Channel,
    ConsentEventKind,
    ConsentState,
    InvitationState,
    MessageKind,
    OutboxState,
)
from fit_platform.services import consent, one_time_codes
from tests.support.factories import PASSWORD, World, add_history, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, invitation_state, now, open_invitation
from tests.support.scheduling import OSLO


def queue(db: Database, world: World, invitation_id: int, kind: MessageKind, seq: int = 1) -> None:
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key=f"{invitation_id}:{kind.value}:{seq}",
                patient_id=world.patient_id,
                invitation_id=invitation_id,
                kind=kind,
                sequence=seq,
                channel=Channel.SMS,
                next_attempt_at=now() + dt.timedelta(hours=seq),
            )
        )


def queued_messages(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.QUEUED))
        )


def open_choices(client: FlaskClient, token: str) -> Patient:
    patient = Patient(client, token)
    assert patient.post(f"/p/{token}", {"action": "choices"}).headers["Location"] == "/p/choices"
    return patient


def test_stopping_cancels_every_pending_invitation_and_queued_reminder_at_once(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    later, _ = open_invitation(db, world, "gad7")
    for invitation_id in (current, later):
        queue(db, world, invitation_id, MessageKind.REMINDER, 1)
        queue(db, world, invitation_id, MessageKind.REMINDER, 2)
    patient = open_choices(client, token)
    response = patient.post("/p/choices", {"action": "stop", "stop-reason": "Too many"})
    assert response.headers["Location"] == "/p/choices/done"
    assert queued_messages(db) == []
    assert invitation_state(db, current) is InvitationState.CANCELLED
    assert invitation_state(db, later) is InvitationState.CANCELLED
    with db.session() as session:
        row = session.get_one(PatientRow, world.patient_id)
        assert row.consent_state is ConsentState.STOPPED
        assert not consent.patient_may_be_contacted(session, world.patient_id, dt.date.today())
        event = session.scalars(select(ConsentEvent)).one()
        assert event.kind is ConsentEventKind.STOPPED and event.reason == "Too many"
    page = client.get("/p/choices/done?lang=en").get_data(as_text=True)
    assert "This does not affect your treatment." in page
    assert "Start questionnaires again" in page


def test_a_stopped_patient_can_restart_and_the_history_keeps_both_events(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = open_choices(client, token)
    patient.post("/p/choices", {"action": "stop"})
    assert patient.post("/p/choices", {"action": "restart"}).status_code == 302
    with db.session() as session:
        kinds = session.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)).all()
        assert session.get_one(PatientRow, world.patient_id).consent_state is ConsentState.ACTIVE
    assert kinds == [ConsentEventKind.STOPPED, ConsentEventKind.RESTARTED]


def test_starting_again_from_a_cancelled_link_opens_it_again_until_its_window_closes(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    queue(db, world, current, MessageKind.REMINDER)
    patient = open_choices(client, token)
    until = dt.date.today() + dt.timedelta(days=14)
    patient.post("/p/choices", {"action": "pause", "pause-until": until.isoformat()})
    assert invitation_state(db, current) is InvitationState.CANCELLED
    assert client.get(f"/p/{token}?lang=en").status_code == 410
    # The same day the patient changes their mind, on the cancelled link's own page.
    response = patient.post(f"/p/{token}", {"action": "restart"})
    assert response.headers["Location"] == "/p/choices/done"
    page = client.get("/p/choices/done?lang=en").get_data(as_text=True)
    assert "the questionnaire from this link is open again" in page
    assert 'href="/p/"' in page
    assert invitation_state(db, current) is InvitationState.SENT
    [reminder] = queued_messages(db)  # the reminder waits for its own time again
    assert reminder.kind is MessageKind.REMINDER
    # The link works again, all the way to the therapist's score.
    assert client.get(f"/p/{token}?lang=en").status_code == 200
    assert patient.start().status_code == 302
    patient.answer_all("phq9")
    assert patient.finish().status_code == 302
    assert invitation_state(db, current) is InvitationState.COMPLETED


def test_pausing_until_a_date_cancels_what_is_due_and_contact_resumes_after_it(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    queue(db, world, current, MessageKind.REMINDER)
    until = dt.date.today() + dt.timedelta(days=14)
    patient = open_choices(client, token)
    response = patient.post("/p/choices", {"action": "pause", "pause-until": until.isoformat()})
    assert response.status_code == 302
    assert queued_messages(db) == []
    assert invitation_state(db, current) is InvitationState.CANCELLED
    assert not consent.may_contact(ConsentState.PAUSED, until, until)
    assert consent.may_contact(ConsentState.PAUSED, until, until + dt.timedelta(days=1))
    # The scheduler's clock, the day after the pause:
    resumed = consent.resume_ended_pauses(db, now() + dt.timedelta(days=15), zone=OSLO)
    assert resumed == 1
    with db.session() as session:
        row = session.get_one(PatientRow, world.patient_id)
        assert row.consent_state is ConsentState.ACTIVE and row.paused_until is None
        kinds = session.scalars(select(ConsentEvent.kind).order_by(ConsentEvent.id)).all()
    assert kinds == [ConsentEventKind.PAUSED, ConsentEventKind.RESUMED]


def test_the_pause_confirmation_counts_the_waiting_messages_it_cancelled(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    queue(db, world, current, MessageKind.REMINDER, 1)
    queue(db, world, current, MessageKind.REMINDER, 2)
    until = dt.date.today() + dt.timedelta(days=14)
    patient = open_choices(client, token)
    patient.post("/p/choices/pause", {"pause-until": until.isoformat()})
    page = client.get("/p/choices/done?lang=en").get_data(as_text=True)
    assert "Questionnaires are paused until" in page
    assert "2 messages that were waiting to be sent have been cancelled." in page
    assert "Messages already waiting" not in page
    for lang, text in (
        ("nb", "2 meldinger som lå klare til sending, er stoppet."),
        ("nn", "2 meldingar som låg klare til sending, er stoppa."),
    ):
        assert text in client.get(f"/p/choices/done?lang={lang}").get_data(as_text=True)


def test_the_pause_confirmation_says_nothing_of_cancelled_messages_when_none_waited(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _current, token = open_invitation(db, world)
    until = dt.date.today() + dt.timedelta(days=14)
    patient = open_choices(client, token)
    patient.post("/p/choices/pause", {"pause-until": until.isoformat()})
    for lang, words in (
        ("en", ("cancelled", "waiting")),
        ("nb", ("stoppet", "sending")),
        ("nn", ("stoppa", "sending")),
    ):
        page = client.get(f"/p/choices/done?lang={lang}").get_data(as_text=True)
        assert 'role="status"' in page
        status = page.split('role="status"', 1)[1].split("</div>", 1)[0]
        assert not any(word in status for word in words), (lang, status)


def test_a_pause_date_in_the_past_or_malformed_gets_an_error(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = open_choices(client, token)
    for bad in ("2001-01-01", "not a date", ""):
        response = patient.post("/p/choices?lang=en", {"action": "pause", "pause-until": bad})
        assert response.status_code == 422
        assert 'href="#pause-until"' in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(ConsentEvent)).all() == []


def test_declining_closes_only_this_questionnaire(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    other, _ = open_invitation(db, world, "gad7")
    queue(db, world, current, MessageKind.REMINDER)
    queue(db, world, other, MessageKind.REMINDER)
    patient = open_choices(client, token)
    patient.post("/p/choices", {"action": "decline", "decline-reason": "Busy week"})
    assert invitation_state(db, current) is InvitationState.DECLINED
    assert invitation_state(db, other) is InvitationState.SENT
    assert [m.invitation_id for m in queued_messages(db)] == [other]
    assert client.get(f"/p/{token}").status_code == 410


def test_changing_channel_moves_queued_messages_and_refuses_a_missing_address(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    current, token = open_invitation(db, world)
    queue(db, world, current, MessageKind.REMINDER)
    patient = open_choices(client, token)
    assert (
        patient.post("/p/choices", {"action": "channel", "channel-channel": "email"}).status_code
        == 302
    )
    assert [m.channel for m in queued_messages(db)] == [Channel.EMAIL]
    with db.transaction() as session:
        session.get_one(PatientRow, world.patient_id).phone_e164 = None
    response = patient.post("/p/choices?lang=en", {"action": "channel", "channel-channel": "sms"})
    assert response.status_code == 422
    assert "We have no mobile number for you" in response.get_data(as_text=True)


def test_asking_for_fewer_questionnaires_is_recorded_for_the_therapist(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = open_choices(client, token)
    patient.post("/p/choices", {"action": "fewer", "fewer-reason": "Every other week"})
    with db.session() as session:
        event = session.scalars(select(ConsentEvent)).one()
    assert event.kind is ConsentEventKind.FREQUENCY_REDUCED and event.reason == "Every other week"


def test_progress_later_needs_a_one_time_code_that_works_once(app: Flask, db: Database) -> None:
    world = make_world(db)
    add_history(db, world, [19, 11])
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.COMPLETED
    client = app.test_client()
    patient = Patient(client, token)
    assert client.get("/p/progress").status_code == 403
    patient.post(f"/p/{token}", {"action": "progress"})
    page = client.get("/p/progress?lang=en")
    assert page.status_code == 200 and "Send me a code" in page.get_data(as_text=True)
    patient.post("/p/progress", {"action": "send"})
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.kind is MessageKind.ONE_TIME_CODE
    # What the dispatcher does when it sends the message:
    with db.transaction() as session:
        code = one_time_codes.mint_code(session, world.patient_id, now())
    with db.session() as session:
        assert code not in session.scalars(select(OneTimeCode.code_hash)).one()
    wrong = "000000" if code != "000000" else "111111"
    assert (
        patient.post("/p/progress", {"action": "verify", "verify-code": wrong}).status_code == 422
    )
    assert patient.post("/p/progress", {"action": "verify", "verify-code": code}).status_code == 302
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    assert "Your score has gone down from 19 to 11 since you started." in html
    assert not one_time_codes.verify_code(db, world.patient_id, code, now())


def test_one_time_codes_are_rate_limited_and_stop_after_five_wrong_tries(db: Database) -> None:
    world = make_world(db)
    moment = now()
    outcomes = [
        one_time_codes.request_code(db, world.patient_id, moment + dt.timedelta(minutes=i)).outcome
        for i in range(4)
    ]
    assert outcomes[-1] is one_time_codes.CodeRequestOutcome.RATE_LIMITED
    with db.transaction() as session:
        code = one_time_codes.mint_code(session, world.patient_id, moment)
    for _ in range(5):
        assert not one_time_codes.verify_code(db, world.patient_id, "99999x", moment)
    assert not one_time_codes.verify_code(db, world.patient_id, code, moment)
    later = moment + one_time_codes.CODE_TTL + dt.timedelta(seconds=1)
    with db.transaction() as session:
        fresh = one_time_codes.mint_code(session, world.patient_id, moment)
    assert not one_time_codes.verify_code(db, world.patient_id, fresh, later)


def test_goals_are_written_changed_and_removed_in_the_patients_own_words(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.post(f"/p/{token}", {"action": "goals"})
    assert (
        patient.post("/p/goals", {"action": "add", "new-text": "Sleep better"}).status_code == 302
    )
    with db.session() as session:
        goal = session.scalars(select(PatientGoal)).one()
    edit = {"action": "edit", "goal": str(goal.id), f"goal{goal.id}-text": "Sleep 7 hours"}
    assert patient.post("/p/goals", edit).status_code == 302
    page = client.get("/p/goals").get_data(as_text=True)
    assert "Sleep 7 hours" in page
    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    presession = f"/clinician/episodes/{world.episode_id}?lang=en"
    assert "Sleep 7 hours" in therapist.get(presession).get_data(as_text=True)
    archive = {
        "action": "archive",
        "goal": str(goal.id),
        f"archive{goal.id}-csrf_token": patient.csrf,
    }
    assert patient.post("/p/goals", archive).status_code == 302
    with db.session() as session:
        row = session.get_one(PatientGoal, goal.id)
    assert row.text == "Sleep 7 hours" and row.archived_at is not None
    removed = client.get("/p/goals?lang=en").get_data(as_text=True)
    assert "Sleep 7 hours" not in removed
    # What she is told is what her therapist sees: the goal is gone from the view too.
    told = "The goal is removed from your list and from what your therapist reads before"
    assert told in removed
    assert "Sleep 7 hours" not in therapist.get(presession).get_data(as_text=True)
    too_long = patient.post("/p/goals?lang=en", {"action": "add", "new-text": "x" * 501})
    assert too_long.status_code == 422


def test_a_stopped_patient_is_offered_only_what_her_choices_page_has(
    client: FlaskClient, db: Database
) -> None:
    """After a stop, the closed link's page offered "Pause, stop or change how we contact
    you" and every page's footer "Say no, pause or stop questionnaires", while her choices
    page offers only a restart and the channel."""
    world = make_world(db)
    _current, token = open_invitation(db, world)
    patient = open_choices(client, token)
    patient.post("/p/choices", {"action": "stop"})
    closed = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "Pause, stop or change how we contact you" not in closed
    assert "Change how we contact you" in closed and "Start questionnaires again" in closed
    done = client.get("/p/choices/done?lang=en").get_data(as_text=True)
    assert "Say no, pause or stop questionnaires" not in done
    assert "Start questionnaires again, or change how we contact you" in done
    choices = client.get("/p/choices?lang=en").get_data(as_text=True)
    assert 'value="pause"' not in choices and 'value="stop"' not in choices
