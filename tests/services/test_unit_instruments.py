"""Draft instruments are never scheduled; units enable instruments; a new definition version
never changes a stored score. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    AdminAudit,
    Invitation,
    Response,
    SchedulePlan,
    ScheduleRule,
    Staff,
    UnitInstrument,
)
from fit_platform.domain.codes import Role, ScheduleTrigger
from fit_platform.domain.instruments import INSTRUMENTS_DIR, configure_extra_dirs
from fit_platform.domain.schedulability import NotSchedulable
from fit_platform.services.episode_schedule import InvalidRule, RuleChange, save_rule
from fit_platform.services.invitations import enqueue_due
from fit_platform.services.presession import presession
from fit_platform.services.schedule_plans import copy_template_to_episode
from fit_platform.services.scored_responses import add_scored_response
from fit_platform.services.unit_instruments import (
    CannotEnable,
    enabled_ids,
    schedulable_for_unit,
    set_enabled,
)
from tests.support.clinical import viewer
from tests.support.factories import (
    add_history,
    answers_for_total,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.scheduling import OSLO, RuleSpec, World, oslo

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def _change(instrument_id: str) -> RuleChange:
    return RuleChange(
        instrument_id=instrument_id,
        trigger=ScheduleTrigger.AFTER_APPOINTMENT,
        offset_hours=1,
        weekdays=frozenset(),
        send_time=None,
        window_hours=48,
        reminder_after_hours=None,
        min_interval_hours=0,
        active=True,
    )


@pytest.fixture
def shipped_only() -> Iterator[None]:
    configure_extra_dirs([])
    yield
    configure_extra_dirs([])


def test_a_new_unit_has_every_schedulable_instrument_and_never_the_sai(db: Database) -> None:
    unit = make_unit(db)
    with db.session() as session:
        assert enabled_ids(session, unit.id) == {"phq9", "gad7", "core10", "wai_sr"}
        offered = [i.id for i in schedulable_for_unit(session, unit.id)]
    assert "sai" not in offered and "vas_demo" not in offered


def test_a_therapist_cannot_schedule_the_draft_sai(db: Database) -> None:
    world = make_world(db)
    with pytest.raises(InvalidRule) as refused:
        save_rule(
            db,
            staff_id=world.therapist_id,
            episode_id=world.episode_id,
            rule_id=None,
            change=_change("sai"),
            now=NOW,
        )
    assert refused.value.code == "instrument_draft"
    with db.session() as session:
        assert session.scalars(select(ScheduleRule)).all() == []


def test_an_admin_switch_writes_an_audit_row_and_the_unit_then_refuses_the_instrument(
    db: Database,
) -> None:
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    changed = set_enabled(
        db, staff_id=admin.id, unit_id=world.unit_id, instrument_id="gad7", enabled=False, now=NOW
    )
    assert changed
    with pytest.raises(InvalidRule) as refused:
        save_rule(
            db,
            staff_id=world.therapist_id,
            episode_id=world.episode_id,
            rule_id=None,
            change=_change("gad7"),
            now=NOW,
        )
    assert refused.value.code == "instrument_not_enabled"
    # Asking again for the state it already has changes and records nothing.
    assert not set_enabled(
        db, staff_id=admin.id, unit_id=world.unit_id, instrument_id="gad7", enabled=False, now=NOW
    )
    assert set_enabled(
        db, staff_id=admin.id, unit_id=world.unit_id, instrument_id="gad7", enabled=True, now=NOW
    )
    save_rule(
        db,
        staff_id=world.therapist_id,
        episode_id=world.episode_id,
        rule_id=None,
        change=_change("gad7"),
        now=NOW,
    )
    with db.session() as session:
        audit = session.scalars(select(AdminAudit).order_by(AdminAudit.id)).all()
    assert [(a.action, a.target_id, a.staff_id) for a in audit] == [
        ("unit_instrument_disabled", world.unit_id, admin.id),
        ("unit_instrument_enabled", world.unit_id, admin.id),
    ]
    assert json.loads(audit[0].before or "{}") == {"instrument": "gad7", "enabled": True}
    assert json.loads(audit[0].after or "{}") == {"instrument": "gad7", "enabled": False}


def test_a_draft_cannot_be_enabled_for_a_unit(db: Database) -> None:
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    with pytest.raises(CannotEnable) as refused:
        set_enabled(
            db, staff_id=admin.id, unit_id=unit.id, instrument_id="sai", enabled=True, now=NOW
        )
    assert refused.value.reason is NotSchedulable.DRAFT
    with db.session() as session:
        assert session.get(UnitInstrument, (unit.id, "sai")) is None
        assert session.scalars(select(AdminAudit)).all() == []


def test_the_scheduler_never_invites_to_a_draft_even_when_an_old_rule_names_it(
    db: Database,
) -> None:
    world = World(db)
    rules = [
        RuleSpec("phq9", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24),
        RuleSpec("sai", ScheduleTrigger.BEFORE_APPOINTMENT, offset_hours=24, window_hours=24),
    ]
    _, episode = world.patient_with_episode(rules, [oslo(2026, 11, 24, 13)])
    result = enqueue_due(db, oslo(2026, 11, 23, 13), zone=OSLO)
    assert result.invitations == 1
    assert [i.instrument_id for i in world.invitations(episode)] == ["phq9"]
    enqueue_due(db, oslo(2026, 11, 23, 14), zone=OSLO)
    with db.session() as session:
        assert session.scalars(select(Invitation.instrument_id)).all() == ["phq9"]


def test_an_episode_copy_of_a_template_leaves_out_a_draft_rule(db: Database) -> None:
    world = make_world(db)
    with db.transaction() as session:
        template = SchedulePlan(
            name="Standard",
            unit_id=world.unit_id,
            rules=[
                ScheduleRule(
                    instrument_id=i,
                    trigger=ScheduleTrigger.AFTER_APPOINTMENT,
                    offset_hours=1,
                    window_hours=48,
                )
                for i in ("wai_sr", "sai")
            ],
        )
        session.add(template)
        session.flush()
        plan = copy_template_to_episode(session, template, world.episode_id)
        assert [r.instrument_id for r in plan.rules] == ["wai_sr"]


def test_a_new_version_with_other_scoring_never_changes_a_stored_score(
    db: Database, tmp_path: Path, shipped_only: None
) -> None:
    world = make_world(db)
    (first_id,) = add_history(db, world, [20])
    answers = answers_for_total("phq9", 20)
    # Version 2 reverses item 1: the same answers give another total.
    v2 = json.loads((INSTRUMENTS_DIR / "phq9.json").read_text(encoding="utf-8"))
    v2["version"] = "2.0.0"
    v2["scoring"]["reverseItems"] = ["phq9_1"]
    (tmp_path / "phq9.json").write_text(json.dumps(v2), encoding="utf-8")
    library = configure_extra_dirs([tmp_path])
    assert not library.problems and library.instruments["phq9"].version == "2.0.0"

    with db.transaction() as session:
        second = add_scored_response(
            session,
            episode_id=world.episode_id,
            instrument=library.instruments["phq9"],
            answers=answers,
            when=dt.datetime(2026, 6, 8, 8, tzinfo=dt.UTC),
        )
        second_total, second_id = second.total, second.id
    with db.session() as session:
        first = session.get(Response, first_id)
        assert first is not None
        assert (first.instrument_version, first.scoring_version, first.total) == (
            "1.0.0",
            "1.0.0",
            20,
        )
        staff = session.get(Staff, world.therapist_id)
        assert staff is not None
        staff.roles  # noqa: B018 - load before the session closes
        therapist = viewer(staff)
    assert second_total is not None and second_total != 20
    view = presession(db, therapist, world.episode_id, language="en", now=NOW)
    assert view is not None
    (phq9,) = view.outcome
    assert [(p.response_id, p.total) for p in phq9.points] == [
        (first_id, 20),
        (second_id, second_total),
    ]
