"""The schedule as data: the rules, what the rules read, what they produce, and slot keys.

These are the shapes `scheduling.due_invitations` plans with and the services fill from the
database; they live apart from the planning so that a reader of the data (the preview, the
cancel-on-change rules in `planned_slots.py`, group sessions) does not need to read the planner.

A slot key names the occasion an invitation is for (a day, or an appointment at a given
start). The database makes (episode, instrument, slot_key) unique, so the keys are what keeps
the scheduler idempotent: they must stay deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from fit_platform.domain.codes import AppointmentStatus, InvitationState, ScheduleTrigger
from fit_platform.domain.send_window import SkipReason

ALL_WEEKDAYS = frozenset(range(7))
# The most hours a rule's message may go before or after its appointment (the rule forms).
MAX_OFFSET_HOURS = 336
WORKDAYS = frozenset(range(5))


# The shared codes, under the names the rules read best with.
Trigger = ScheduleTrigger


APPOINTMENT_TRIGGERS = frozenset(
    {
        Trigger.BEFORE_APPOINTMENT,
        Trigger.AFTER_APPOINTMENT,
        Trigger.FIRST_SESSION,
        Trigger.LAST_SESSION,
    }
)


@dataclass(frozen=True)
class ScheduleRule:
    """One line of a schedule plan.

    - BEFORE_APPOINTMENT, FIRST_SESSION, LAST_SESSION: sent `offset_hours` before the
      appointment starts; expires at the start of the appointment at the latest.
    - AFTER_APPOINTMENT: sent `offset_hours` after the appointment starts (use the
      session length, e.g. 1).
    - WEEKLY: on `weekdays` (0 = Monday) at `send_time` local time.
    - DAILY: on every programme day of the episode (optionally narrowed by `weekdays`)
      at `send_time` local time.

    The answer window is `window_hours`; one reminder goes `reminder_after_hours`
    after sending, which must be shorter than the window. The same instrument is never
    sent twice within `min_interval_hours`.
    """

    instrument_id: str
    trigger: Trigger
    offset_hours: float = 0
    weekdays: frozenset[int] = frozenset()
    window_hours: float = 72
    reminder_after_hours: float | None = None
    min_interval_hours: float = 0
    send_time: time = time(10, 0)

    def __post_init__(self) -> None:
        problems = rule_problems(
            instrument_id=self.instrument_id,
            trigger=self.trigger,
            offset_hours=self.offset_hours,
            weekdays=self.weekdays,
            window_hours=self.window_hours,
            reminder_after_hours=self.reminder_after_hours,
            min_interval_hours=self.min_interval_hours,
        )
        if problems:
            raise ValueError(problems[0].value)


class RuleProblem(StrEnum):
    """Why a rule cannot be scheduled; the value is the rule's own refusal message."""

    NO_INSTRUMENT = "a rule needs an instrument"
    WINDOW_NOT_POSITIVE = "the answer window must be positive"
    REMINDER_OUTSIDE_WINDOW = "the reminder must come after sending and before the window ends"
    NEGATIVE = "offsets and intervals are not negative"
    WEEKDAY_OUT_OF_RANGE = "weekdays are 0 (Monday) to 6 (Sunday)"
    WEEKDAY_NEEDED = "a weekly rule needs at least one weekday"


def rule_problems(
    *,
    instrument_id: str,
    trigger: Trigger,
    offset_hours: float,
    weekdays: frozenset[int],
    window_hours: float,
    reminder_after_hours: float | None,
    min_interval_hours: float,
) -> list[RuleProblem]:
    """Every reason a rule with these values cannot be scheduled, empty when it can: the
    rule refuses itself with the first, a form names them all in one round."""
    problems = []
    if not instrument_id:
        problems.append(RuleProblem.NO_INSTRUMENT)
    if window_hours <= 0:
        problems.append(RuleProblem.WINDOW_NOT_POSITIVE)
    if reminder_after_hours is not None and not 0 < reminder_after_hours < window_hours:
        problems.append(RuleProblem.REMINDER_OUTSIDE_WINDOW)
    if offset_hours < 0 or min_interval_hours < 0:
        problems.append(RuleProblem.NEGATIVE)
    if not weekdays <= ALL_WEEKDAYS:
        problems.append(RuleProblem.WEEKDAY_OUT_OF_RANGE)
    if trigger is Trigger.WEEKLY and not weekdays:
        problems.append(RuleProblem.WEEKDAY_NEEDED)
    return problems


@dataclass(frozen=True)
class EpisodeSnapshot:
    """What scheduling needs to know about an episode.

    `programme_weekdays` are the days a day programme runs; `agreed_weekdays` is an
    individually agreed, smaller set (None = all programme days).
    """

    id: int
    starts_on: date
    ends_on: date | None = None
    programme_weekdays: frozenset[int] = WORKDAYS
    agreed_weekdays: frozenset[int] | None = None


@dataclass(frozen=True)
class AppointmentSnapshot:
    id: int
    start: datetime
    status: AppointmentStatus = AppointmentStatus.PLANNED
    is_last: bool = False
    # When the appointment got its present time, as far as the store knows (its row's last
    # change; later than that for a status change, never earlier); None when unknown. A slot
    # cannot have been sent before it (`send_window.blame_quiet_hours`).
    booked_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("appointment start must be timezone-aware")


@dataclass(frozen=True)
class ExistingInvitation:
    """An invitation already stored, as far as scheduling cares: `send_at` is its planned
    time, `sent_at` when it really left (None while it has not)."""

    slot_key: str
    instrument_id: str
    send_at: datetime
    state: InvitationState = InvitationState.SCHEDULED
    sent_at: datetime | None = None
    expires_at: datetime | None = None

    def left_at(self, now: datetime) -> datetime:
        """When it left, or will leave: what the minimum interval counts from. An invitation
        found late (or held back) leaves long after its planned time: one still waiting past
        that time leaves no earlier than `now`, and never after its window closed."""
        if self.sent_at is not None:
            return self.sent_at
        if self.state is InvitationState.SCHEDULED:
            latest = now if self.expires_at is None else min(now, self.expires_at)
            return max(self.send_at, latest)
        return self.send_at


@dataclass(frozen=True)
class DueInvitation:
    episode_id: int
    instrument_id: str
    slot_key: str
    trigger: Trigger
    send_at: datetime
    expires_at: datetime
    reminder_at: datetime | None = None
    appointment_id: int | None = None
    # Set when the slot is recorded but not sent: its window is open, but closes before a
    # message may leave with time enough to answer (the therapist sees the reason).
    skipped: SkipReason | None = None
    # Its planned time had passed when it was found (a new episode, short notice, the
    # scheduler down): it goes at once, or when quiet hours end. Only the preview reads it.
    found_late: bool = False

    def as_existing(self) -> ExistingInvitation:
        return ExistingInvitation(
            self.slot_key, self.instrument_id, self.send_at, expires_at=self.expires_at
        )


APPOINTMENT_SLOT_PREFIX = "appt:"
DAY_SLOT_PREFIX = "day:"
# A questionnaire withdrawn because its appointment changed keeps its key with this mark and
# its own id after it (`services/cancel.cancel_invitations`): the slot itself is free again.
WITHDRAWN_SLOT_MARK = "~"


def appointment_slot_key(appointment: AppointmentSnapshot, trigger: Trigger) -> str:
    """`appt:<id>@<start UTC>:<trigger>`. The start is part of the key so that a moved
    appointment gets a new slot; the service cancels the old one (`scheduling.obsolete_slots`)."""
    stamp = _start_stamp(appointment.start)
    return f"{APPOINTMENT_SLOT_PREFIX}{appointment.id}@{stamp}:{trigger.value}"


def _start_stamp(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def appointment_send_time(rule: ScheduleRule, start: datetime) -> datetime:
    """When an appointment rule's message is planned (before quiet hours move it): `offset`
    hours after the start for AFTER_APPOINTMENT, before it for the others."""
    offset = timedelta(hours=rule.offset_hours)
    start = start.astimezone(UTC)
    return start + offset if rule.trigger is Trigger.AFTER_APPOINTMENT else start - offset


def appointment_of_slot(slot_key: str) -> tuple[int, str] | None:
    """The appointment id and trigger value an appointment slot key was made for (None for a
    day slot): the parts of `appointment_slot_key` that a move does not change."""
    if not slot_key.startswith(APPOINTMENT_SLOT_PREFIX):
        return None
    appointment, _, rest = slot_key[len(APPOINTMENT_SLOT_PREFIX) :].partition("@")
    _, _, trigger = rest.rpartition(":")
    if not appointment.isdigit() or not trigger:
        return None
    return int(appointment), trigger


def slot_fits_start(slot_key: str, start: datetime) -> bool:
    """False for an appointment slot key made for another start than `start` (the
    appointment was moved after the invitation was planned); True for any other key."""
    if appointment_of_slot(slot_key) is None:
        return True
    return f"@{_start_stamp(start)}:" in slot_key


def day_slot_key(day: date) -> str:
    return f"{DAY_SLOT_PREFIX}{day.isoformat()}"
