from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import ConsentEvent, Invitation, Patient, Response, Signal
from fit_platform.domain.codes import ConsentState
from fit_platform.domain.quiet_hours import next_send_time
from fit_platform.services.demo_seed import seed_demo, seed_demo_patients, seed_demo_schedules
from fit_platform.services.invitations import enqueue_due

OSLO = ZoneInfo("Europe/Oslo")


def test_demo_patients_are_seeded_once_and_each_start_gives_a_working_link(
    client: FlaskClient, db: Database
) -> None:
    seed_demo(db)
    first = seed_demo_patients(db)
    counts = {}
    with db.session() as session:
        for model in (Patient, Response, Signal, ConsentEvent):
            counts[model] = session.scalar(select(func.count()).select_from(model))
    second = seed_demo_patients(db)
    with db.session() as session:
        for model, n in counts.items():
            assert session.scalar(select(func.count()).select_from(model)) == n
        states = set(session.scalars(select(Patient.consent_state)))
        assert (
            session.scalar(
                select(func.count()).select_from(Signal).where(Signal.code == "risk_answer")
            )
            == 1
        )
    assert states == {ConsentState.ACTIVE, ConsentState.PAUSED, ConsentState.STOPPED}
    assert first != second
    assert counts[Response] == 4 * 16 * 3
    for link in (first, second):
        assert client.get(link).status_code == 200


@pytest.mark.parametrize("wall_clock", ["00:30", "06:00", "09:00", "14:45", "22:30"])
def test_the_demo_outpatients_first_invitation_goes_at_once_or_when_quiet_hours_end(
    db: Database, wall_clock: str
) -> None:
    hour, minute = map(int, wall_clock.split(":"))
    now = dt.datetime(2026, 12, 3, hour, minute, tzinfo=OSLO).astimezone(dt.UTC)
    first_send = next_send_time(now)  # 21:00-08:00 is quiet
    seed_demo(db)
    seed_demo_patients(db, now=now)
    seed_demo_schedules(db, now=now)
    # Both active outpatients get the PHQ-9 for their first session as soon as a message
    # may leave: at once in the day, at 08:00 when the demo starts in quiet hours.
    assert enqueue_due(db, now).invitations == (2 if first_send == now else 0)
    assert enqueue_due(db, first_send).invitations == (0 if first_send == now else 2)
    with db.session() as session:
        due = session.scalars(
            select(Invitation.due_at).where(Invitation.slot_key.not_like("demo:%"))
        ).all()
    assert len(due) == 2
    assert all(d <= first_send for d in due)
