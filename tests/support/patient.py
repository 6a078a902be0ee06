"""Driving the patient pages from a test client, like a browser with JavaScript off would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Base, Database
from fit_platform.domain.codes import InvitationState
from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from tests.support.factories import World, make_invitation, make_world
from tests.support.html import csrf_token


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def open_invitation(
    db: Database, world: World, instrument_id: str = "phq9", **kwargs: Any
) -> tuple[int, str]:
    """An invitation sent an hour ago that can be answered for two more days."""
    invitation, token = make_invitation(
        db,
        world,
        instrument_id,
        due_at=now() - dt.timedelta(hours=1),
        window=dt.timedelta(hours=49),
        **kwargs,
    )
    return invitation.id, token


class Patient:
    """A patient's browser: opens the link, answers pages, submits."""

    def __init__(self, client: FlaskClient, token: str, lang: str = "en") -> None:
        self.client = client
        self.token = token
        landing = client.get(f"/p/{token}?lang={lang}")
        self.csrf = csrf_token(landing.get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def start(self) -> Any:
        return self.post(f"/p/{self.token}", {"action": "start"})

    def answer_page(self, page: int, answers: dict[str, str]) -> Any:
        return self.post(f"/p/answer/{page}", answers)

    def answer_all(self, instrument_id: str, code: str = "1", **overrides: str) -> None:
        inst = default_instruments()[instrument_id]
        for number, link_ids in enumerate(page_plan(inst), start=1):
            answers = {k: overrides.get(k, code) for k in link_ids}
            response = self.answer_page(number, answers)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    def finish(self, **data: str) -> Any:
        return self.post("/p/finish", data)


def codes_for(instrument_id: str, value: str = "1") -> dict[str, str]:
    inst = default_instruments()[instrument_id]
    return {item.link_id: value for item in inst.items}


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare database state before and after."""
    out = {}
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


def invitation_state(db: Database, invitation_id: int) -> InvitationState:
    from fit_platform.db.models import Invitation

    with db.session() as session:
        return session.get_one(Invitation, invitation_id).state


def saved_answers(db: Database, invitation_id: int) -> dict[str, tuple[float | None, dt.datetime]]:
    """The answers saved for an invitation: link id -> (value, answered at)."""
    from fit_platform.db.models import ItemAnswer, Response

    with db.session() as session:
        rows = session.execute(
            select(ItemAnswer.link_id, ItemAnswer.value, ItemAnswer.answered_at)
            .join(Response, Response.id == ItemAnswer.response_id)
            .where(Response.invitation_id == invitation_id)
        ).all()
    return {link_id: (value, at) for link_id, value, at in rows}


def started_patient(
    app: Any, db: Database, lang: str = "en", instrument_id: str = "phq9"
) -> tuple[Patient, str]:
    """A patient of a new world who has opened her link in `lang` and pressed Start; the
    patient and her link's token."""
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world, instrument_id)
    patient = Patient(app.test_client(), token, lang=lang)
    assert patient.start().status_code == 302
    return patient, token
