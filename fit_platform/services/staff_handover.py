"""What a staff member leaves behind when deactivated, and moving it to a colleague first.

Who may call it: an administrator (the deactivation step of the staff pages). The summary is
counts per unit (open episodes the person is responsible for, their open signals and
unacknowledged risk signals), never a patient: it is not access-logged. Moving the episodes
transfers each one as the unit's episodes page does (`episodes_admin.transfer_in_session`:
one access-log row and one audit row per episode), all of the unit in one transaction.

Deactivating with open episodes stays possible (people leave suddenly); the episodes are then
"unattended" (`services/unattended.py`) and the unit's leads see them and their risk signals.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, Signal, Staff, StaffRole, Unit
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.access_control import holds_therapist_role_in
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.episodes_admin import Therapist, transfer_in_session
from fit_platform.services.registration import clean_line
from fit_platform.services.unattended import unit_has_lead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitLeftBehind:
    unit_id: int
    unit_name: str
    episodes: int
    open_signals: int
    unacknowledged_risk: int
    has_lead: bool
    # The unit's other active behandlere, who the episodes may go to.
    colleagues: tuple[Therapist, ...]


def responsible_episodes(session: Session, staff_id: int, unit_id: int | None = None) -> list[int]:
    """The open episodes `staff_id` is responsible for (in `unit_id`), by id."""
    stmt = (
        select(Episode.id)
        .join(EpisodeTherapist, EpisodeTherapist.episode_id == Episode.id)
        .where(
            EpisodeTherapist.staff_id == staff_id,
            EpisodeTherapist.responsible.is_(True),
            Episode.status == EpisodeStatus.ACTIVE,
        )
        .order_by(Episode.id)
    )
    if unit_id is not None:
        stmt = stmt.where(Episode.unit_id == unit_id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class LeadLeftBehind:
    """A unit `staff_id` is the only active lead of: deactivated, nobody there is told of a
    risk signal not acknowledged in time, and its patients with no active therapist (counted
    without this person, who may be their therapist too) are seen by nobody."""

    unit_id: int
    unit_name: str
    unattended: int


def only_lead_of(db: Database, staff_id: int) -> list[LeadLeftBehind]:
    """The units whose only active lead `staff_id` is, with their open episodes that would
    have no active therapist once the person is gone. Counts, never a patient."""
    other_lead = aliased(StaffRole)
    other_staff = aliased(Staff)
    with db.session() as session:
        units = session.execute(
            select(Unit.id, Unit.name)
            .join(StaffRole, StaffRole.unit_id == Unit.id)
            .where(
                StaffRole.staff_id == staff_id,
                StaffRole.role == Role.UNIT_LEAD,
                ~select(other_lead.id)
                .join(other_staff, other_staff.id == other_lead.staff_id)
                .where(
                    other_lead.unit_id == Unit.id,
                    other_lead.role == Role.UNIT_LEAD,
                    other_lead.staff_id != staff_id,
                    other_staff.is_active.is_(True),
                )
                .exists(),
            )
            .order_by(Unit.name)
        ).all()
        if not units:
            return []
        someone_else = (
            select(EpisodeTherapist.staff_id)
            .join(Staff, Staff.id == EpisodeTherapist.staff_id)
            .where(
                EpisodeTherapist.episode_id == Episode.id,
                EpisodeTherapist.responsible.is_(True),
                EpisodeTherapist.staff_id != staff_id,
                Staff.is_active.is_(True),
                holds_therapist_role_in(EpisodeTherapist.staff_id, Episode.unit_id),
            )
            .exists()
        )
        counts = dict(
            session.execute(
                select(Episode.unit_id, func.count(Episode.id))
                .where(
                    Episode.unit_id.in_([unit_id for unit_id, _name in units]),
                    Episode.status == EpisodeStatus.ACTIVE,
                    ~someone_else,
                )
                .group_by(Episode.unit_id)
            ).all()
        )
    return [LeadLeftBehind(unit_id, name, counts.get(unit_id, 0)) for unit_id, name in units]


def only_lead_by_role(db: Database, staff_id: int, role_id: int) -> LeadLeftBehind | None:
    """The unit, if role `role_id` of `staff_id` is its only active lead's role: taking it
    away leaves the unit as deactivating the person would (`only_lead_of`)."""
    with db.session() as session:
        unit_id = session.scalar(
            select(StaffRole.unit_id).where(
                StaffRole.id == role_id,
                StaffRole.staff_id == staff_id,
                StaffRole.role == Role.UNIT_LEAD,
            )
        )
    if unit_id is None:
        return None
    return next((unit for unit in only_lead_of(db, staff_id) if unit.unit_id == unit_id), None)


def responsible_in_unit(session: Session, staff_id: int, unit_id: int) -> int:
    """How many open episodes of `unit_id` `staff_id` is responsible for: a therapist role
    there is not taken away while any is left (`staff_admin.remove_role`)."""
    return len(responsible_episodes(session, staff_id, unit_id))


def left_behind(db: Database, staff_id: int) -> list[UnitLeftBehind]:
    """Per unit, the open episodes `staff_id` is responsible for and their open signals."""
    with db.session() as session:
        ids = responsible_episodes(session, staff_id)
        if not ids:
            return []
        risk = func.sum(
            case(
                (
                    and_(
                        Signal.code == SignalCode.RISK_ANSWER.value,
                        Signal.acknowledged_at.is_(None),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        signals = {
            unit_id: (count or 0, risky or 0)
            for unit_id, count, risky in session.execute(
                select(Episode.unit_id, func.count(Signal.id), risk)
                .join(Episode, Episode.id == Signal.episode_id)
                .where(Signal.episode_id.in_(ids), Signal.resolved_at.is_(None))
                .group_by(Episode.unit_id)
            )
        }
        units = session.execute(
            select(Unit.id, Unit.name, func.count(Episode.id), unit_has_lead(Unit.id))
            .join(Episode, Episode.unit_id == Unit.id)
            .where(Episode.id.in_(ids))
            .group_by(Unit.id, Unit.name)
            .order_by(Unit.name)
        ).all()
        colleagues: dict[int, list[Therapist]] = {}
        for unit_id, colleague_id, name in session.execute(
            select(StaffRole.unit_id, Staff.id, Staff.display_name)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(
                StaffRole.role == Role.THERAPIST,
                StaffRole.unit_id.in_([unit_id for unit_id, *_ in units]),
                Staff.is_active.is_(True),
                Staff.id != staff_id,
            )
            .order_by(Staff.display_name, Staff.id)
        ):
            if unit_id is not None:
                colleagues.setdefault(unit_id, []).append(Therapist(colleague_id, name))
        return [
            UnitLeftBehind(
                unit_id=unit_id,
                unit_name=name,
                episodes=count,
                open_signals=signals.get(unit_id, (0, 0))[0],
                unacknowledged_risk=signals.get(unit_id, (0, 0))[1],
                has_lead=bool(has_lead),
                colleagues=tuple(colleagues.get(unit_id, [])),
            )
            for unit_id, name, count, has_lead in units
        ]


def hand_over(
    db: Database,
    *,
    admin_id: int,
    staff_id: int,
    unit_id: int,
    to_staff_id: int,
    now: dt.datetime,
    reason: str | None = None,
) -> int:
    """Make `to_staff_id` (an active behandler of the unit) responsible for every open episode
    of `unit_id` that `staff_id` is responsible for. Returns how many moved (0: none left).
    `AdminRefusal` ("not_a_therapist_here") for anyone else; nothing moves then."""
    reason = clean_line(reason, 200) or None
    with db.transaction(now=now) as session:
        if session.get(Staff, staff_id) is None or session.get(Unit, unit_id) is None:
            raise AdminNotFound(staff_id)
        if to_staff_id == staff_id:
            raise AdminRefusal("therapist", "not_a_therapist_here")
        ids = responsible_episodes(session, staff_id, unit_id)
        for episode_id in ids:
            episode = session.get_one(Episode, episode_id)
            transfer_in_session(
                session,
                staff_id=admin_id,
                episode=episode,
                to_staff_id=to_staff_id,
                now=now,
                reason=reason,
            )
    log.info(
        "episodes handed over",
        extra={
            "event": "episodes_handed_over",
            "staff_id": admin_id,
            "from_staff_id": staff_id,
            "to_staff_id": to_staff_id,
            "unit_id": unit_id,
            "episodes": len(ids),
        },
    )
    return len(ids)
