"""Consent to receive feedback invitations, derived from an append-only event list.

A patient can decline one invitation, pause (until a date), resume, stop, restart,
change channel or reduce how often they are asked. Nothing here is ever updated in
place: the current state is a fold over the events, so the therapist can always see
how it came about. Stopping feedback never affects treatment; it only silences us.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fit_platform.domain.codes import Channel, ConsentEventKind, ConsentState


@dataclass(frozen=True)
class ConsentEvent:
    """One thing the patient (or the therapist on their behalf) said about feedback.

    `until` is the last local date (the service's zone) of a pause; sending may start again
    the day after (as `services.consent.may_contact`).
    `weekdays` (0 = Monday) are the days the patient still wants to be asked after
    reducing frequency. `invitation_id` names the invitation a decline was about.
    """

    kind: ConsentEventKind
    at: datetime
    until: date | None = None
    channel: Channel | None = None
    weekdays: frozenset[int] | None = None
    invitation_id: int | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("consent event time must be timezone-aware")
        if self.kind is ConsentEventKind.PAUSED and self.until is None:
            raise ValueError("a pause needs the date it ends")
        if self.kind is ConsentEventKind.CHANNEL_CHANGED and self.channel is None:
            raise ValueError("a channel change needs the new channel")
        if self.kind is ConsentEventKind.FREQUENCY_REDUCED:
            if not self.weekdays:
                raise ValueError("a frequency reduction needs at least one weekday")
            if not self.weekdays <= frozenset(range(7)):
                raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True)
class Hold:
    """A stretch of time when nothing could be sent: a pause or a stop, from `start` until it
    was lifted (`lifted_at`, a resume or restart) or, for a pause, until its last local day
    (`until`) was over, whichever came first. Both None: not over yet (a stop)."""

    start: datetime
    until: date | None = None
    lifted_at: datetime | None = None

    def end(self, tz: ZoneInfo) -> datetime | None:
        ends = []
        if self.until is not None:
            ends.append(datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=tz))
        if self.lifted_at is not None:
            ends.append(self.lifted_at)
        return min(ends) if ends else None

    def covers(self, at: datetime, tz: ZoneInfo) -> bool:
        end = self.end(tz)
        return self.start <= at and (end is None or at < end)


@dataclass(frozen=True)
class Consent:
    """What the events add up to. `paused_until` is only meaningful while PAUSED;
    use `status_at(now, tz)` because a pause runs out by itself. `holds` are the pauses and
    stops so far, oldest first: a skipped invitation names the pause when it was due in one
    (`held_at`)."""

    status: ConsentState = ConsentState.ACTIVE
    paused_until: date | None = None
    channel: Channel = Channel.SMS
    weekdays: frozenset[int] | None = None
    declined_invitation_ids: frozenset[int] = frozenset()
    changed_at: datetime | None = None
    holds: tuple[Hold, ...] = ()

    def status_at(self, now: datetime, tz: ZoneInfo) -> ConsentState:
        if (
            self.status is ConsentState.PAUSED
            and self.paused_until is not None
            and now.astimezone(tz).date() > self.paused_until
        ):
            return ConsentState.ACTIVE
        return self.status

    def held_at(self, at: datetime, tz: ZoneInfo) -> bool:
        """Was sending paused or stopped at `at`?"""
        return any(hold.covers(at, tz) for hold in self.holds)


def consent_state(
    events: Iterable[ConsentEvent],
    default_channel: Channel = Channel.SMS,
) -> Consent:
    """Fold the events, oldest first (stable for equal times), into the current state.

    A stop is only lifted by a restart, never by a resume; a pause while stopped
    leaves the patient stopped. Channel and frequency survive pauses and stops.
    """
    state = Consent(channel=default_channel)
    for event in sorted(events, key=lambda e: e.at):
        state = _apply(state, event)
    return state


def _apply(state: Consent, event: ConsentEvent) -> Consent:
    kind = event.kind
    if kind is ConsentEventKind.DECLINED_INVITATION:
        if event.invitation_id is None:
            return state
        declined = state.declined_invitation_ids | {event.invitation_id}
        return replace(state, declined_invitation_ids=declined)
    if kind is ConsentEventKind.CHANNEL_CHANGED:
        assert event.channel is not None
        return replace(state, channel=event.channel, changed_at=event.at)
    if kind is ConsentEventKind.FREQUENCY_REDUCED:
        return replace(state, weekdays=event.weekdays, changed_at=event.at)
    if kind is ConsentEventKind.STOPPED:
        return replace(
            state,
            status=ConsentState.STOPPED,
            paused_until=None,
            changed_at=event.at,
            holds=_hold_from(state, event.at, None),
        )
    if kind is ConsentEventKind.RESTARTED:
        return _active_again(state, event.at)
    if state.status is ConsentState.STOPPED:
        return state
    if kind is ConsentEventKind.PAUSED:
        return replace(
            state,
            status=ConsentState.PAUSED,
            paused_until=event.until,
            changed_at=event.at,
            holds=_hold_from(state, event.at, event.until),
        )
    # RESUMED
    return _active_again(state, event.at)


def _active_again(state: Consent, at: datetime) -> Consent:
    """After a restart (from a stop or a pause) or a resume (from a pause): questionnaires on
    again from `at`."""
    return replace(
        state,
        status=ConsentState.ACTIVE,
        paused_until=None,
        changed_at=at,
        holds=_lift(state.holds, at),
    )


def _hold_from(state: Consent, at: datetime, until: date | None) -> tuple[Hold, ...]:
    """The holds after a pause (`until` its last day) or a stop (None) at `at`. A pause still
    running is lifted at `at` and the new one starts there: together they cover the same time."""
    return (*_lift(state.holds, at), Hold(at, until))


def _lift(holds: tuple[Hold, ...], at: datetime) -> tuple[Hold, ...]:
    if holds and holds[-1].lifted_at is None:
        return (*holds[:-1], replace(holds[-1], lifted_at=at))
    return holds


def may_send(consent: Consent, now: datetime, tz: ZoneInfo) -> bool:
    """True when a message may go out at `now`: active, or a pause whose last day has passed."""
    return consent.status_at(now, tz) is ConsentState.ACTIVE
