"""The patient's right of access covers their own plan: every crisis-plan version and every
standing-choice event is in the export, as kept."""

from __future__ import annotations

import datetime as dt
import json

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.domain.own_plan import ChoiceEventKind, ChoiceKind, CrisisPlanText
from fit_platform.services import own_plan, patient_export, plan_versions
from tests.support.factories import make_staff, make_world

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)


def test_the_export_holds_every_plan_version_and_every_choice_event(db: Database) -> None:
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    own_plan.save_crisis_plan(db, world.patient_id, CrisisPlanText(what_helps="Walks"), NOW)
    own_plan.save_crisis_plan(db, world.patient_id, CrisisPlanText(what_helps="Music"), NOW)
    choice = own_plan.change_choice(
        db,
        world.patient_id,
        NOW,
        event=ChoiceEventKind.RECORDED,
        kind=ChoiceKind.ENDED_APPROACH,
        text="ECT",
    )
    own_plan.change_choice(
        db, world.patient_id, NOW, event=ChoiceEventKind.WITHDRAWN, choice_id=choice
    )
    data = patient_export.export_patient(
        db, patient_id=world.patient_id, unit_id=world.unit_id, staff_id=admin.id, now=NOW
    )
    assert data is not None
    json.dumps(data)
    assert [v["what_helps"] for v in data["crisis_plan_versions"]] == ["Walks", "Music"]
    assert [(e["event"], e["choice"], e["text"]) for e in data["standing_choice_events"]] == [
        ("recorded", choice, "ECT"),
        ("withdrawn", choice, "ECT"),
    ]


def test_a_restored_version_says_in_the_export_when_its_source_was_saved(db: Database) -> None:
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    later = NOW + dt.timedelta(hours=2)
    own_plan.save_crisis_plan(db, world.patient_id, CrisisPlanText(what_helps="Walks"), NOW)
    own_plan.save_crisis_plan(db, world.patient_id, CrisisPlanText(what_helps="Music"), later)
    first = plan_versions.patient_versions(db, world.patient_id)[-1]
    restored = plan_versions.restore_version(
        db, world.patient_id, first.version_id, later + dt.timedelta(hours=1)
    )
    assert restored.saved and restored.source == plan_versions.RestoredFrom(1, first.at)
    data = patient_export.export_patient(
        db, patient_id=world.patient_id, unit_id=world.unit_id, staff_id=admin.id, now=later
    )
    assert data is not None
    versions = data["crisis_plan_versions"]
    assert [v["what_helps"] for v in versions] == ["Walks", "Music", "Walks"]
    assert [v["restored_from_at"] for v in versions] == [None, None, versions[0]["at"]]
