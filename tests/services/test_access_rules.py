from __future__ import annotations

from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.append_only import AppendOnlyViolation
from fit_platform.db.models import AccessLog, Episode
from fit_platform.domain.codes import Role
from fit_platform.services.access_control import visible_episodes
from fit_platform.services.access_log import access_history, record_access
from fit_platform.services.presession import presession
from tests.support.clinical import share_episode, viewer
from tests.support.factories import NOW, make_staff, make_unit, make_world


def _visible(db: Database, staff) -> set[int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return set(
            session.scalars(
                select(Episode.id).where(Episode.id.in_(visible_episodes(viewer(staff))))
            )
        )


def test_therapist_sees_only_episodes_they_are_on(db: Database) -> None:
    unit = make_unit(db)
    mine = make_world(db, unit=unit)
    other = make_world(db, unit=unit)
    me = make_staff(db, (Role.THERAPIST, unit.id))
    share_episode(db, mine, me)
    assert _visible(db, me) == {mine.episode_id}
    assert other.episode_id not in _visible(db, me)


def test_therapist_role_in_a_unit_does_not_open_that_units_patients(db: Database) -> None:
    unit = make_unit(db)
    make_world(db, unit=unit)
    colleague = make_staff(db, (Role.THERAPIST, unit.id))
    assert _visible(db, colleague) == set()


def test_unit_lead_sees_their_unit_and_not_another(db: Database) -> None:
    unit, other_unit = make_unit(db), make_unit(db)
    here = make_world(db, unit=unit)
    make_world(db, unit=other_unit)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id))
    assert _visible(db, lead) == {here.episode_id}


def test_service_developer_and_admin_never_see_a_person(db: Database) -> None:
    unit = make_unit(db)
    make_world(db, unit=unit)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    admin = make_staff(db, (Role.ADMIN, None), (Role.ADMIN, unit.id))
    assert _visible(db, developer) == set()
    assert _visible(db, admin) == set()


def test_admin_who_is_also_therapist_sees_own_patients(db: Database) -> None:
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None), (Role.THERAPIST, unit.id))
    world = make_world(db, unit=unit, therapist=admin)
    assert _visible(db, admin) == {world.episode_id}


def test_reading_the_presession_view_writes_one_access_row_with_role_and_unit(
    db: Database,
) -> None:
    world = make_world(db)
    with db.session() as session:
        from fit_platform.db.models import Staff

        therapist = session.get(Staff, world.therapist_id)
        assert therapist is not None
        who = viewer(therapist)
    assert presession(db, who, world.episode_id, now=NOW) is not None
    history = access_history(db, world.patient_id)
    assert len(history) == 1
    assert history[0].role is Role.THERAPIST
    assert history[0].unit_name is not None and history[0].unit_name.startswith("DPS Test")
    assert history[0].action == "presession_view"


def test_a_refused_read_writes_no_access_row(db: Database) -> None:
    world = make_world(db)
    stranger = make_staff(db, (Role.THERAPIST, world.unit_id))
    assert presession(db, viewer(stranger), world.episode_id, now=NOW) is None
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccessLog)) == 0


def test_access_history_does_not_name_the_reader(db: Database) -> None:
    world = make_world(db)
    with db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=NOW,
        )
    (entry,) = access_history(db, world.patient_id)
    assert not hasattr(entry, "staff_id") and not hasattr(entry, "display_name")


def test_access_log_rows_cannot_be_changed_or_deleted(db: Database) -> None:
    world = make_world(db)
    with db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="presession_view",
            now=NOW,
        )
    import pytest

    with pytest.raises(AppendOnlyViolation), db.transaction() as session:
        row = session.scalars(select(AccessLog)).one()
        row.action = "something else"
        session.flush()
