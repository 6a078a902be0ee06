"""What appointment and consent changes cancel: open invitations that no longer fit, and
their queued messages (a message already being sent is re-checked by the dispatcher)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Invitation,
    OutboxMessage,
    ScheduleRule,
)
from fit_platform.domain.codes import (
    InvitationState,
    OutboxState,
)
from fit_platform.domain.schedule_model import (
    WITHDRAWN_SLOT_MARK,
    AppointmentSnapshot,
    ExistingInvitation,
)
from fit_platform.domain.scheduling import obsolete_slots
from fit_platform.services.invitation_common import OPEN_STATES, NonResponse, rowcount
from fit_platform.services.schedule_plans import (
    domain_rule,
)

log = logging.getLogger("fit_platform.services.invitations")


def cancel_invitations(
    session: Session, invitation_ids: Iterable[int], reason: str, now: dt.datetime
) -> int:
    """Cancel open invitations and their queued messages (within the caller's transaction).
    A message already being sent is left to the dispatcher, which re-checks before sending."""
    ids = list(invitation_ids)
    if not ids:
        return 0
    values: dict[str, Any] = {
        "state": InvitationState.CANCELLED,
        "non_response_reason": reason,
        "closed_at": now,
    }
    if reason == NonResponse.APPOINTMENT_CHANGED:
        # The slot is given back: an appointment moved back to this time, or planned again
        # after it was cancelled, gets a new questionnaire for it (the key is unique per
        # episode and instrument, so the withdrawn row would hold it for ever).
        values["slot_key"] = Invitation.slot_key + WITHDRAWN_SLOT_MARK + cast(Invitation.id, String)
    count = rowcount(
        session.execute(
            update(Invitation)
            .where(Invitation.id.in_(ids), Invitation.state.in_(OPEN_STATES))
            .values(**values)
        )
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.invitation_id.in_(ids), OutboxMessage.state == OutboxState.QUEUED)
        .values(state=OutboxState.CANCELLED, last_error=reason)
    )
    return count


def appointment_changed(db: Database, appointment_id: int, now: dt.datetime) -> int:
    """After an appointment was moved, cancelled or marked no-show: cancel the open
    invitations tied to it that no longer fit (the next tick creates fresh ones at the new
    time). Returns how many were cancelled. The tick also finds such changes by itself
    (`cancel_for_changed_appointments`); calling this makes it immediate."""
    with db.transaction(now=now) as session:
        cancelled = cancel_for_appointment(session, appointment_id, now)
    log.info(
        "appointment change applied",
        extra={"appointment_id": appointment_id, "cancelled": cancelled},
    )
    return cancelled


def cancel_for_appointment(session: Session, appointment_id: int, now: dt.datetime) -> int:
    """Within the caller's transaction, right after it moved, cancelled or marked an
    appointment: cancel its open invitations that no longer fit, by the tick's own rule, so
    the old link is closed when the change is saved (re-planning stays with the tick)."""
    return cancel_for_appointments(session, [appointment_id], now)


def cancel_for_appointments(
    session: Session, appointment_ids: Iterable[int], now: dt.datetime
) -> int:
    """`cancel_for_appointment` for many appointments at once (an import's changed rows), in
    one query whatever their number."""
    ids = list(appointment_ids)
    if not ids:
        return 0
    session.flush()
    return _cancel_obsolete(session, Invitation.appointment_id.in_(ids), now)


def cancel_for_changed_appointments(db: Database, now: dt.datetime) -> int:
    """Cancel open invitations whose appointment changed after they were created and no
    longer fits them (moved, cancelled, missed), however the change was made (form,
    import, database). Part of every enqueue tick."""
    with db.transaction(now=now) as session:
        return _cancel_obsolete(session, Appointment.updated_at > Invitation.created_at, now)


def _cancel_obsolete(session: Session, condition: Any, now: dt.datetime) -> int:
    rows = session.execute(
        select(
            Invitation.id,
            Invitation.slot_key,
            Invitation.instrument_id,
            Invitation.due_at,
            Invitation.state,
            Appointment.id.label("appointment_id"),
            Appointment.starts_at,
            Appointment.status,
            ScheduleRule,
        )
        .join(Appointment, Appointment.id == Invitation.appointment_id)
        .join(ScheduleRule, ScheduleRule.id == Invitation.rule_id)
        .where(Invitation.state.in_(OPEN_STATES), condition)
    ).all()
    obsolete = set()
    for row in rows:
        # Judged on this appointment alone: is_last so a last-session rule still matches it.
        snapshot = AppointmentSnapshot(
            row.appointment_id,
            row.starts_at,
            row.status,
            is_last=True,
        )
        existing = ExistingInvitation(row.slot_key, row.instrument_id, row.due_at, row.state)
        if obsolete_slots([domain_rule(row.ScheduleRule)], [snapshot], [existing]):
            obsolete.add(row.id)
    return cancel_invitations(session, obsolete, NonResponse.APPOINTMENT_CHANGED, now)
