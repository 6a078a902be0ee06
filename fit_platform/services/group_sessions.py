"""Recording a group session and who attended, and inviting the members who attended to the
group form through the scheduler's own invitation and outbox insert (docs/groups.md).

Who may: the group's therapists and administrators (`groups.led_group`). Consent, quiet hours
and the time left to answer are decided by the same domain rules as for every scheduled form
(`domain/groups.py:group_form_invitation`); the dispatcher checks consent again when it sends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    GroupAttendance,
    GroupSession,
    Invitation,
    Patient,
    TherapyGroup,
    Unit,
)
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.domain.groups import CLOCK_SLACK, group_form_invitation, group_slot_key
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.schedulability import is_schedulable
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.access_control import Viewer
from fit_platform.services.enqueue_insert import Due, insert_due
from fit_platform.services.group_access import GroupError, led_group
from fit_platform.services.group_members import current_members
from fit_platform.services.invitation_common import consent_by_patient
from fit_platform.services.schedule_plans import quiet_hours_of

log = logging.getLogger("fit_platform.services.groups")


@dataclass(frozen=True)
class RecordedSession:
    group_session_id: int
    attended: int
    invited: int


def record_session(
    db: Database,
    viewer: Viewer,
    group_id: int,
    *,
    starts_at: dt.datetime,
    attended_episode_ids: Iterable[int],
    now: dt.datetime,
    zone: ZoneInfo,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> RecordedSession:
    """Record a group session and who attended, and invite each attending member to the
    group form through the same invitation and outbox rows as every scheduled form.

    A member gets an invitation only when their consent allows sending now (declined,
    paused and stopped patients get nothing), their episode is active, the unit is not
    archived and the form's window after the session is still open. The message waits for
    the unit's quiet hours like any other; the dispatcher checks consent and the send window
    again when it sends. Logs ids and counts only.
    """
    attended = sorted(set(attended_episode_ids))
    if not attended:
        raise GroupError(GroupError.NO_ONE_ATTENDED)
    if starts_at > now + CLOCK_SLACK:
        raise GroupError(GroupError.IN_THE_FUTURE)
    try:
        return _record_session(db, viewer, group_id, starts_at, attended, now, zone, min_window)
    except IntegrityError:
        # A second submit of the same form that raced the first past the check below: the
        # unique (group, start) key let only one through.
        raise GroupError(GroupError.ALREADY_RECORDED) from None


def _record_session(
    db: Database,
    viewer: Viewer,
    group_id: int,
    starts_at: dt.datetime,
    attended: Sequence[int],
    now: dt.datetime,
    zone: ZoneInfo,
    min_window: dt.timedelta,
) -> RecordedSession:
    with db.transaction(now=now) as session:
        group = led_group(session, viewer, group_id)
        if group is None:
            raise GroupError(GroupError.NOT_FOUND)
        members = {m.episode_id: m for m in current_members(session, group_id)}
        if not set(attended) <= set(members):
            raise GroupError(GroupError.NOT_A_MEMBER)
        if session.scalar(
            select(GroupSession.id).where(
                GroupSession.group_id == group_id, GroupSession.starts_at == starts_at
            )
        ):
            raise GroupError(GroupError.ALREADY_RECORDED)
        held = GroupSession(
            group_id=group_id, starts_at=starts_at, recorded_by=viewer.staff_id, created_at=now
        )
        session.add(held)
        session.flush()
        due = _due_for_attendance(session, group, held, attended, now, zone, min_window)
        insert_due(session, due, now)
        invitations = _invitation_ids(session, group.instrument_id, held.id, attended)
        for episode_id in attended:
            session.add(
                GroupAttendance(
                    group_session_id=held.id,
                    episode_id=episode_id,
                    invitation_id=invitations.get(episode_id),
                )
            )
        session_id = held.id
    invited = sum(1 for d in due if d.invitation.skipped is None)
    log.info(
        "group session recorded",
        extra={
            "group_id": group_id,
            "group_session_id": session_id,
            "attended": len(attended),
            "invitations": invited,
            "staff_id": viewer.staff_id,
        },
    )
    return RecordedSession(session_id, len(attended), invited)


def _due_for_attendance(
    session: Session,
    group: TherapyGroup,
    held: GroupSession,
    attended: Sequence[int],
    now: dt.datetime,
    zone: ZoneInfo,
    min_window: dt.timedelta,
) -> list[Due]:
    unit = session.get(Unit, group.unit_id)
    if unit is None or unit.archived_at is not None:
        return []  # an archived unit sends nothing new (docs/administration.md)
    if not is_schedulable(default_instruments().get(group.instrument_id)):
        # The form's file was removed or retired since the group was created: attendance is
        # recorded, nothing is sent (as the scheduler skips a rule naming such a form).
        log.warning(
            "group form cannot be sent; attendance recorded without invitations",
            extra={"group_id": group.id, "instrument_id": group.instrument_id},
        )
        return []
    rows = session.execute(
        select(Episode.id, Episode.patient_id, Patient.preferred_channel)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.id.in_(attended), Episode.status == EpisodeStatus.ACTIVE)
    ).all()
    consents = consent_by_patient(
        session,
        {row.patient_id for row in rows},
        {row.patient_id: row.preferred_channel for row in rows},
    )
    quiet = quiet_hours_of(unit.quiet_from, unit.quiet_until)
    result = []
    for row in rows:
        consent = consents[row.patient_id]
        invitation = group_form_invitation(
            episode_id=row.id,
            instrument_id=group.instrument_id,
            group_session_id=held.id,
            session_starts_at=held.starts_at,
            consent=consent,
            now=now,
            quiet=quiet,
            min_window=min_window,
            tz=zone,
        )
        if invitation is not None:
            result.append(Due(invitation, None, row.patient_id, consent.channel))
    return result


def _invitation_ids(
    session: Session, instrument_id: str, group_session_id: int, episode_ids: Sequence[int]
) -> dict[int, int]:
    rows = session.execute(
        select(Invitation.episode_id, Invitation.id).where(
            Invitation.episode_id.in_(episode_ids),
            Invitation.instrument_id == instrument_id,
            Invitation.slot_key == group_slot_key(group_session_id),
        )
    ).all()
    return {row.episode_id: row.id for row in rows}
