"""What appointment and consent changes cancel: open invitations that no longer fit, and
their queued messages (a message already being sent is re-checked by the dispatcher)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, exists, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Invitation,
    InvitationToken,
    ItemAnswer,
    OutboxMessage,
    Response,
    ScheduleRule,
)
from fit_platform.domain.codes import (
    InvitationState,
    OutboxState,
)
from fit_platform.domain.moved_appointments import (
    IN_HAND,
    CarriedOver,
    carried_over,
    carried_reminder,
)
from fit_platform.domain.schedule_model import (
    WITHDRAWN_SLOT_MARK,
    AppointmentSnapshot,
    ExistingInvitation,
)
from fit_platform.domain.scheduling import obsolete_slots
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
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


@dataclass(frozen=True)
class AppointmentWithdrawal:
    """What an appointment change did to its open questionnaires: `withdrawn` closed (their
    links say why at once; the tick plans the new time's), `kept` carried over to the moved
    appointment because the patient holds them and the new time's would be due already
    (`domain/moved_appointments.py`: the same link stays open). `kept_ahead` of those were
    carried although the new time's was not due yet, because the patient had started
    answering: they are reminded when it would have been sent."""

    withdrawn: int = 0
    kept: int = 0
    kept_ahead: int = 0


def appointment_changed(db: Database, appointment_id: int, now: dt.datetime) -> int:
    """After an appointment was moved, cancelled or marked no-show: cancel the open
    invitations tied to it that no longer fit (the next tick creates fresh ones at the new
    time). Returns how many were cancelled. The tick also finds such changes by itself
    (`cancel_for_changed_appointments`); calling this makes it immediate."""
    with db.transaction(now=now) as session:
        cancelled = cancel_for_appointment(session, appointment_id, now).withdrawn
    log.info(
        "appointment change applied",
        extra={"appointment_id": appointment_id, "cancelled": cancelled},
    )
    return cancelled


def cancel_for_appointment(
    session: Session,
    appointment_id: int,
    now: dt.datetime,
    *,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> AppointmentWithdrawal:
    """Within the caller's transaction, right after it moved, cancelled or marked an
    appointment: cancel its open invitations that no longer fit, by the tick's own rule, so
    the old link is closed when the change is saved (re-planning stays with the tick), or
    carry them over to the moved appointment (`AppointmentWithdrawal`)."""
    return cancel_for_appointments(session, [appointment_id], now, min_window=min_window)


def cancel_for_appointments(
    session: Session,
    appointment_ids: Iterable[int],
    now: dt.datetime,
    *,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> AppointmentWithdrawal:
    """`cancel_for_appointment` for many appointments at once (an import's changed rows), in
    one query whatever their number."""
    ids = list(appointment_ids)
    if not ids:
        return AppointmentWithdrawal()
    session.flush()
    return _cancel_obsolete(session, Invitation.appointment_id.in_(ids), now, min_window)


def cancel_for_changed_appointments(
    db: Database, now: dt.datetime, *, min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW
) -> int:
    """Cancel (or carry over) open invitations whose appointment changed after they were
    created and no longer fits them (moved, cancelled, missed), however the change was made
    (form, import, database). Part of every enqueue tick. Returns how many were cancelled."""
    with db.transaction(now=now) as session:
        condition = Appointment.updated_at > Invitation.created_at
        return _cancel_obsolete(session, condition, now, min_window).withdrawn


def cancel_obsolete_among(
    session: Session, invitation_ids: Sequence[int], now: dt.datetime, min_window: dt.timedelta
) -> int:
    """The tick's appointment rule for the open `invitation_ids` (questionnaires a restart
    reopened, `services/consent_reopen.py`): withdrawn or carried over when their session moved
    or was cancelled. Returns how many were withdrawn."""
    if not invitation_ids:
        return 0
    condition = Invitation.id.in_(invitation_ids)
    return _cancel_obsolete(session, condition, now, min_window).withdrawn


def _cancel_obsolete(
    session: Session, condition: Any, now: dt.datetime, min_window: dt.timedelta
) -> AppointmentWithdrawal:
    answers_saved = (
        exists()
        .where(Response.invitation_id == Invitation.id, ItemAnswer.response_id == Response.id)
        .label("answers_saved")
    )
    rows = session.execute(
        select(
            Invitation.id,
            Invitation.episode_id,
            Invitation.slot_key,
            Invitation.instrument_id,
            Invitation.due_at,
            Invitation.state,
            Invitation.sent_at,
            Invitation.expires_at,
            Invitation.reminder_at,
            Appointment.id.label("appointment_id"),
            Appointment.starts_at,
            Appointment.status,
            Appointment.is_last,
            answers_saved,
            ScheduleRule,
        )
        .join(Appointment, Appointment.id == Invitation.appointment_id)
        .join(ScheduleRule, ScheduleRule.id == Invitation.rule_id)
        .where(Invitation.state.in_(OPEN_STATES), condition)
    ).all()
    obsolete = set()
    kept = kept_ahead = 0
    for row in rows:
        # Judged on this appointment alone, with the therapist's mark: a last-session
        # questionnaire no longer fits an appointment whose mark was taken off or moved.
        snapshot = AppointmentSnapshot(
            row.appointment_id,
            row.starts_at,
            row.status,
            is_last=row.is_last,
        )
        rule = domain_rule(row.ScheduleRule)
        existing = ExistingInvitation(row.slot_key, row.instrument_id, row.due_at, row.state)
        if not obsolete_slots([rule], [snapshot], [existing]):
            continue
        carried = carried_over(
            rule,
            row.state,
            row.sent_at,
            row.expires_at,
            snapshot,
            now,
            min_window=min_window,
            answers_saved=bool(row.answers_saved),
        )
        if carried is not None and _carry_over(session, row, carried, now):
            kept += 1
            kept_ahead += carried.remind_at is not None
        else:
            obsolete.add(row.id)
    withdrawn = cancel_invitations(session, obsolete, NonResponse.APPOINTMENT_CHANGED, now)
    return AppointmentWithdrawal(withdrawn=withdrawn, kept=kept, kept_ahead=kept_ahead)


def _carry_over(session: Session, row: Any, carried: CarriedOver, now: dt.datetime) -> bool:
    """Give the open invitation of `row` the moved appointment's slot and window, with its
    link tokens and its reminder; False when another invitation holds that slot already, or
    the invitation closed since it was read (answered, or its window ended): it is then
    withdrawn as before, or left as it closed."""
    taken = session.scalar(
        select(Invitation.id).where(
            Invitation.episode_id == row.episode_id,
            Invitation.instrument_id == row.instrument_id,
            Invitation.slot_key == carried.slot_key,
        )
    )
    if taken is not None:
        return False
    # A reminder timed for after the new window closes is not sent (the window only shrinks
    # when the session moved earlier). A reminder is queued only once its time has come, and
    # the new window is still open then, so none is queued that would need cancelling.
    reminder = carried_reminder(row.reminder_at, carried, now)
    updated = rowcount(
        session.execute(
            update(Invitation)
            .where(Invitation.id == row.id, Invitation.state.in_(IN_HAND))
            .values(
                slot_key=carried.slot_key,
                expires_at=carried.expires_at,
                reminder_at=reminder.at,
                reminder_round=Invitation.reminder_round + (1 if reminder.again else 0),
            )
        )
    )
    if not updated:
        return False
    session.execute(
        update(InvitationToken)
        .where(InvitationToken.invitation_id == row.id)
        .values(expires_at=carried.expires_at)
    )
    log.info(
        "open invitation kept for the moved appointment",
        extra={
            "invitation_id": row.id,
            "appointment_id": row.appointment_id,
            "ahead_of_new_time": carried.remind_at is not None,
        },
    )
    return True
