"""The staff-administration rules in the service, on both databases: the last active
administrator stays even when two administrators remove each other at the same moment, and a
withdrawn invitation sends nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import OutboxMessage, Staff, StaffRole
from fit_platform.domain.codes import Channel, OutboxState, Role
from fit_platform.messaging.dispatcher import Dispatcher, staff_invite_link
from fit_platform.messaging.file_drop import FileDropChannel
from fit_platform.services import staff_admin, staff_invites
from fit_platform.services.staff_invites import StaffChangeRefused
from tests.support.factories import make_staff, make_unit

NOW = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)


def test_two_admins_deactivating_each_other_at_once_leave_one_active(db: Database) -> None:
    first = make_staff(db, (Role.ADMIN, None))
    second = make_staff(db, (Role.ADMIN, None))
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def deactivate(actor: int, target: int) -> None:
        barrier.wait()
        try:
            staff_admin.deactivate(db, actor, target, NOW)
            outcomes[actor] = "done"
        except StaffChangeRefused as refused:
            outcomes[actor] = refused.code

    threads = [
        threading.Thread(target=deactivate, args=(first.id, second.id)),
        threading.Thread(target=deactivate, args=(second.id, first.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["done", "last_admin"]
    with db.session() as session:
        active = session.scalars(select(Staff.id).where(Staff.is_active)).all()
    assert len(active) == 1


def test_the_last_admin_keeps_the_all_units_role_and_may_drop_an_old_one_unit_role(
    db: Database,
) -> None:
    """An administrator role for one unit (given by an earlier version) gives no access
    (`codes.SERVICE_WIDE_ROLES`), so it does not keep the service administered."""
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None), (Role.ADMIN, unit.id))
    with db.session() as session:
        all_units, one_unit = session.scalars(
            select(StaffRole.id).where(StaffRole.staff_id == admin.id).order_by(StaffRole.id)
        ).all()
    with pytest.raises(StaffChangeRefused) as refused:
        staff_admin.remove_role(db, admin.id, admin.id, all_units, NOW)
    assert refused.value.code == "last_admin"
    staff_admin.remove_role(db, admin.id, admin.id, one_unit, NOW)
    with pytest.raises(StaffChangeRefused) as refused:
        staff_admin.remove_role(db, admin.id, admin.id, all_units, NOW)
    assert refused.value.code == "last_admin"


def test_a_withdrawn_invitation_is_never_sent(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    staff_id = staff_invites.invite_staff(
        db, admin.id, email="ny@example.org", display_name="Ny Ansatt",
        role=Role.THERAPIST, unit_id=unit.id, now=NOW,
    )  # fmt: skip
    staff_admin.deactivate(db, admin.id, staff_id, NOW)
    dispatcher = Dispatcher(
        db,
        {Channel.EMAIL: FileDropChannel(tmp_path / "outbox", "email")},
        lambda token: token,
        clock=lambda: NOW,
        staff_link_for=staff_invite_link("https://fit.example"),
    )
    result = dispatcher.drain()
    assert result.cancelled == 1 and result.sent == 0
    with db.session() as session:
        assert session.scalars(select(OutboxMessage.state)).one() == OutboxState.CANCELLED
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").rglob("*.*"))
    with pytest.raises(StaffChangeRefused) as refused:
        staff_admin.reactivate(db, admin.id, staff_id, NOW)
    assert refused.value.code == "never_activated"
