"""Creating a group in a day programme: the units, therapists and group forms the form
offers, and the new group itself (docs/groups.md; who may, `group_access.py`). Logs ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import GroupTherapist, Staff, StaffRole, TherapyGroup, Unit
from fit_platform.domain.codes import Role
from fit_platform.domain.instruments import Instrument, RecommendedUse
from fit_platform.services.access_control import Viewer
from fit_platform.services.group_access import GroupError, units_where_may_create
from fit_platform.services.unit_instruments import schedulable_for_unit

log = logging.getLogger("fit_platform.services.groups")

NAME_MAX = 200


def group_forms(session: Session, unit_id: int) -> list[Instrument]:
    """The forms a group in this unit may use: enabled for the unit, schedulable, and meant
    for after a group session."""
    return [
        instrument
        for instrument in schedulable_for_unit(session, unit_id)
        if instrument.recommended_use is RecommendedUse.AFTER_GROUP_SESSION
    ]


@dataclass(frozen=True)
class UnitChoice:
    """A unit a new group can belong to, with its therapists and group forms."""

    unit_id: int
    name: str
    therapists: tuple[tuple[int, str], ...]
    forms: tuple[Instrument, ...]


def new_group_choices(db: Database, viewer: Viewer) -> list[UnitChoice]:
    """The units `viewer` may create a group in (not archived), with what the form offers."""
    allowed = units_where_may_create(viewer)
    with db.session() as session:
        query = select(Unit).where(Unit.archived_at.is_(None)).order_by(Unit.name)
        if allowed is not None:
            query = query.where(Unit.id.in_(allowed or {0}))
        result = []
        for unit in session.scalars(query):
            therapists = session.execute(
                select(Staff.id, Staff.display_name)
                .join(StaffRole, StaffRole.staff_id == Staff.id)
                .where(
                    StaffRole.role == Role.THERAPIST,
                    StaffRole.unit_id == unit.id,
                    Staff.is_active.is_(True),
                )
                .order_by(Staff.display_name, Staff.id)
            ).all()
            result.append(
                UnitChoice(
                    unit.id,
                    unit.name,
                    tuple((row.id, row.display_name) for row in therapists),
                    tuple(group_forms(session, unit.id)),
                )
            )
    return result


def create_group(
    db: Database,
    viewer: Viewer,
    *,
    unit_id: int,
    name: str,
    instrument_id: str,
    therapist_ids: Iterable[int],
    now: dt.datetime,
) -> int:
    """Create a group in `unit_id` led by `therapist_ids` (therapists of that unit); returns
    its id. Only a therapist of the unit or an administrator may. Logs ids only."""
    name = name.strip()
    leaders = sorted(set(therapist_ids))
    if not name:
        raise GroupError(GroupError.NAME_REQUIRED)
    if len(name) > NAME_MAX:
        raise GroupError(GroupError.NAME_REQUIRED)
    if not leaders:
        raise GroupError(GroupError.NO_THERAPIST)
    allowed = units_where_may_create(viewer)
    if allowed is not None and unit_id not in allowed:
        raise GroupError(GroupError.NOT_FOUND)
    try:
        group_id = _insert_group(db, viewer, unit_id, name, instrument_id, leaders, now)
    except IntegrityError:
        # The same name saved at the same moment (a double submit): the unique key decided.
        raise GroupError(GroupError.NAME_TAKEN) from None
    log.info(
        "group created",
        extra={"group_id": group_id, "unit_id": unit_id, "staff_id": viewer.staff_id},
    )
    return group_id


def _insert_group(
    db: Database,
    viewer: Viewer,
    unit_id: int,
    name: str,
    instrument_id: str,
    leaders: Sequence[int],
    now: dt.datetime,
) -> int:
    with db.transaction(now=now) as session:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.archived_at is not None:
            raise GroupError(GroupError.NOT_FOUND)
        if instrument_id not in {form.id for form in group_forms(session, unit_id)}:
            raise GroupError(GroupError.NO_FORM)
        unit_therapists = set(
            session.scalars(
                select(StaffRole.staff_id).where(
                    StaffRole.role == Role.THERAPIST, StaffRole.unit_id == unit_id
                )
            )
        )
        if not set(leaders) <= unit_therapists:
            raise GroupError(GroupError.NOT_A_THERAPIST)
        # "Ærlig Tale" and "ærlig tale" are the same group to the people choosing among them.
        # Compared with casefold here, not SQL lower(): SQLite's lower() folds ASCII only, so
        # Æ, Ø and Å would differ there and not on PostgreSQL. A unit has few groups.
        existing = session.scalars(
            select(TherapyGroup.name).where(TherapyGroup.unit_id == unit_id)
        ).all()
        if name.casefold() in {other.casefold() for other in existing}:
            raise GroupError(GroupError.NAME_TAKEN)
        group = TherapyGroup(
            unit_id=unit_id,
            name=name,
            instrument_id=instrument_id,
            created_by=viewer.staff_id,
            created_at=now,
        )
        group.therapists = [GroupTherapist(staff_id=staff_id) for staff_id in leaders]
        session.add(group)
        session.flush()
        return group.id
