"""The planning rule: which invitations are due, and which planned ones a changed appointment
makes obsolete.

`due_invitations` takes an episode, its rules, its appointments, the consent state,
the invitations that already exist and "now", and returns the invitations to create.
Every invitation has a deterministic `slot_key` (`schedule_model.py`); the database makes
(episode, instrument, slot_key) unique, so running the scheduler twice, or two
schedulers at once, cannot create a second invitation for the same slot.

The data it plans with is in `schedule_model.py` and an invitation's window and reminder
in `invitation_times.py`, so that their readers need not read the planner.

Times are timezone-aware UTC datetimes; local computations use the
service's zone (`tz`, from settings).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fit_platform.domain.appointment_range import is_accepted_time
from fit_platform.domain.codes import AppointmentStatus, InvitationState
from fit_platform.domain.consent import Consent, may_send
from fit_platform.domain.invitation_times import expiry_time, reminder_time
from fit_platform.domain.quiet_hours import (
    DEFAULT_QUIET_HOURS,
    QuietHours,
    latest_send_time_before,
    local_to_utc,
    next_send_time,
)
from fit_platform.domain.schedule_model import (
    APPOINTMENT_SLOT_PREFIX,
    APPOINTMENT_TRIGGERS,
    AppointmentSnapshot,
    DueInvitation,
    EpisodeSnapshot,
    ExistingInvitation,
    ScheduleRule,
    Trigger,
    appointment_of_slot,
    appointment_send_time,
    appointment_slot_key,
    day_slot_key,
)
from fit_platform.domain.send_window import (
    DEFAULT_MIN_ANSWER_WINDOW,
    blame_pause,
    blame_quiet_hours,
    judge_send,
)

OPEN_STATES = frozenset({InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED})
# The patient's reply to an appointment's questionnaire: an answer, or their "not this one".
# Either stands for that appointment when it is moved (see `due_invitations`).
REPLIED_STATES = frozenset({InvitationState.COMPLETED, InvitationState.DECLINED})


@dataclass(frozen=True)
class _Candidate:
    rule: ScheduleRule
    slot_key: str
    nominal: datetime
    appointment: AppointmentSnapshot | None = field(default=None)


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

    A moved appointment gets a new slot (its start is in the key), but a patient who already
    answered (or declined) its questionnaire is not asked again for it: the reply stands for
    the appointment wherever it moves, per instrument and trigger. One withdrawn, expired or
    skipped (too little time) is asked again before the new time.
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
    replied = _replied_appointments(existing)
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
        if c.appointment is not None and (
            (rule.instrument_id, c.appointment.id, rule.trigger.value) in replied
        ):
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
            blame_quiet_hours(
                judge_send(max(send_at, now), expires_at, quiet, min_window, tz=tz),
                _known_from(c),
                expires_at,
                min_window,
            ),
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


def _replied_appointments(existing: Iterable[ExistingInvitation]) -> set[tuple[str, int, str]]:
    """(instrument, appointment id, trigger) of every appointment questionnaire the patient
    answered or declined, whatever time the appointment had then."""
    replied = set()
    for e in existing:
        if e.state in REPLIED_STATES:
            parts = appointment_of_slot(e.slot_key)
            if parts is not None:
                replied.add((e.instrument_id, *parts))
    return replied


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
            if rule.trigger is not Trigger.AFTER_APPOINTMENT and appt.start <= now:
                continue
            nominal = appointment_send_time(rule, appt.start)
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


def _known_from(c: _Candidate) -> datetime:
    """The earliest the slot could have been sent: its rule's time, or the booking of its
    appointment when that came later."""
    booked = c.appointment.booked_at if c.appointment is not None else None
    return c.nominal if booked is None else max(c.nominal, booked)


def _send_time(c: _Candidate, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    send_at = next_send_time(c.nominal, quiet, tz=tz)
    if c.appointment is not None and c.rule.trigger is not Trigger.AFTER_APPOINTMENT:
        start = c.appointment.start.astimezone(UTC)
        if send_at >= start:
            # Pushing forward would miss the session: send before quiet hours began.
            send_at = latest_send_time_before(c.nominal, quiet, tz=tz)
    return send_at
