"""The consent service refuses a patient's own change once her treatment period has ended, so
no page, old form or crafted request can record a pause, stop, restart, channel change or wish
for fewer that nothing will ever act on. Staff may still record what the patient tells them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import ConsentEvent
from fit_platform.domain.codes import Actor, Channel, ConsentEventKind, Role
from fit_platform.services import episode_close
from fit_platform.services.consent import ConsentChange, ConsentError, record_consent
from tests.support.factories import make_staff, make_world
from tests.support.patient import now, open_invitation
from tests.support.scheduling import OSLO

CHANGES = [
    ConsentChange(ConsentEventKind.PAUSED, paused_until=dt.date.today() + dt.timedelta(days=9)),
    ConsentChange(ConsentEventKind.STOPPED),
    ConsentChange(ConsentEventKind.RESTARTED),
    ConsentChange(ConsentEventKind.FREQUENCY_REDUCED, reason="fewer"),
    ConsentChange(ConsentEventKind.CHANNEL_CHANGED, channel=Channel.SMS),
]


def _events(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ConsentEvent)) or 0


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.kind.value)
def test_a_patients_change_through_a_link_of_a_closed_episode_is_refused(
    db: Database, change: ConsentChange
) -> None:
    world = make_world(db)
    invitation_id, _token = open_invitation(db, world)
    admin = make_staff(db, (Role.ADMIN, None))
    at = now()
    episode_close.close_episode(
        db,
        staff_id=admin.id,
        unit_id=world.unit_id,
        episode_id=world.episode_id,
        today=at.astimezone(OSLO).date(),
        now=at,
    )
    for invitation in (invitation_id, None):
        with pytest.raises(ConsentError) as refused:
            record_consent(
                db, world.patient_id, change, now=at, invitation_id=invitation, zone=OSLO
            )
        assert refused.value.code == "episode_closed"
    assert _events(db) == 0
    # What the patient tells her therapist can still be recorded by staff.
    record_consent(
        db,
        world.patient_id,
        ConsentChange(ConsentEventKind.STOPPED),
        now=at,
        actor=Actor.STAFF,
        staff_id=world.therapist_id,
        zone=OSLO,
    )
    assert _events(db) == 1
