"""Whether a questionnaire already sent for an appointment stays open when the appointment moves.

Moving an appointment makes its planned slot obsolete (the start is part of the slot key,
`schedule_model.appointment_slot_key`). A questionnaire not sent yet is simply withdrawn and
planned again for the new time. One the patient already has in hand is different: when the
new time's questionnaire would be due already (the session moved by less than the rule's
offset, e.g. tomorrow's 09:00 to 10:00), withdrawing it would send a second message at once
and throw away the answers the patient saved. It is carried over instead: the same link stays
open, under the new time's slot key, until the window the rule gives the moved appointment
closes. When the new time's questionnaire is not due yet (a session moved to next week), or
too little time would be left to answer, it is withdrawn as before and the scheduler plans the
new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fit_platform.domain.codes import AppointmentStatus, InvitationState
from fit_platform.domain.invitation_times import expiry_time
from fit_platform.domain.schedule_model import (
    AppointmentSnapshot,
    ScheduleRule,
    Trigger,
    appointment_send_time,
    appointment_slot_key,
)

# Sent and not answered yet: the patient holds the link.
IN_HAND = frozenset({InvitationState.SENT, InvitationState.OPENED})


@dataclass(frozen=True)
class CarriedOver:
    """The open questionnaire's slot and window for the moved appointment."""

    slot_key: str
    expires_at: datetime


def carried_over(
    rule: ScheduleRule,
    state: InvitationState,
    sent_at: datetime | None,
    expires_at: datetime,
    appointment: AppointmentSnapshot,
    now: datetime,
    *,
    min_window: timedelta,
) -> CarriedOver | None:
    """The slot and window under which a questionnaire the patient holds (sent, not answered,
    its window still open at `now`) serves its moved appointment, or None when it must be
    withdrawn: not sent yet, the appointment cancelled or missed, the new time's questionnaire
    not due yet, or less than `min_window` left to answer in the window the rule gives the
    moved appointment (counted from when the questionnaire really left).

    Only questionnaires before or after each session are carried: which session is the first
    or the last depends on the episode's other appointments, which a move can reorder."""
    if state not in IN_HAND or sent_at is None or expires_at <= now:
        return None
    if rule.trigger not in (Trigger.BEFORE_APPOINTMENT, Trigger.AFTER_APPOINTMENT):
        return None
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        return None
    if appointment_send_time(rule, appointment.start) > now:
        return None
    new_expiry = expiry_time(sent_at, rule, appointment)
    if new_expiry - now < min_window:
        return None
    return CarriedOver(appointment_slot_key(appointment, rule.trigger), new_expiry)
