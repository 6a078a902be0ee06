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

One exception: a questionnaire the patient has started (answers saved) is carried ahead to a
session moved by a few days, so the answers are not thrown away: the link stays open until the
window the new time's questionnaire would have had closes, and the patient is reminded at the
moment that questionnaire would have been sent. Only while the new window closes within
`LONGEST_CARRY` of the first send: after that, answers given then describe a time mostly
before the period the questionnaire asks about at the new session, and asking afresh is
the better measure.
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
# How long a started questionnaire may stay open, from its send to the end of the moved
# session's window: the shortest recall period of the outcome questionnaires (CORE-10 asks
# about "the last week"; PHQ-9 and GAD-7 about two weeks). A session postponed by a week
# (48 hours' notice, so nine days) is asked about afresh; one moved by a few days keeps the
# answers.
LONGEST_CARRY = timedelta(days=7)


@dataclass(frozen=True)
class CarriedOver:
    """The open questionnaire's slot and window for the moved appointment."""

    slot_key: str
    expires_at: datetime
    # Carried ahead of the new time's questionnaire (started, that one not due yet): when the
    # patient is reminded, the moment it would have been sent. None: the reminder is kept.
    remind_at: datetime | None = None
    # The rule's reminder counted from the send (None: the rule has none), for a reminder
    # dropped because the first window closed before it, when the move lengthens the window.
    rule_reminder: datetime | None = None


def carried_over(
    rule: ScheduleRule,
    state: InvitationState,
    sent_at: datetime | None,
    expires_at: datetime,
    appointment: AppointmentSnapshot,
    now: datetime,
    *,
    min_window: timedelta,
    answers_saved: bool = False,
) -> CarriedOver | None:
    """The slot and window under which a questionnaire the patient holds (sent, not answered,
    its window still open at `now`) serves its moved appointment, or None when it must be
    withdrawn: not sent yet, the appointment cancelled or missed, the new time's questionnaire
    not due yet (unless the patient has started: `answers_saved`, see the module), or less
    than `min_window` left to answer in the window the rule gives the moved appointment
    (counted from when the questionnaire really left).

    Only questionnaires before or after each session are carried: which session is the first
    or the last depends on the episode's other appointments, which a move can reorder."""
    if state not in IN_HAND or sent_at is None or expires_at <= now:
        return None
    if rule.trigger not in (Trigger.BEFORE_APPOINTMENT, Trigger.AFTER_APPOINTMENT):
        return None
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        return None
    new_send = appointment_send_time(rule, appointment.start)
    new_expiry = expiry_time(sent_at, rule, appointment)
    remind_at = None
    if new_send > now:
        # A questionnaire after a session that has not taken place yet rates nothing.
        if not answers_saved or rule.trigger is not Trigger.BEFORE_APPOINTMENT:
            return None
        new_expiry = max(new_expiry, expiry_time(new_send, rule, appointment))
        if new_expiry - sent_at > LONGEST_CARRY:
            return None
        remind_at = new_send
    if new_expiry - now < min_window:
        return None
    rule_reminder = (
        sent_at + timedelta(hours=rule.reminder_after_hours)
        if rule.reminder_after_hours is not None
        else None
    )
    return CarriedOver(
        appointment_slot_key(appointment, rule.trigger), new_expiry, remind_at, rule_reminder
    )


@dataclass(frozen=True)
class CarriedReminder:
    """The carried questionnaire's reminder time (None: none), and whether it is a further
    reminder (`again`: the first went before the move)."""

    at: datetime | None
    again: bool = False


def carried_reminder(
    reminder_at: datetime | None, carried: CarriedOver, now: datetime
) -> CarriedReminder:
    """The carried questionnaire's reminder: its own while that still comes before the new
    window closes (or the rule's, dropped at planning because the old window closed before
    it, when the new window leaves room for it). For one carried ahead of the new time's,
    the moment that one would have been sent, which stands in for its message: a further
    reminder when the patient has had the first already (quiet hours hold it at sending)."""
    if carried.remind_at is not None:
        went = reminder_at is not None and reminder_at <= now
        if carried.remind_at < carried.expires_at:
            return CarriedReminder(carried.remind_at, again=went)
        return CarriedReminder(reminder_at if went else None)
    if reminder_at is None and carried.rule_reminder is not None:
        # Dropped when it was planned (it came after the old window closed): the longer
        # window may leave room for it now. Quiet hours hold it at sending.
        reminder_at = carried.rule_reminder if carried.rule_reminder > now else None
    if reminder_at is not None and reminder_at < carried.expires_at:
        return CarriedReminder(reminder_at)
    return CarriedReminder(None)
