"""Acknowledging, resolving and escalating signals.

A risk signal must be acknowledged by a clinician with a note of what was done before it can
be resolved; every other signal can be acknowledged and resolved with a short note. The pages
show the open signals of one code as one flag (``presession_contents.SignalFlag``), so acting on a
signal acts on the earlier open signals of the same code in the episode too, never on a later
one: a risk answer given after the page was read still waits for its own acknowledgement. Open risk
signals not acknowledged within the escalation time are marked (``escalated_at``) by
:func:`escalate_overdue_risk_signals`, which the scheduler calls; the unit leads' caseload finds
them by the same rule in its own query, so the list is right even between scheduler runs. A unit
with no lead has nobody to escalate to: the signal and the caseloads of the unit's therapists
say so in red, and the escalation logs a warning instead of claiming a reader.

Two people acting on an episode's signals at once act one after the other
(:func:`hold_episode_signals`): each reads the signals only once it holds the episode, so the
second sees what the first did (a note is never overwritten, a signal resolved in between is
"already resolved", a withdrawn acknowledgement is not left on a resolved risk signal).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ScalarSelect, Select, and_, or_, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, Signal
from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.access_control import Viewer, visible_episodes
from fit_platform.services.access_log import Action, record_access
from fit_platform.services.caseload_queries import overdue_risk_signals
from fit_platform.services.invitation_common import rowcount
from fit_platform.services.risk_waiting import risk_not_acknowledged
from fit_platform.services.unattended import has_active_responsible, unit_has_lead

log = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 500


class SignalActionError(StrEnum):
    NOT_FOUND = "not_found"  # no such signal, or not visible to this viewer
    NOTE_REQUIRED = "note_required"
    NOTE_TOO_LONG = "note_too_long"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_RESOLVED = "already_resolved"
    RISK_NOT_ACKNOWLEDGED = "risk_not_acknowledged"


class SignalActionRefused(Exception):
    def __init__(self, reason: SignalActionError) -> None:
        self.reason = reason
        super().__init__(reason.value)


@dataclass(frozen=True)
class SignalState:
    signal_id: int
    episode_id: int
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None


def hold_episode_signals(session: Session, episode_id: int | ScalarSelect[int]) -> None:
    """Wait for, then hold until the caller's transaction ends, the right to act on the
    episode's signals; read the signals after this. Each statement of a READ COMMITTED
    transaction sees what was committed when it started, so without it two clinicians
    acknowledging one flag at once both found it waiting, and the second note replaced the
    first. `FOR NO KEY UPDATE` on the episode's row: a patient's answers and new signals
    (which only refer to the row) are not held up. SQLite has one writer at a time and
    ignores it."""
    session.execute(
        select(Episode.id).where(Episode.id == episode_id).with_for_update(key_share=True)
    )


def _visible_signal(
    session: Session,
    viewer: Viewer,
    signal_id: int,
    episode_id: int | None,
    action: str,
    now: dt.datetime,
) -> Signal:
    """The signal if the viewer may see its episode; the access is logged in the same
    transaction (acting on a signal is a use of the patient's record)."""
    hold_episode_signals(
        session, select(Signal.episode_id).where(Signal.id == signal_id).scalar_subquery()
    )
    mine = select(EpisodeTherapist.episode_id).where(EpisodeTherapist.staff_id == viewer.staff_id)
    stmt = (
        select(Signal, Episode.patient_id, Episode.unit_id, Episode.id.in_(mine))
        .join(Episode, Episode.id == Signal.episode_id)
        .where(Signal.id == signal_id, Episode.id.in_(visible_episodes(viewer)))
    )
    if episode_id is not None:
        stmt = stmt.where(Signal.episode_id == episode_id)
    found = session.execute(stmt).first()
    if found is None:
        raise SignalActionRefused(SignalActionError.NOT_FOUND)
    signal, patient_id, unit_id, is_mine = found
    record_access(
        session,
        staff_id=viewer.staff_id,
        role=Role.THERAPIST if is_mine else Role.UNIT_LEAD,
        patient_id=patient_id,
        unit_id=unit_id,
        action=action,
        now=now,
    )
    return signal


def _earlier_open_of_same_code(session: Session, signal: Signal) -> list[Signal]:
    """The open signals of the same code in the episode raised up to this one (itself
    included), oldest first: the ones its flag showed when this was the newest."""
    return list(
        session.scalars(
            select(Signal)
            .where(
                Signal.episode_id == signal.episode_id,
                Signal.code == signal.code,
                Signal.resolved_at.is_(None),
                or_(
                    Signal.raised_at < signal.raised_at,
                    and_(Signal.raised_at == signal.raised_at, Signal.id <= signal.id),
                ),
            )
            .order_by(Signal.raised_at, Signal.id)
        )
    )


def _clean_note(note: str | None, required: bool) -> str | None:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise SignalActionRefused(SignalActionError.NOTE_TOO_LONG)
    if required and not note:
        raise SignalActionRefused(SignalActionError.NOTE_REQUIRED)
    return note or None


def acknowledge_signal(
    db: Database,
    viewer: Viewer,
    signal_id: int,
    note: str | None,
    *,
    now: dt.datetime,
    episode_id: int | None = None,
) -> SignalState:
    """Record who acknowledged a signal, when and what was done (required for risk signals).

    Callable by any clinician who can see the episode; logs one line with ids only.
    """
    with db.transaction(now=now) as session:
        signal = _visible_signal(
            session, viewer, signal_id, episode_id, Action.SIGNAL_ACKNOWLEDGE, now
        )
        if signal.resolved_at is not None:
            raise SignalActionRefused(SignalActionError.ALREADY_RESOLVED)
        if signal.acknowledged_at is not None:
            raise SignalActionRefused(SignalActionError.ALREADY_ACKNOWLEDGED)
        cleaned = _clean_note(note, signal.code == SignalCode.RISK_ANSWER)
        acknowledge_flag(session, signal, viewer.staff_id, cleaned, now)
        return SignalState(signal.id, signal.episode_id, signal.acknowledged_at, None)


def acknowledge_flag(
    session: Session, signal: Signal, staff_id: int, note: str | None, now: dt.datetime
) -> None:
    """Acknowledge `signal` and the earlier open ones of its code not yet acknowledged (the
    flag the page showed), in the caller's transaction; the caller has checked access."""
    for each in _earlier_open_of_same_code(session, signal):
        if each.acknowledged_at is not None:
            continue
        each.acknowledge_note = note
        each.acknowledged_at = now
        each.acknowledged_by_id = staff_id
        log.info(
            "signal acknowledged",
            extra={
                "event": "signal_acknowledged",
                "signal_id": each.id,
                "episode_id": each.episode_id,
                "staff_id": staff_id,
                "seconds_to_acknowledge": int((now - each.raised_at).total_seconds()),
            },
        )


def resolve_signal(
    db: Database,
    viewer: Viewer,
    signal_id: int,
    note: str | None,
    *,
    now: dt.datetime,
    episode_id: int | None = None,
) -> SignalState:
    """Close a signal with an optional short note. A risk signal must be acknowledged first;
    any other signal is acknowledged by the same act if it was not already."""
    with db.transaction(now=now) as session:
        signal = _visible_signal(session, viewer, signal_id, episode_id, Action.SIGNAL_RESOLVE, now)
        if signal.resolved_at is not None:
            raise SignalActionRefused(SignalActionError.ALREADY_RESOLVED)
        flag = _earlier_open_of_same_code(session, signal)
        if signal.code == SignalCode.RISK_ANSWER and any(
            each.acknowledged_at is None for each in flag
        ):
            # Every risk answer the flag shows must have been acted on before it closes.
            raise SignalActionRefused(SignalActionError.RISK_NOT_ACKNOWLEDGED)
        cleaned = _clean_note(note, required=False)
        for each in flag:
            if each.acknowledged_at is None:
                each.acknowledged_at = now
                each.acknowledged_by_id = viewer.staff_id
            each.resolve_note = cleaned
            each.resolved_at = now
            each.resolved_by_id = viewer.staff_id
            log.info(
                "signal resolved",
                extra={
                    "event": "signal_resolved",
                    "signal_id": each.id,
                    "episode_id": each.episode_id,
                    "staff_id": viewer.staff_id,
                },
            )
        return SignalState(signal.id, signal.episode_id, signal.acknowledged_at, now)


def escalate_overdue_risk_signals(db: Database, *, after: dt.timedelta, now: dt.datetime) -> int:
    """Mark open risk signals unacknowledged for longer than `after` as escalated.

    Idempotent (a signal is escalated once); for the scheduler. Returns how many were marked.
    """
    with db.transaction(now=now) as session:
        found = session.execute(
            overdue_risk_signals(now - after)
            .add_columns(Episode.unit_id, unit_has_lead(Episode.unit_id))
            .join(Episode, Episode.id == Signal.episode_id)
            .where(Signal.escalated_at.is_(None))
        ).all()
        ids = [signal_id for signal_id, _unit_id, _has_lead in found]
        if ids:
            session.execute(update(Signal).where(Signal.id.in_(ids)).values(escalated_at=now))
            for signal_id, unit_id, has_lead in found:
                if has_lead:
                    log.info(
                        "risk signal escalated to the unit's leads",
                        extra={"event": "signal_escalated", "signal_id": signal_id},
                    )
                else:
                    # Nobody to show it to: the signal and the unit's caseloads say so in red.
                    log.warning(
                        "risk signal overdue and the unit has no lead: nobody was notified",
                        extra={
                            "event": "signal_escalation_no_lead",
                            "signal_id": signal_id,
                            "unit_id": unit_id,
                        },
                    )
    return len(ids)


def keep_on_leads_list(
    session: Session, episode_ids: Collection[int] | Select[tuple[int]], now: dt.datetime
) -> int:
    """Mark escalated, now, the open risk signals of `episode_ids` that are on the unit
    leads' list only because nobody active is responsible (`overdue_risk_signals`). Called in
    the transaction that gives such an episode an active therapist again (a transfer, a
    reactivation, a therapist role given back), before the change: the lead has seen them as
    overdue, and a therapist arriving must not take them off the list unacknowledged, with
    the new therapist reading them as fresh (docs/administration-staff.md). A walk
    transferred an episode a minute after its risk answer; the signal left the lead's list
    for a day, until the scheduler's escalation came round. Returns how many were marked."""
    return rowcount(
        session.execute(
            update(Signal)
            .where(
                Signal.episode_id.in_(episode_ids),
                risk_not_acknowledged(),
                Signal.escalated_at.is_(None),
                ~has_active_responsible(Signal.episode_id),
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
    )


@dataclass(frozen=True)
class AcknowledgeTime:
    """For the service export: how long signals waited for a clinician (no patient data)."""

    signal_id: int
    unit_id: int
    code: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime

    @property
    def time_to_acknowledge(self) -> dt.timedelta:
        return self.acknowledged_at - self.raised_at


def acknowledge_times(
    db: Database, *, since: dt.datetime, unit_id: int | None = None
) -> list[AcknowledgeTime]:
    """Time-to-acknowledge (acknowledged_at − raised_at) of signals raised since `since`."""
    stmt = (
        select(Signal.id, Episode.unit_id, Signal.code, Signal.raised_at, Signal.acknowledged_at)
        .join(Episode, Episode.id == Signal.episode_id)
        .where(Signal.raised_at >= since, Signal.acknowledged_at.is_not(None))
        .order_by(Signal.raised_at)
    )
    if unit_id is not None:
        stmt = stmt.where(Episode.unit_id == unit_id)
    with db.session() as session:
        return [
            AcknowledgeTime(signal_id, unit, code, raised_at, acknowledged_at)
            for signal_id, unit, code, raised_at, acknowledged_at in session.execute(stmt)
            if acknowledged_at is not None  # always, by the query; tells the type checker
        ]
