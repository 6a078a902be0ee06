"""The patient's right of access covers groups: each membership and every session the patient
attended are in the administrator's export of their data."""

from __future__ import annotations

import datetime as dt
import json

from fit_platform.db import Database
from fit_platform.db.models import GroupTherapist, TherapyGroup
from fit_platform.domain.codes import Role
from fit_platform.services import group_members, group_sessions, patient_export
from fit_platform.services.access_control import StaffViewer
from tests.support.factories import make_staff, make_world
from tests.support.scheduling import OSLO

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)


def test_the_export_holds_the_patients_groups_and_the_sessions_they_attended(
    db: Database,
) -> None:
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    viewer = StaffViewer(admin.id, frozenset({(Role.ADMIN, None)}))
    with db.transaction() as session:
        # The demo VAS is a draft: attendance is recorded and nothing is sent.
        group = TherapyGroup(
            unit_id=world.unit_id,
            name="Onsdagsgruppa",
            instrument_id="vas_demo",
            created_at=NOW - dt.timedelta(days=7),  # a session is never before its group
        )
        group.therapists = [GroupTherapist(staff_id=world.therapist_id)]
        session.add(group)
        session.flush()
        group_id = group.id
    group_members.add_member(db, viewer, group_id, world.episode_id, NOW)
    recorded = group_sessions.record_session(
        db,
        viewer,
        group_id,
        starts_at=NOW - dt.timedelta(hours=2),
        attended_episode_ids=[world.episode_id],
        now=NOW,
        zone=OSLO,
    )
    assert (recorded.attended, recorded.invited) == (1, 0)

    data = patient_export.export_patient(
        db, patient_id=world.patient_id, unit_id=world.unit_id, staff_id=admin.id, now=NOW
    )
    assert data is not None
    json.dumps(data)
    [episode] = data["episodes"]
    assert episode["groups"] == [
        {
            "group": "Onsdagsgruppa",
            "added_at": NOW.isoformat(),
            "removed_at": None,
            "sessions_attended": [(NOW - dt.timedelta(hours=2)).isoformat()],
        }
    ]
