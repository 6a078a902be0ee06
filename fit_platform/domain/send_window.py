"""When a message to a patient may leave: outside quiet hours, with time left to answer.

The same rule is applied twice: when an invitation is planned (`scheduling.due_invitations`)
and again by the dispatcher at the moment of sending, because between the two the clock
moves on (a catch-up after downtime, an overdue invitation found late in the evening, a
retry pushed into the night). All times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fit_platform.domain.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours, next_send_time

# Less than this left to answer is not worth a message: the patient could hardly finish.
DEFAULT_MIN_ANSWER_WINDOW = timedelta(minutes=60)


class SkipReason(StrEnum):
    """Why an invitation was not sent (stored as the invitation's non-response reason)."""

    TOO_LITTLE_TIME = "not_sent_too_little_time"
    QUIET_HOURS = "not_sent_quiet_hours"
    # It was due while questionnaires were paused or stopped, would have gone at that time,
    # and what was left of its window after the pause was too little or all quiet hours.
    AFTER_PAUSE = "not_sent_after_pause"


@dataclass(frozen=True)
class SendDecision:
    """`send_at` is the earliest moment the message may leave (`now` when it may leave at
    once); `skip` is set when it should not leave at all."""

    send_at: datetime
    skip: SkipReason | None = None

    def waits(self, now: datetime) -> bool:
        return self.skip is None and self.send_at > now


def judge_send(
    now: datetime,
    expires_at: datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    min_window: timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    *,
    tz: ZoneInfo,
) -> SendDecision:
    """Send now, wait until quiet hours end, or skip.

    Skipped because of quiet hours when waiting for them to end leaves less than
    `min_window` but sending now would not have; otherwise for too little time.
    """
    if now.tzinfo is None or expires_at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    send_at = next_send_time(now, quiet, tz=tz)
    if expires_at - send_at >= min_window and expires_at > send_at:
        return SendDecision(send_at)
    if send_at > now and expires_at - now >= min_window:
        return SendDecision(send_at, SkipReason.QUIET_HOURS)
    return SendDecision(send_at, SkipReason.TOO_LITTLE_TIME)


def blame_pause(
    decision: SendDecision,
    due_at: datetime,
    expires_at: datetime,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    min_window: timedelta = DEFAULT_MIN_ANSWER_WINDOW,
    *,
    paused_when_due: bool,
    tz: ZoneInfo,
) -> SendDecision:
    """The real cause of a skip. An invitation due (`due_at`, its planned time) while the
    patient had paused or stopped questionnaires, which would have gone at that time, missed
    because of the pause, not because of quiet hours or a short window: the therapist should
    read the pause. Any other decision is returned as it is."""
    if decision.skip is None or not paused_when_due:
        return decision
    if judge_send(due_at, expires_at, quiet, min_window, tz=tz).skip is not None:
        return decision  # it would have missed without the pause too
    return replace(decision, skip=SkipReason.AFTER_PAUSE)


def blame_quiet_hours(
    decision: SendDecision,
    planned_at: datetime,
    expires_at: datetime,
    min_window: timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> SendDecision:
    """The real cause of a skip for a slot the planning moved out of quiet hours.

    A rule one hour before a 08:30 session plans 07:30, in quiet hours; the send moves to
    08:00 and leaves 30 minutes, and `judge_send` at 08:00 can only see too little time. At
    `planned_at` (the rule's time, or when the slot became known, if later: a session booked
    at 07:45 never had its hour) it would have had enough: quiet hours took it, and the
    therapist reads that, not a rule that looks too tight. Any other decision is returned as
    it is."""
    if decision.skip is not SkipReason.TOO_LITTLE_TIME or decision.send_at <= planned_at:
        return decision
    if expires_at - planned_at < min_window:
        return decision  # too little even at the planned time
    return replace(decision, skip=SkipReason.QUIET_HOURS)
