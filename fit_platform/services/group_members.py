"""A group's members: who is in the group now, adding a patient of the unit and taking
one out (docs/groups.md; who may, `group_access.py`). Every change writes one log line with
ids only."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, GroupMember, Patient
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.services.access_control import Viewer
from fit_platform.services.group_access import GroupError, led_group

log = logging.getLogger("fit_platform.services.groups")


@dataclass(frozen=True)
class Member:
    episode_id: int
    patient_id: int
    name: str
    # When the episode began: tells two patients of the same name apart in the pickers
    # (the platform stores no birth date).
    started_on: dt.date
    # A member whose episode has ended stays in the group's record but is not offered as
    # attending: nothing can be sent to them, and they no longer attend the programme.
    ended: bool = False


def current_members(session: Session, group_id: int) -> list[Member]:
    rows = session.execute(
        select(
            Episode.id,
            Patient.id,
            Patient.display_name,
            Episode.started_on,
            Episode.status == EpisodeStatus.ENDED,
        )
        .join(GroupMember, GroupMember.episode_id == Episode.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(GroupMember.group_id == group_id, GroupMember.removed_at.is_(None))
        .order_by(Patient.display_name, Episode.id)
    ).all()
    return [Member(*row) for row in rows]


def add_member(
    db: Database, viewer: Viewer, group_id: int, episode_id: int, now: dt.datetime
) -> None:
    """Add the patient of `episode_id` (an active episode in the group's unit) to the group."""
    with db.transaction(now=now) as session:
        group = led_group(session, viewer, group_id)
        if group is None:
            raise GroupError(GroupError.NOT_FOUND)
        episode = session.get(Episode, episode_id)
        if (
            episode is None
            or episode.unit_id != group.unit_id
            or episode.status is not EpisodeStatus.ACTIVE
        ):
            raise GroupError(GroupError.NOT_IN_UNIT)
        member = session.scalar(
            select(GroupMember).where(
                GroupMember.group_id == group_id, GroupMember.episode_id == episode_id
            )
        )
        if member is None:
            session.add(GroupMember(group_id=group_id, episode_id=episode_id, added_at=now))
        elif member.removed_at is not None:
            member.removed_at = None
            member.added_at = now
    log.info(
        "group member added",
        extra={"group_id": group_id, "episode_id": episode_id, "staff_id": viewer.staff_id},
    )


def remove_member(
    db: Database, viewer: Viewer, group_id: int, episode_id: int, now: dt.datetime
) -> None:
    """Take a member out of the group; the sessions they attended stay as recorded."""
    with db.transaction(now=now) as session:
        if led_group(session, viewer, group_id) is None:
            raise GroupError(GroupError.NOT_FOUND)
        member = session.scalar(
            select(GroupMember).where(
                GroupMember.group_id == group_id,
                GroupMember.episode_id == episode_id,
                GroupMember.removed_at.is_(None),
            )
        )
        if member is None:
            raise GroupError(GroupError.NOT_A_MEMBER)
        member.removed_at = now
    log.info(
        "group member removed",
        extra={"group_id": group_id, "episode_id": episode_id, "staff_id": viewer.staff_id},
    )
