"""A samvalg record written with the patient through a whole session is not lost when the
staff session ends before it is sent (services/kept_typing.py).

The form says "Write this together with the patient"; the session ends after 30 idle minutes,
and typing is not activity the server sees. The record sent after that went to the login page
and its words were gone. They are now kept for the same staff member and given back in the
form after they log in again; nobody else gets them. Time moves on the injected page clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.config import RetentionSettings
from fit_platform.db import Database
from fit_platform.db.models import KeptTyping, SharedDecision
from fit_platform.domain.codes import Role
from fit_platform.scheduler.clock import clean_up
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in, log_in_from
from tests.support.scheduling import Clock

INJECTED = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)  # 10:05 in Oslo
OPTIONS = "Weekly sessions, a group on Tuesdays, or a pause over Easter"
DECISION = "Try the group for six weeks, then look at it together"
KEPT_EN = "What you typed is kept: log in, and it is back in the form to check and save."
GIVEN_BACK_EN = "What you typed before your session ended is back in the form."


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


@pytest.fixture
def clock(app: Flask) -> Clock:
    app.extensions["fit_clock"] = page_clock = Clock(INJECTED)
    return page_clock


def _log_in_at(client: FlaskClient, login_url: str, username: str) -> str:
    return log_in_from(client, login_url, username, PASSWORD)


def _send_after_the_session_ended(client: FlaskClient, world: World, clock: Clock) -> Any:
    """The therapist opens the samvalg form, writes with the patient for 40 minutes, sends."""
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(url + "?lang=en").get_data(as_text=True)
    clock.advance(minutes=40)
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "options_discussed": OPTIONS,
            "decision": DECISION,
            "what_matters": "",
            "review_on": "2026-04-21",
            # "visible_to_patient" unticked: it must come back unticked
        },
    )


def _saved(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(SharedDecision)) or 0)


def test_the_record_typed_when_the_session_ended_is_back_in_the_form_after_login(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    sent = _send_after_the_session_ended(client, world, clock)
    assert sent.status_code == 302 and "/staff/login" in sent.headers["Location"]
    assert _saved(db) == 0
    login_page = client.get(sent.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert KEPT_EN in login_page

    landed = _log_in_at(client, sent.headers["Location"], world.therapist_username)
    assert landed == f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(landed + "?lang=en").get_data(as_text=True)
    assert GIVEN_BACK_EN in form
    assert OPTIONS in form and DECISION in form and 'value="2026-04-21"' in form
    assert 'id="visible_to_patient" name="visible_to_patient" type="checkbox" value="y">' in form
    assert "NOT saved. Send it again." not in form  # the lost-form message is not said too

    # Given back once: the next opening of the form is empty, and nothing is left kept.
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(KeptTyping)) == 0
    assert OPTIONS not in client.get(landed + "?lang=en").get_data(as_text=True)

    saved = client.post(
        landed,
        data={"csrf_token": csrf_token(form), "options_discussed": OPTIONS, "decision": DECISION},
    )
    assert saved.status_code == 302 and _saved(db) == 1


def test_a_colleague_logging_in_on_the_same_computer_gets_an_empty_form(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lise Leder")
    sent = _send_after_the_session_ended(client, world, clock)

    landed = _log_in_at(client, sent.headers["Location"], lead.username)
    form = client.get(landed + "?lang=en").get_data(as_text=True)
    assert "<h1>Samvalg record for" in form  # the lead may record here
    assert OPTIONS not in form and GIVEN_BACK_EN not in form

    # Kept for the therapist, who finds it when she logs in again that day.
    client.post("/staff/logout", data={"csrf_token": csrf_token(form)})
    clock.advance(hours=2)
    log_in(client, world.therapist_username, PASSWORD)
    assert DECISION in client.get(landed + "?lang=en").get_data(as_text=True)


def test_typing_nobody_came_back_for_is_deleted_by_the_clean_up(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    db = _db(app)
    world = make_world(db)
    sent = _send_after_the_session_ended(client, world, clock)
    assert sent.status_code == 302
    retention = RetentionSettings()
    assert clean_up(db, clock.now + dt.timedelta(hours=11), retention, None).typing_forgotten == 0
    assert clean_up(db, clock.now + dt.timedelta(hours=12), retention, None).typing_forgotten == 1
    clock.advance(hours=12)
    landed = _log_in_at(client, sent.headers["Location"], world.therapist_username)
    assert OPTIONS not in client.get(landed + "?lang=en").get_data(as_text=True)


def test_a_withdrawal_reason_is_kept_too(app: Flask, client: FlaskClient, clock: Clock) -> None:
    db = _db(app)
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}/decisions/new"
    form = client.get(url).get_data(as_text=True)
    client.post(
        url, data={"csrf_token": csrf_token(form), "options_discussed": "A", "decision": "B"}
    )
    with db.session() as session:
        decision_id = session.scalars(select(SharedDecision.id)).one()
    withdraw = f"/clinician/episodes/{world.episode_id}/decisions/{decision_id}/withdraw"
    page = client.get(withdraw).get_data(as_text=True)
    clock.advance(minutes=31)
    reason = "Skrevet på feil pasient: gjelder en annen Kari"
    sent = client.post(withdraw, data={"csrf_token": csrf_token(page), "reason": reason})
    assert sent.status_code == 302
    landed = _log_in_at(client, sent.headers["Location"], world.therapist_username)
    assert landed == withdraw
    assert reason in client.get(landed).get_data(as_text=True)
