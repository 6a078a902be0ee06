"""The send decision reads the unit's quiet hours itself when its caller has not."""

import datetime as dt
from zoneinfo import ZoneInfo

from fit_platform.db import Database
from fit_platform.db.models import Invitation, Unit
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.messaging import send_window
from tests.support.factories import make_invitation, make_world

OSLO = ZoneInfo("Europe/Oslo")
# 13:00 in Oslo: inside the unit's quiet hours below, outside the default ones (21:00-08:00).
NOW = dt.datetime(2026, 11, 25, 13, 0, tzinfo=OSLO)


def test_a_message_waits_for_the_units_own_quiet_hours_when_the_caller_passes_none(
    db: Database,
) -> None:
    world = make_world(db)
    with db.transaction() as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        unit.quiet_from, unit.quiet_until = "12:00", "14:00"
    invitation, _token = make_invitation(db, world, due_at=NOW, window=dt.timedelta(hours=48))

    with db.transaction() as session:
        row = session.get(Invitation, invitation.id)
        assert row is not None
        decision = send_window.decide(session, row, NOW, DEFAULT_MIN_ANSWER_WINDOW, OSLO)

    assert decision.skip is None
    assert decision.send_at == dt.datetime(2026, 11, 25, 14, 0, tzinfo=OSLO)
