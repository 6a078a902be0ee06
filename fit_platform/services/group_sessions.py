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

from sqlalchemy import func, select
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
from fit_platform.domain.groups import (
    CLOCK_SLACK,
    group_form_invitation,
    group_form_open,
    group_slot_key,
)
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


# Why nobody who attended gets the form, when that does not depend on a member's consent.
WINDOW_OVER = "window_over"  # recorded after the form's 48 hours to answer had passed
UNIT_ARCHIVED = "unit_archived"
FORM_UNAVAILABLE = "form_unavailable"  # the form was removed, retired or made draft
# No session is recorded before this: a date so old is a typing error, not a session.
EARLIEST_SESSION_YEAR = 2000


@dataclass(frozen=True)
class RecordedSession:
    """What recording a session did. ``invited`` counts the invitations made; the page does
    not show it (with ``attended`` it would tell a group therapist that a member paused or
    stopped feedback), but the reasons that do not depend on consent are shown: ``nobody``
    (why no one gets the form), ``ended`` (attending members whose episode is over) and
    ``too_little_time`` (invitations recorded as not sent: too little time left to answer)."""

    group_session_id: int
    attended: int
    invited: int
    nobody: str | None = None
    ended: int = 0
    too_little_time: int = 0


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
    if starts_at.astimezone(zone).year < EARLIEST_SESSION_YEAR:
        raise GroupError(GroupError.TOO_OLD)
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
        if starts_at.astimezone(zone).date() < group.created_at.astimezone(zone).date():
            # The group did not exist then; its members and therapists were not its own.
            raise GroupError(GroupError.BEFORE_THE_GROUP)
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
        due, nobody = _due_for_attendance(session, group, held, attended, now, zone, min_window)
        still_active = session.execute(
            select(func.count(Episode.id)).where(
                Episode.id.in_(attended), Episode.status == EpisodeStatus.ACTIVE
            )
        ).scalar_one()
        ended = len(attended) - still_active
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
    too_little_time = len(due) - invited
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
    return RecordedSession(
        session_id,
        len(attended),
        invited,
        nobody=nobody,
        ended=ended if nobody is None else 0,
        too_little_time=too_little_time,
    )


def _due_for_attendance(
    session: Session,
    group: TherapyGroup,
    held: GroupSession,
    attended: Sequence[int],
    now: dt.datetime,
    zone: ZoneInfo,
    min_window: dt.timedelta,
) -> tuple[list[Due], str | None]:
    """The invitations to insert, and why there are none when that holds for everyone."""
    unit = session.get(Unit, group.unit_id)
    if unit is None or unit.archived_at is not None:
        return [], UNIT_ARCHIVED  # an archived unit sends nothing new (docs/administration.md)
    if not is_schedulable(default_instruments().get(group.instrument_id)):
        # The form's file was removed or retired since the group was created: attendance is
        # recorded, nothing is sent (as the scheduler skips a rule naming such a form).
        log.warning(
            "group form cannot be sent; attendance recorded without invitations",
            extra={"group_id": group.id, "instrument_id": group.instrument_id},
        )
        return [], FORM_UNAVAILABLE
    if not group_form_open(held.starts_at, now):
        return [], WINDOW_OVER
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
    return result, None


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
