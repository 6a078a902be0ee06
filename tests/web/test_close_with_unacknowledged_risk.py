"""An administrator closing an episode is told when its patient has a risk answer nobody has
acknowledged, and must confirm that the therapist has followed it up.

Closing takes the patient off every caseload at once; the risk signal then reached the unit
lead only on the overdue list a day later. Walking the demo, an episode was closed four
minutes after a risk answer with no word on the page. Followed from the patient's answer,
through the administrator's episodes page, to the episode's state and the audit trail."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Episode, Signal, Staff
from fit_platform.domain.codes import EpisodeStatus, Role
from tests.support.clinical import acknowledge_in_the_view
from tests.support.factories import PASSWORD, World, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation

WARNING = "risk answer nobody has acknowledged"
BOX = "The therapist has followed up the risk answer, and the treatment is over"


def _risk_answer(app: Flask, db: Database, world: World) -> None:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "3"})
    assert saved.headers["Location"].startswith("/p/help")


def _admin(app: Flask, db: Database) -> FlaskClient:
    client = app.test_client()
    log_in(client, make_staff(db, (Role.ADMIN, None)).username, PASSWORD)
    return client


def _close(admin: FlaskClient, world: World, **fields: str) -> tuple[int, str]:
    url = f"/admin/units/{world.unit_id}/episodes"
    token = csrf_token(admin.get(url + "?lang=en").get_data(as_text=True))
    prefix = f"close-{world.episode_id}"
    data = {"csrf_token": token} | {f"{prefix}-{key}": value for key, value in fields.items()}
    response = admin.post(f"{url}/{world.episode_id}/close?lang=en", data=data)
    return response.status_code, response.get_data(as_text=True)


def _status(db: Database, world: World) -> EpisodeStatus:
    with db.session() as session:
        return session.get_one(Episode, world.episode_id).status


def test_an_episode_with_an_unacknowledged_risk_answer_closes_only_when_the_admin_confirms(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _risk_answer(app, db, world)
    admin = _admin(app, db)
    page = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=en").get_data(as_text=True)
    assert f"This patient has 1 {WARNING}" in page and BOX in page

    status, refused = _close(admin, world, reason="Treatment finished")
    assert status == 422
    assert "Ask the therapist to follow it up, or tick the box if they have" in refused
    assert 'aria-invalid="true"' in refused
    assert _status(db, world) is EpisodeStatus.ACTIVE

    status, _page = _close(admin, world, reason="Treatment finished", risk_followed_up="y")
    assert status == 302
    assert _status(db, world) is EpisodeStatus.ENDED
    with db.session() as session:
        row = session.scalars(select(AdminAudit).where(AdminAudit.action == "episode_closed")).one()
        # The signal stays open for the lead; the audit keeps who confirmed it was followed up.
        assert session.scalars(select(Signal.resolved_at)).one() is None
    assert json.loads(row.after or "{}")["risk_followed_up"] is True
    trail = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Confirmed that the therapist followed up a risk answer: Yes" in trail


def test_once_the_therapist_has_acknowledged_it_the_page_asks_nothing(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _risk_answer(app, db, world)
    with db.session() as session:
        signal_id = session.scalars(select(Signal.id)).one()
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    acknowledge_in_the_view(therapist, world, signal_id, "Phoned the patient; safe")

    admin = _admin(app, db)
    page = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=en").get_data(as_text=True)
    assert WARNING not in page and BOX not in page
    status, _page = _close(admin, world)
    assert status == 302 and _status(db, world) is EpisodeStatus.ENDED


def test_with_no_active_therapist_the_page_asks_the_unit_lead_not_the_therapist(
    app: Flask, db: Database
) -> None:
    """The page said "ask the therapist to follow it up first" of a patient whose therapist
    had left (a walk)."""
    world = make_world(db)
    _risk_answer(app, db, world)
    with db.transaction() as session:
        session.get_one(Staff, world.therapist_id).is_active = False
    admin = _admin(app, db)
    page = admin.get(f"/admin/units/{world.unit_id}/episodes?lang=en").get_data(as_text=True)
    assert "and no active therapist" in page and "ask the unit lead to follow it up" in page
    assert "ask the therapist to follow it up" not in page and BOX not in page
    assert "The risk answer has been followed up, and the treatment is over" in page
