"""Patient links: what GET and POST do, and the page each closed or unknown link gets."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from fit_platform.db import Database
from fit_platform.db.models import Invitation, InvitationToken, ItemAnswer, Response
from fit_platform.domain.codes import InvitationState
from tests.support.factories import make_invitation, make_world
from tests.support.patient import Patient, invitation_state, now, open_invitation, snapshot


def test_opening_a_link_three_times_changes_nothing_in_the_database(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    before = snapshot(db)
    for _ in range(3):
        response = client.get(f"/p/{token}")
        assert response.status_code == 200
    assert snapshot(db) == before


def test_the_landing_page_names_the_clinic_the_time_it_takes_and_who_sees_the_answers(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    html = client.get(f"/p/{token}?lang=en").get_data(as_text=True)
    assert "DPS Test" in html
    assert "10 questions" in html and "takes about 2 minutes" in html
    assert "Your therapist at" in html
    # A short form takes "1 minute", not "1 minutes" ("1 minutter" in bokmål).
    _short, short_token = open_invitation(db, world, "vas_demo")
    for lang, said in (
        ("en", "takes about 1 minute."),
        ("nb", "tar omtrent 1 minutt."),
        ("nn", "tek om lag 1 minutt."),
    ):
        short = client.get(f"/p/{short_token}?lang={lang}").get_data(as_text=True)
        assert said in short, lang
    assert 'href="/privacy"' in html
    assert 'hreflang="nn"' in html  # the language switcher
    assert '<form method="post"' in html


def test_the_landing_page_is_in_the_patients_registered_language(
    client: FlaskClient, db: Database
) -> None:
    from fit_platform.domain.codes import Language

    world = make_world(db, language=Language.NYNORSK)
    _invitation_id, token = open_invitation(db, world)
    assert '<html lang="nn">' in client.get(f"/p/{token}").get_data(as_text=True)


def test_posting_start_opens_the_invitation_and_creates_one_response(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    first = patient.start()
    second = patient.start()
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == "/p/answer/1"
    assert token not in first.headers["Location"]
    assert invitation_state(db, invitation_id) is InvitationState.OPENED
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_an_unknown_or_forged_link_gets_a_404_page(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 43, "a" * 300):
        response = client.get(f"/p/{forged}?lang=en")
        assert response.status_code == 404
        assert "We cannot find this link" in response.get_data(as_text=True)


def test_an_expired_link_gets_a_410_page_saying_what_to_do(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation, token = make_invitation(
        db, world, due_at=now() - dt.timedelta(days=3), window=dt.timedelta(hours=48)
    )
    response = client.get(f"/p/{token}?lang=en")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This questionnaire has closed" in html
    assert "you will get a new link" in html


def test_an_expired_link_cannot_be_started_or_answered(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    with db.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(expires_at=now() - dt.timedelta(minutes=1))
        )
    assert patient.answer_page(1, {f"phq9_{i}": "1" for i in range(1, 6)}).status_code == 410
    assert patient.start().status_code == 410
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemAnswer)) == 0


def test_a_completed_link_gets_a_410_page_and_cannot_be_answered_again(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    assert patient.finish().status_code == 302
    response = client.get(f"/p/{token}?lang=en")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "You have already answered this questionnaire" in html
    # The clinic's number in the sentence is one tap away on a phone, as in the clinic bar.
    assert "Questions? Call DPS Test" in html
    assert 'on <a href="tel:+4722000000">+47 22 00 00 00</a>.' in html
    again = Patient(client.application.test_client(), token)
    assert again.start().status_code == 410
    assert again.answer_page(1, {f"phq9_{i}": "3" for i in range(1, 6)}).status_code == 410
    with db.session() as session:
        assert set(session.scalars(select(ItemAnswer.value))) == {0.0}


def test_a_cancelled_link_gets_a_410_page(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.get_one(Invitation, invitation_id).state = InvitationState.CANCELLED
    response = client.get(f"/p/{token}?lang=en")
    assert response.status_code == 410
    assert "This questionnaire has been cancelled" in response.get_data(as_text=True)


def test_a_revoked_token_counts_as_cancelled(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    with db.transaction() as session:
        session.execute(update(InvitationToken).values(revoked_at=now()))
    assert client.get(f"/p/{token}").status_code == 410


@pytest.mark.parametrize("path", ["/p/", "/p/answer/1", "/p/finish", "/p/done", "/p/choices"])
def test_patient_pages_without_an_opened_link_explain_what_to_do(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path + "?lang=en")
    assert response.status_code == 403
    assert "Open the link from your message" in response.get_data(as_text=True)


def test_every_patient_page_is_sent_with_no_store_and_no_referrer(
    client: FlaskClient, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    responses = [
        client.get(f"/p/{token}"),
        client.get("/p/unknown-token-value"),
        patient.start(),
        client.get("/p/answer/1"),
        patient.answer_page(1, {}),
        client.get("/p/choices"),
        client.get("/p/goals"),
    ]
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_token_never_appears_in_logs_during_a_whole_journey(
    app: Flask, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "1", phq9_9="2")
    client.get("/p/help?after=2")
    patient.finish(topic="Talk about sleep", comment="secret words")
    client.get("/p/done")
    client.get(f"/p/{token}")
    patient.post(f"/p/{token}", {"action": "choices"})
    client.get("/p/choices")
    client.get(f"/p/{token}x")
    logged = caplog.text + "".join(
        str(vars(record)) + record.getMessage() for record in caplog.records
    )
    assert caplog.records, "the journey should have logged its steps"
    assert token not in logged
    assert "secret words" not in logged and "Talk about sleep" not in logged


def test_redirects_never_carry_the_token(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    locations = [patient.start().headers["Location"]]
    for action in ("choices", "goals", "progress"):
        locations.append(patient.post(f"/p/{token}", {"action": action}).headers["Location"])
    assert all(token not in location for location in locations)
