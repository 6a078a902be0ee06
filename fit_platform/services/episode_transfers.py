"""When an episode changed its responsible therapist, read from the admin audit.

A transfer (by an administrator, or the deactivation step's handover) writes one
`episode_transferred` audit row; nothing else records the moment, so every reader of "who was
the therapist then" looks here: the alliance signals (a scale rates one relationship: its
history starts again at the last transfer), the therapist's views (a mark where the therapist
changed, `score_trends`) and the service comments' quarter (who was responsible then).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, EpisodeTherapist

EPISODE_TRANSFERRED = "episode_transferred"


def is_transfer_of(episode_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """An admin audit row that records a transfer of the episode (`episode_id`, a value or a
    bound parameter)."""
    return and_(
        AdminAudit.action == EPISODE_TRANSFERRED,
        AdminAudit.target_kind == "episode",
        AdminAudit.target_id == episode_id,
    )


def transfers_of(episode_id: ColumnElement[int] | int) -> Select[dt.datetime]:
    """The episode's transfers' times, oldest first (a column of `AdminAudit.at`)."""
    return (
        select(AdminAudit.at)
        .where(is_transfer_of(episode_id))
        .order_by(AdminAudit.at, AdminAudit.id)
    )


def transfer_times(session: Session, episode_id: int) -> tuple[dt.datetime, ...]:
    """The episode's transfers, oldest first: one statement."""
    return tuple(session.scalars(transfers_of(episode_id)))


def since_last_transfer(
    submitted_at: InstrumentedAttribute[dt.datetime | None] | ColumnElement[dt.datetime | None],
    episode_id: ColumnElement[int] | int,
) -> ColumnElement[bool]:
    """Submitted after the episode's last transfer (or never transferred), in the same
    statement as the caller's."""
    last = select(func.max(AdminAudit.at)).where(is_transfer_of(episode_id)).scalar_subquery()
    return or_(last.is_(None), submitted_at > last)


def transferred_away(db: Database, *, staff_id: int, episode_id: int) -> dt.datetime | None:
    """When the episode was last transferred away from `staff_id` (who was responsible before
    it and has no link to it now), else None: the page a former therapist's open tab leads
    to says so, instead of "Page not found". Reads the episode's transfers only, no patient
    data, so it logs nothing."""
    with db.session() as session:
        linked = session.scalar(
            select(EpisodeTherapist.staff_id).where(
                EpisodeTherapist.episode_id == episode_id, EpisodeTherapist.staff_id == staff_id
            )
        )
        if linked is not None:
            return None
        rows = session.execute(
            select(AdminAudit.at, AdminAudit.before).where(is_transfer_of(episode_id))
        ).all()
    away = [
        at
        for at, before in rows
        if staff_id in json.loads(before or "{}").get("responsible_staff_ids", [])
    ]
    return max(away, default=None)
