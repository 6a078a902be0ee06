"""An administrator closes an episode: the course of treatment ends today (local date).

Who may call it: an administrator (the unit's episodes page, `web/admin/episodes.py`). Its
invitations not yet answered are cancelled with their queued messages (`services.cancel`),
its appointments still planned from now on are cancelled (a closed course holds no session
ahead: its appointments page listed them as "Planned" for ever, and the EPR import touches
only open episodes), and the scheduler creates nothing more. The change writes its
access-log and admin audit rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Invitation, Signal
from fit_platform.domain.codes import AppointmentStatus, EpisodeStatus, Role
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.admin_refusal import AdminRefusal
from fit_platform.services.cancel import cancel_invitations
from fit_platform.services.episodes_admin import open_episode, planned_from
from fit_platform.services.invitation_common import OPEN_STATES, rowcount
from fit_platform.services.registration import clean_line
from fit_platform.services.risk_waiting import risk_not_acknowledged

log = logging.getLogger(__name__)

EPISODE_CLOSED = "episode_closed"  # the reason stored on invitations cancelled by closing


def close_episode(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    episode_id: int,
    today: dt.date,
    now: dt.datetime,
    reason: str | None = None,
    risk_followed_up: bool = False,
) -> None:
    """End the episode today; cancel its unanswered invitations and its appointments ahead.

    An episode with a risk signal nobody has acknowledged is closed only when the administrator
    confirms that the therapist has followed it up (`risk_followed_up`; else AdminRefusal
    "unacknowledged_risk", nothing saved): closing takes the patient off every caseload, and
    the signal is left to the unit lead's overdue list a day later. The audit row keeps the
    confirmation."""
    reason = clean_line(reason, 200) or None
    with db.transaction(now=now) as session:
        episode = open_episode(session, episode_id, unit_id)
        waiting = session.scalar(
            select(func.count(Signal.id)).where(
                Signal.episode_id == episode_id, risk_not_acknowledged()
            )
        )
        if waiting and not risk_followed_up:
            raise AdminRefusal("risk_followed_up", "unacknowledged_risk")
        episode.status = EpisodeStatus.ENDED
        episode.ended_on = max(today, episode.started_on)
        open_ids = session.scalars(
            select(Invitation.id).where(
                Invitation.episode_id == episode_id, Invitation.state.in_(OPEN_STATES)
            )
        ).all()
        cancelled = cancel_invitations(session, open_ids, EPISODE_CLOSED, now)
        appointments_cancelled = rowcount(
            session.execute(
                update(Appointment)
                .where(Appointment.episode_id == episode_id, planned_from(now))
                .values(status=AppointmentStatus.CANCELLED, is_last=False)
            )
        )
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=episode.patient_id,
            unit_id=episode.unit_id,
            action="admin_episode_close",
            now=now,
        )
        record_admin_change(
            session,
            staff_id=staff_id,
            action="episode_closed",
            target_kind="episode",
            target_id=episode_id,
            before={"status": EpisodeStatus.ACTIVE.value},
            after={
                "status": EpisodeStatus.ENDED.value,
                "ended_on": episode.ended_on.isoformat(),
                "invitations_cancelled": cancelled,
                "appointments_cancelled": appointments_cancelled,
                **({"risk_followed_up": True} if waiting else {}),
            },
            reason=reason,
            at=now,
        )
    log.info(
        "episode closed",
        extra={
            "event": "episode_closed",
            "episode_id": episode_id,
            "cancelled": cancelled,
            "appointments_cancelled": appointments_cancelled,
            "staff_id": staff_id,
        },
    )
