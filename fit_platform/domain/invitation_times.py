"""An invitation's times once its send time is known: when its answer window closes and when
its single reminder goes.

Kept apart from the planning because they are needed again after it: a reminder is re-timed
from the real send (`services/reminders.py`), and a link made on the spot gets the window the
scheduler would have given it (`services/demo_link.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, next_send_time
from fit_platform.domain.schedule_model import AppointmentSnapshot, ScheduleRule, Trigger


def expiry_time(
    send_at: datetime, rule: ScheduleRule, appointment: AppointmentSnapshot | None = None
) -> datetime:
    """End of the answer window. Answers to a measure taken before a session are only
    useful until the session starts, so those windows close at the appointment."""
    expires = send_at + timedelta(hours=rule.window_hours)
    if appointment is not None and rule.trigger is not Trigger.AFTER_APPOINTMENT:
        expires = min(expires, appointment.start.astimezone(UTC))
    return expires


def reminder_time(
    send_at: datetime,
    rule: ScheduleRule,
    expires_at: datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    *,
    tz: ZoneInfo,
) -> datetime | None:
    """When the single reminder goes, pushed out of quiet hours; None when the rule has
    no reminder or it would not leave before the window closes."""
    if rule.reminder_after_hours is None:
        return None
    return reminder_after_send(send_at, rule.reminder_after_hours, expires_at, quiet, tz=tz)


def reminder_after_send(
    sent_at: datetime,
    reminder_after_hours: float,
    expires_at: datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    *,
    tz: ZoneInfo,
) -> datetime | None:
    """The reminder `reminder_after_hours` after the invitation left at `sent_at`, pushed
    out of quiet hours; None when it would not leave before the window closes.

    Counted from the real send, not the planned one: an invitation found late (the
    scheduler down, an appointment entered after the fact) leaves long after its planned
    time, and a reminder counted from the plan would follow it within a minute."""
    at = next_send_time(sent_at + timedelta(hours=reminder_after_hours), quiet, tz=tz)
    return at if at < expires_at else None
