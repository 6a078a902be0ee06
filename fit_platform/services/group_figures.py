"""The figures a group's therapists see: per session, how many attended and answered, the
mean total and the share below the form's cut-off, each cell hidden when fewer than five
patients answered (`domain/groups.py:session_aggregates`). Individual answers never leave.

A session's figures are shown only once its forms have closed (`domain/groups.py:figures_shown`):
while answers still come in, two views a member's answer apart would give that answer away."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db.models import (
    Episode,
    GroupAttendance,
    GroupSession,
    Response,
    TherapyGroup,
)
from fit_platform.domain.codes import ResponseStatus
from fit_platform.domain.groups import (
    GroupAnswer,
    SessionAggregate,
    answers_close_at,
    figures_shown,
    session_aggregates,
)
from fit_platform.domain.instruments import default_instruments


@dataclass(frozen=True)
class SessionRow:
    group_session_id: int
    starts_at: dt.datetime
    aggregate: SessionAggregate
    # None once the forms have closed; else when they close (the figures are held back).
    closes_at: dt.datetime | None


def session_rows(session: Session, group: TherapyGroup, now: dt.datetime) -> list[SessionRow]:
    held = session.execute(
        select(GroupSession.id, GroupSession.starts_at)
        .where(GroupSession.group_id == group.id)
        .order_by(GroupSession.starts_at.desc(), GroupSession.id.desc())
    ).all()
    if not held:
        return []
    ids = [row.id for row in held]
    closed = [row.id for row in held if figures_shown(row.starts_at, now)]
    attendance = session.execute(
        select(GroupAttendance.group_session_id).where(GroupAttendance.group_session_id.in_(ids))
    ).all()
    attended: dict[int, int] = {}
    for row in attendance:
        attended[row.group_session_id] = attended.get(row.group_session_id, 0) + 1
    answers = [
        GroupAnswer(row.group_session_id, row.patient_id, float(row.total))
        for row in session.execute(
            select(GroupAttendance.group_session_id, Episode.patient_id, Response.total)
            .join(Response, Response.invitation_id == GroupAttendance.invitation_id)
            .join(Episode, Episode.id == GroupAttendance.episode_id)
            .where(
                # An open session's answers are never read: its figures are not shown yet.
                GroupAttendance.group_session_id.in_(closed),
                Response.status == ResponseStatus.SUBMITTED,
                Response.scorable.is_(True),
                Response.total.is_not(None),
            )
            .order_by(Response.submitted_at, Response.id)
        )
    ]
    instrument = default_instruments().get(group.instrument_id)
    cutoff = (
        instrument.clinical_cutoff.value
        if instrument is not None and instrument.clinical_cutoff is not None
        else None
    )
    aggregates = session_aggregates(
        [(row.id, attended.get(row.id, 0)) for row in held], answers, cutoff
    )
    return [
        SessionRow(
            row.id,
            row.starts_at,
            aggregate,
            None if row.id in closed else answers_close_at(row.starts_at),
        )
        for row, aggregate in zip(held, aggregates, strict=True)
    ]
