"""A restart reopens the questionnaires a pause cancelled, but only as far as they still fit
what staff changed during the pause. A cancelled questionnaire is outside every rule that
changes open ones, so a restart brought back, as it was: one for a session moved meanwhile
("open again, you can answer until 12:00 tomorrow", withdrawn by the next tick a minute
later), one of a rule switched off (sent at 08:00), one in a unit archived meanwhile (open on
its link for days). Seen walking the demo as patient, therapist and administrator. Through the
seam: the patient pauses and starts again on her own link's pages, the therapist changes the
appointment or the plan on his, the administrator archives the unit on hers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Invitation, OutboxMessage, ScheduleRule
from fit_platform.domain.codes import InvitationState, OutboxState, Role
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.services.enqueue import enqueue_due
from tests.messaging.conftest import SmsEndpoint, sms_endpoint
from tests.support.appointment_moves import move_first_appointment
from tests.support.factories import PASSWORD, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, now, open_invitation
from tests.support.scheduling import OSLO
from tests.support.sent_for_tomorrow import PAGE_NOW, book_and_send_for_tomorrow

__all__ = ["sms_endpoint"]

OPEN_AGAIN = "the questionnaire from this link is open again"


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _db(app: Flask) -> Database:
    return app.extensions["fit_db"]  # type: ignore[no-any-return]


def _state(db: Database, invitation_id: int) -> tuple[InvitationState, str | None]:
    with db.session() as session:
        row = session.get_one(Invitation, invitation_id)
        return row.state, row.non_response_reason


def _pause(patient: Patient, token: str, today: dt.datetime) -> None:
    """Paused for ten days from `today` (the app's clock in the test)."""
    assert patient.post(f"/p/{token}", {"action": "choices"}).headers["Location"] == "/p/choices"
    until = (today + dt.timedelta(days=10)).astimezone(OSLO).date()
    paused = patient.post("/p/choices", {"action": "pause", "pause-until": until.isoformat()})
    assert paused.status_code == 302


def _restart(patient: Patient, token: str) -> str:
    response = patient.post(f"/p/{token}", {"action": "restart"})
    assert response.headers["Location"] == "/p/choices/done"
    return str(patient.client.get("/p/choices/done?lang=en").get_data(as_text=True))


def test_a_session_moved_during_the_pause_is_not_reopened_on_the_old_link(
    client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    db = _db(client.application)
    url, token = book_and_send_for_tomorrow(client, sms_endpoint, sms)
    with db.session() as session:
        [invitation_id] = session.scalars(select(Invitation.id)).all()
    patient = Patient(client.application.test_client(), token)
    _pause(patient, token, PAGE_NOW)

    assert move_first_appointment(client, url, "2026-12-09", "09:00").status_code == 302

    done = _restart(patient, token)
    assert OPEN_AGAIN not in done
    assert _state(db, invitation_id) == (InvitationState.CANCELLED, "appointment_changed")
    landing = patient.client.get(f"/p/{token}?lang=en")
    assert landing.status_code == 410
    assert "appointment was moved or cancelled" in landing.get_data(as_text=True)


@pytest.mark.parametrize(("window_minutes", "open_again"), [(60, True), (300, False)])
def test_a_session_moved_during_the_pause_keeps_the_configured_least_time_to_answer(
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    window_minutes: int,
    open_again: bool,
) -> None:
    """Moved to 13:00 today, the questionnaire sent at 09:05 has 3.5 hours left at the 09:30
    restart: carried over to the moved session with the default hour, withdrawn where the
    service asks for five hours (FIT_MIN_ANSWER_WINDOW_MINUTES), as the appointments page and
    the tick would judge it."""
    app = client.application
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        app.config["FIT_SETTINGS"], min_answer_window_minutes=window_minutes
    )
    db = _db(app)
    url, token = book_and_send_for_tomorrow(client, sms_endpoint, sms)
    with db.session() as session:
        [invitation_id] = session.scalars(select(Invitation.id)).all()
    patient = Patient(app.test_client(), token)
    _pause(patient, token, PAGE_NOW)

    today = PAGE_NOW.astimezone(OSLO).date().isoformat()
    assert move_first_appointment(client, url, today, "13:00").status_code == 302

    done = _restart(patient, token)
    assert (OPEN_AGAIN in done) is open_again
    state = _state(db, invitation_id)
    if open_again:
        assert state == (InvitationState.SENT, None)
        assert patient.client.get(f"/p/{token}?lang=en").status_code == 200
    else:
        assert state == (InvitationState.CANCELLED, "appointment_changed")
        assert patient.client.get(f"/p/{token}?lang=en").status_code == 410


def test_a_questionnaire_of_a_rule_switched_off_during_the_pause_is_not_sent(
    app: Flask,
) -> None:
    db = _db(app)
    world = make_world(db)
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    # A weekly PHQ-9 at 10:00 tomorrow, planned at 09:00 and waiting to be sent.
    schedule = f"/clinician/episodes/{world.episode_id}/schedule"
    tomorrow = dt.datetime.now(OSLO) + dt.timedelta(days=1)
    morning = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    rule = {
        "instrument": "phq9",
        "trigger": "weekly",
        "offset_hours": "0",
        "weekdays": [str(morning.isoweekday())],
        "send_time": "10:00",
        "window_hours": "48",
        "reminder_after_hours": "24",
        "min_interval_hours": "0",
        "active": "y",
    }
    page = therapist.get(schedule + "?lang=en").get_data(as_text=True)
    added = therapist.post(
        schedule,
        data={"new-csrf_token": csrf_token(page), **{f"new-{k}": v for k, v in rule.items()}},
    )
    assert added.status_code == 302
    enqueue_due(db, morning.astimezone(dt.UTC), zone=OSLO, horizon=dt.timedelta(hours=2))
    with db.session() as session:
        [planned] = session.scalars(select(Invitation.id)).all()
        rule_id = session.scalars(select(ScheduleRule.id)).one()
    # The patient pauses from a link she holds (an earlier questionnaire, still open).
    _earlier, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    _pause(patient, token, now())
    assert _state(db, planned)[0] is InvitationState.CANCELLED

    # The therapist switches the rule off (an unticked box), then the patient starts again.
    page = therapist.get(schedule + "?lang=en").get_data(as_text=True)
    prefix = f"rule-{rule_id}-"
    off = {prefix + key: value for key, value in rule.items() if key != "active"}
    switched = therapist.post(
        f"{schedule}/{rule_id}", data={prefix + "csrf_token": csrf_token(page), **off}
    )
    assert switched.status_code == 302
    assert OPEN_AGAIN in _restart(patient, token)  # her own link's questionnaire is back

    assert _state(db, planned) == (InvitationState.CANCELLED, "rule_switched_off")
    with db.session() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.invitation_id == planned)
        ).all()
    assert [message.state for message in waiting] == [OutboxState.CANCELLED]


def test_a_unit_archived_during_the_pause_reopens_nothing(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    _pause(patient, token, now())

    admin = make_staff(db, (Role.ADMIN, None))
    administrator = app.test_client()
    log_in(administrator, admin.username, PASSWORD)
    page = administrator.get(f"/admin/units/{world.unit_id}/archive?lang=en").get_data(as_text=True)
    archived = administrator.post(
        f"/admin/units/{world.unit_id}/archive", data={"csrf_token": csrf_token(page)}
    )
    assert archived.status_code == 302

    assert OPEN_AGAIN not in _restart(patient, token)
    assert _state(db, invitation_id)[0] is InvitationState.CANCELLED
    assert patient.client.get(f"/p/{token}?lang=en").status_code == 410
