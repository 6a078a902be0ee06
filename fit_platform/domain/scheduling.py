"""Schedule rules as data, and the pure function that says which invitations are due.

`due_invitations` takes an episode, its rules, its appointments, the consent state,
the invitations that already exist and "now", and returns the invitations to create.
Every invitation has a deterministic `slot_key`; the database makes
(episode, instrument, slot_key) unique, so running the scheduler twice, or two
schedulers at once, cannot create a second invitation for the same slot.

Times are timezone-aware UTC datetimes; local computations use the
service's zone (`tz`, from settings).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fit_platform.domain.appointment_range import is_accepted_time
from fit_platform.domain.codes import AppointmentStatus, InvitationState, ScheduleTrigger
from fit_platform.domain.consent import Consent, may_send
from fit_platform.domain.quiet_hours import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    latest_send_time_before,
    local_to_utc,
    next_send_time,
)
from fit_platform.domain.send_window import (
    DEFAULT_MIN_ANSWER_WINDOW,
    SkipReason,
    blame_pause,
    judge_send,
)

ALL_WEEKDAYS = frozenset(range(7))
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


OPEN_STATES = frozenset({InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED})


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
        if not self.instrument_id:
            raise ValueError("a rule needs an instrument")
        if self.window_hours <= 0:
            raise ValueError("the answer window must be positive")
        if self.reminder_after_hours is not None and not (
            0 < self.reminder_after_hours < self.window_hours
        ):
            raise ValueError("the reminder must come after sending and before the window ends")
        if self.offset_hours < 0 or self.min_interval_hours < 0:
            raise ValueError("offsets and intervals are not negative")
        if not self.weekdays <= ALL_WEEKDAYS:
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.trigger is Trigger.WEEKLY and not self.weekdays:
            raise ValueError("a weekly rule needs at least one weekday")


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


@dataclass(frozen=True)
class _Candidate:
    rule: ScheduleRule
    slot_key: str
    nominal: datetime
    appointment: AppointmentSnapshot | None = field(default=None)


APPOINTMENT_SLOT_PREFIX = "appt:"
DAY_SLOT_PREFIX = "day:"


def appointment_slot_key(appointment: AppointmentSnapshot, trigger: Trigger) -> str:
    """`appt:<id>@<start UTC>:<trigger>`. The start is part of the key so that a moved
    appointment gets a new slot; the service cancels the old one (see `obsolete_slots`)."""
    start = appointment.start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"{APPOINTMENT_SLOT_PREFIX}{appointment.id}@{start}:{trigger.value}"


def day_slot_key(day: date) -> str:
    return f"{DAY_SLOT_PREFIX}{day.isoformat()}"


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


def due_invitations(
    episode: EpisodeSnapshot,
    rules: Iterable[ScheduleRule],
    appointments: Iterable[AppointmentSnapshot],
    consent: Consent,
    existing: Collection[ExistingInvitation],
    now: datetime,
    *,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
    horizon: timedelta = timedelta(0),
    tz: ZoneInfo,
    min_window: timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> list[DueInvitation]:
    """The invitations to create at `now`: those whose send time is at or before
    `now + horizon` and whose answer window has not already closed.

    A slot found late (its send time passed: new episode, appointment booked at short
    notice, scheduler down) is sent at `now`, or when quiet hours end. When that leaves
    less than `min_window` to answer, the slot is returned with `skipped` set (recorded,
    not sent); a slot whose window closed before `now` is not returned at all.

    Nothing is due when consent does not allow sending; slots that already exist are
    skipped; a slot is skipped when the same instrument exists (and is not cancelled)
    or is due within the rule's minimum interval, counted from when the other one really
    left (`ExistingInvitation.left_at`) to when this one would. Result is sorted by send time.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if not may_send(consent, now, tz):
        return []
    # A date outside the accepted range (year 1 or 9999, stored before the range was checked)
    # is a typing error, not an appointment, and cannot be converted to local time: skip it
    # rather than fail this episode on every tick.
    appts = sorted(
        (a for a in appointments if is_accepted_time(a.start, now)), key=lambda a: (a.start, a.id)
    )
    until = now + horizon
    existing_keys = {(e.instrument_id, e.slot_key) for e in existing}
    taken: dict[str, list[datetime]] = {}
    for e in existing:
        if e.state is not InvitationState.CANCELLED:
            taken.setdefault(e.instrument_id, []).append(e.left_at(now))

    result: list[DueInvitation] = []
    candidates = sorted(
        (c for rule in rules for c in _candidates(rule, episode, appts, consent, now, until, tz)),
        key=lambda c: (c.nominal, c.rule.instrument_id, c.slot_key),
    )
    for c in candidates:
        rule = c.rule
        if (rule.instrument_id, c.slot_key) in existing_keys:
            continue
        send_at = _send_time(c, quiet, tz)
        if send_at > until:
            continue
        expires_at = expiry_time(send_at, rule, c.appointment)
        if expires_at <= max(now, send_at):
            continue
        slot = DueInvitation(
            episode_id=episode.id,
            instrument_id=rule.instrument_id,
            slot_key=c.slot_key,
            trigger=rule.trigger,
            send_at=send_at,
            expires_at=expires_at,
            appointment_id=c.appointment.id if c.appointment else None,
            found_late=send_at < now,
        )
        decision = blame_pause(
            judge_send(max(send_at, now), expires_at, quiet, min_window, tz=tz),
            send_at,
            expires_at,
            quiet,
            min_window,
            paused_when_due=consent.held_at(send_at, tz),
            tz=tz,
        )
        if decision.skip is not None:
            result.append(replace(slot, skipped=decision.skip))
            existing_keys.add((rule.instrument_id, c.slot_key))
            continue
        if decision.send_at > max(send_at, now):
            # Found late, in quiet hours: it waits until they end (a late slot found in
            # the daytime keeps its planned time and goes at once).
            send_at = decision.send_at
        interval = timedelta(hours=rule.min_interval_hours)
        previous = taken.get(rule.instrument_id, [])
        # A late slot leaves at `now`, not at its planned time: that is the send the
        # interval is about. Held back here, it is found again on a later tick.
        leaves = max(send_at, now)
        if interval and any(abs(leaves - t) < interval for t in previous):
            continue
        taken.setdefault(rule.instrument_id, []).append(leaves)
        existing_keys.add((rule.instrument_id, c.slot_key))
        result.append(
            replace(
                slot,
                send_at=send_at,
                # A late slot leaves now, not at its planned time (the dispatcher re-times
                # the reminder from the real send: services/reminders.py).
                reminder_at=reminder_time(max(send_at, now), rule, expires_at, quiet, tz=tz),
            )
        )
    result.sort(key=lambda d: (d.send_at, d.instrument_id, d.slot_key))
    return result


def obsolete_slots(
    rules: Iterable[ScheduleRule],
    appointments: Iterable[AppointmentSnapshot],
    pending: Iterable[ExistingInvitation],
) -> frozenset[tuple[str, str]]:
    """(instrument, slot_key) of open appointment-bound invitations whose appointment
    was cancelled, missed (for measures before it), moved or removed. The service
    cancels those; a moved appointment then gets a fresh slot at its new time."""
    appts = sorted(appointments, key=lambda a: (a.start, a.id))
    valid: set[tuple[str, str]] = set()
    for rule in rules:
        if rule.trigger not in APPOINTMENT_TRIGGERS:
            continue
        for appt in _appointments_for(rule, appts):
            valid.add((rule.instrument_id, appointment_slot_key(appt, rule.trigger)))
    return frozenset(
        (p.instrument_id, p.slot_key)
        for p in pending
        if p.state in OPEN_STATES
        and p.slot_key.startswith(APPOINTMENT_SLOT_PREFIX)
        and (p.instrument_id, p.slot_key) not in valid
    )


def _appointments_for(
    rule: ScheduleRule, appts: list[AppointmentSnapshot]
) -> list[AppointmentSnapshot]:
    live = [a for a in appts if a.status is not AppointmentStatus.CANCELLED]
    if rule.trigger is Trigger.BEFORE_APPOINTMENT:
        return [a for a in live if a.status is not AppointmentStatus.NO_SHOW]
    if rule.trigger is Trigger.AFTER_APPOINTMENT:
        return [a for a in live if a.status is not AppointmentStatus.NO_SHOW]
    if rule.trigger is Trigger.FIRST_SESSION:
        return live[:1]
    if rule.trigger is Trigger.LAST_SESSION:
        return [a for a in live if a.is_last][:1]
    return []


def _candidates(
    rule: ScheduleRule,
    episode: EpisodeSnapshot,
    appts: list[AppointmentSnapshot],
    consent: Consent,
    now: datetime,
    until: datetime,
    tz: ZoneInfo,
) -> Iterator[_Candidate]:
    if rule.trigger in APPOINTMENT_TRIGGERS:
        for appt in _appointments_for(rule, appts):
            offset = timedelta(hours=rule.offset_hours)
            start = appt.start.astimezone(UTC)
            if rule.trigger is Trigger.AFTER_APPOINTMENT:
                nominal = start + offset
            else:
                if start <= now:
                    continue
                nominal = start - offset
            yield _Candidate(rule, appointment_slot_key(appt, rule.trigger), nominal, appt)
        return
    days = _rule_weekdays(rule, episode, consent)
    if not days:
        return
    # Days whose window could still be open, up to the horizon (plus one day of slack
    # for quiet hours pushing a send to the next morning).
    first = max(
        episode.starts_on,
        (now - timedelta(hours=rule.window_hours)).astimezone(tz).date() - timedelta(days=1),
    )
    last = until.astimezone(tz).date()
    if episode.ends_on is not None:
        last = min(last, episode.ends_on)
    day = first
    while day <= last:
        if day.weekday() in days:
            yield _Candidate(rule, day_slot_key(day), local_to_utc(day, rule.send_time, tz))
        day += timedelta(days=1)


def _rule_weekdays(
    rule: ScheduleRule, episode: EpisodeSnapshot, consent: Consent
) -> frozenset[int]:
    if rule.trigger is Trigger.WEEKLY:
        days = rule.weekdays
    else:
        days = episode.programme_weekdays
        if rule.weekdays:
            days &= rule.weekdays
        if episode.agreed_weekdays is not None:
            days &= episode.agreed_weekdays
    if consent.weekdays is not None:
        days &= consent.weekdays
    return days


def _send_time(c: _Candidate, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    send_at = next_send_time(c.nominal, quiet, tz=tz)
    if c.appointment is not None and c.rule.trigger is not Trigger.AFTER_APPOINTMENT:
        start = c.appointment.start.astimezone(UTC)
        if send_at >= start:
            # Pushing forward would miss the session: send before quiet hours began.
            send_at = latest_send_time_before(c.nominal, quiet, tz=tz)
    return send_at
