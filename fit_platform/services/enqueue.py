"""Creating the due invitations and their outbox messages (the scheduler's enqueue tick).

How a tick finds work without loading every episode: SQL picks the candidate episodes
(an appointment near now with no invitation for it yet, or a day rule for a recent date
with no invitation for that date: `enqueue_candidates.py`), the domain's `due_invitations`
decides for those (quiet hours, DST, windows, minimum interval, time left to answer,
consent), and the result goes back as one multi-row insert per chunk (`enqueue_insert.py`).
The invitation and its outbox message are written in the same transaction.

This module holds the tick itself and what it reads for the rules: each candidate episode's
rules, appointments, existing invitations and consent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    Invitation,
    Patient,
    SchedulePlan,
    ScheduleRule,
    Unit,
)
from fit_platform.domain import schedule_model
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.quiet_hours import QuietHours
from fit_platform.domain.schedulability import why_not_on_a_schedule
from fit_platform.domain.scheduling import REPLIED_STATES, due_invitations
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.domain.unit_triggers import trigger_runs_at
from fit_platform.services.cancel import cancel_for_changed_appointments
from fit_platform.services.enqueue_candidates import (
    LIVE_APPOINTMENT,
    QUIET_SLACK,
    appointment_candidates,
    day_candidates,
)
from fit_platform.services.enqueue_insert import Due, insert_due
from fit_platform.services.invitation_common import (
    EnqueueResult,
    among,
    consent_by_patient,
)
from fit_platform.services.schedule_plans import (
    domain_rule,
    parse_iso_weekdays,
    quiet_hours_of,
)

log = logging.getLogger("fit_platform.services.invitations")

# Appointments outside these years are never scheduled around (see _appointment_snapshots).
SANE_YEARS = (1900, 2999)


def enqueue_due(
    db: Database,
    now: dt.datetime,
    *,
    zone: ZoneInfo,
    horizon: dt.timedelta = dt.timedelta(0),
    chunk_size: int = 2000,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> EnqueueResult:
    """Create the invitations due at `now` (plus `horizon`) and their outbox messages.

    Quiet hours are the unit's (local times in the service's `zone`). A slot whose window is
    open but leaves less than `min_window` to answer once a message may leave is stored as
    expired with its reason (the therapist sees it) and gets no message. An episode whose
    data the rules cannot handle (an appointment at the edge of the calendar) is logged and
    left out; the others go ahead. Safe to run any number of times and from several
    processes at once. Logs one line with counts only.
    """
    cancel_for_changed_appointments(db, now, min_window=min_window)
    with db.session(now=now) as session:
        max_offset, max_window, max_interval = rule_bounds(session)
        episode_ids = sorted(
            appointment_candidates(session, now, horizon, max_offset, max_window)
            | day_candidates(session, now, horizon, max_window, zone)
        )
    created = messages = 0
    lookback = lookback_for(max_window, max_interval)
    for chunk in _chunks(episode_ids, chunk_size):
        with db.transaction(now=now) as session:
            due = due_for(session, chunk, now, horizon, lookback, min_window, zone)
            invitations, queued = insert_due(session, due, now)
            created += invitations
            messages += queued
    log.info(
        "invitations enqueued",
        extra={"candidates": len(episode_ids), "invitations": created, "messages": messages},
    )
    return EnqueueResult(len(episode_ids), created, messages)


def rule_bounds(session: Session) -> tuple[dt.timedelta, dt.timedelta, dt.timedelta]:
    """The longest offset, answer window and minimum interval of any rule in use."""
    bounds = session.execute(
        select(
            func.coalesce(func.max(ScheduleRule.offset_hours), 0),
            func.coalesce(func.max(ScheduleRule.window_hours), 0),
            func.coalesce(func.max(ScheduleRule.min_interval_hours), 0),
        ).where(ScheduleRule.active.is_(True))
    ).one()
    offset, window, interval = (dt.timedelta(hours=h) for h in bounds)
    return offset, window, interval


def lookback_for(max_window: dt.timedelta, max_interval: dt.timedelta) -> dt.timedelta:
    """How far back the existing invitations are read. An invitation can leave as late as its
    window's end, and the minimum interval counts from then: one planned that long before
    still counts."""
    return max_window + max_interval + QUIET_SLACK


def due_for(
    session: Session,
    episode_ids: Sequence[int],
    now: dt.datetime,
    horizon: dt.timedelta,
    lookback: dt.timedelta,
    min_window: dt.timedelta,
    zone: ZoneInfo,
) -> list[Due]:
    dialect = session.get_bind().dialect.name
    episodes = session.execute(
        select(
            Episode.id,
            Episode.patient_id,
            Episode.started_on,
            Episode.ended_on,
            Episode.own_weekdays,
            Unit.quiet_from,
            Unit.quiet_until,
            Unit.kind,
            Patient.preferred_channel,
        )
        .join(SchedulePlan, SchedulePlan.episode_id == Episode.id)
        .join(Unit, Unit.id == Episode.unit_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(among(Episode.id, episode_ids, dialect))
    ).all()
    rules_by_episode: dict[int, list[tuple[int, schedule_model.ScheduleRule]]] = defaultdict(list)
    # Plain rows, not ORM objects: a tick reads tens of thousands of rules.
    rule_rows = session.execute(
        select(
            ScheduleRule.id,
            ScheduleRule.instrument_id,
            ScheduleRule.trigger,
            ScheduleRule.offset_hours,
            ScheduleRule.weekdays,
            ScheduleRule.window_hours,
            ScheduleRule.reminder_after_hours,
            ScheduleRule.min_interval_hours,
            ScheduleRule.send_time,
            SchedulePlan.episode_id,
        )
        .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
        .where(among(SchedulePlan.episode_id, episode_ids, dialect), ScheduleRule.active.is_(True))
    ).all()
    # An old rule may name an instrument that is now draft or retired: it is skipped (logged),
    # never sent (domain/schedulability.py).
    unschedulable = _unschedulable_instruments({r.instrument_id for r in rule_rows})
    # Most episodes share their rules' settings (plans come from a few templates); the
    # domain rule is immutable, so one object per distinct setting serves them all.
    same_rule: dict[tuple[Any, ...], schedule_model.ScheduleRule] = {}
    for rule_row in rule_rows:
        if rule_row.instrument_id in unschedulable:
            continue
        settings = tuple(rule_row)[1:-1]
        rule = same_rule.get(settings)
        if rule is None:
            rule = same_rule[settings] = domain_rule(rule_row)
        rules_by_episode[rule_row.episode_id or 0].append((rule_row.id, rule))
    existing: dict[int, list[schedule_model.ExistingInvitation]] = defaultdict(list)
    for row in session.execute(
        select(
            Invitation.episode_id,
            Invitation.slot_key,
            Invitation.instrument_id,
            Invitation.due_at,
            Invitation.state,
            Invitation.sent_at,
            Invitation.expires_at,
        ).where(
            among(Invitation.episode_id, episode_ids, dialect),
            or_(
                Invitation.due_at >= now - lookback,
                _replied_for_a_recent_appointment(now, lookback),
            ),
        )
    ):
        existing[row.episode_id].append(
            schedule_model.ExistingInvitation(
                row.slot_key,
                row.instrument_id,
                row.due_at,
                row.state,
                row.sent_at,
                row.expires_at,
            )
        )
    # Appointments after invitations: a move committed between the two reads then shows the
    # new time with the old invitations, and what is planned for it is what the next tick
    # would plan (or a duplicate the insert skips). The other order could plan the old time
    # again after the move gave its slot back (services/cancel.py), and nothing would
    # withdraw that one (it is newer than the move).
    appointments = _appointment_snapshots(session, episode_ids, episodes, zone)
    consents = consent_by_patient(
        session,
        {e.patient_id for e in episodes},
        {e.patient_id: e.preferred_channel for e in episodes},
    )

    quiet_by_unit: dict[tuple[str | None, str | None], QuietHours] = {}

    def quiet_of(quiet_from: str | None, quiet_until: str | None) -> QuietHours:
        key = (quiet_from, quiet_until)
        if key not in quiet_by_unit:
            quiet_by_unit[key] = quiet_hours_of(quiet_from, quiet_until)
        return quiet_by_unit[key]

    result: list[Due] = []
    for e in episodes:
        # A daily rule stored at an outpatient unit is kept but never sent (an episode can
        # be a candidate through its appointment rules).
        episode_rules = [
            (rule_id, rule)
            for rule_id, rule in rules_by_episode.get(e.id, [])
            if trigger_runs_at(rule.trigger, e.kind)
        ]
        consent = consents[e.patient_id]
        snapshot = schedule_model.EpisodeSnapshot(
            id=e.id,
            starts_on=e.started_on,
            ends_on=e.ended_on,
            programme_weekdays=schedule_model.ALL_WEEKDAYS,
            # The patient's own days narrow the daily rules' programme days (None: all).
            agreed_weekdays=parse_iso_weekdays(e.own_weekdays) or None,
        )
        rule_ids = {r: rule_id for rule_id, r in episode_rules}
        try:
            due = due_invitations(
                snapshot,
                [r for _, r in episode_rules],
                appointments.get(e.id, []),
                consent,
                existing.get(e.id, []),
                now,
                quiet=quiet_of(e.quiet_from, e.quiet_until),
                horizon=horizon,
                tz=zone,
                min_window=min_window,
            )
        except (OverflowError, ValueError):
            # One episode the rules cannot handle must not stop every other one, tick
            # after tick.
            log.warning("episode left out of scheduling", extra={"episode_id": e.id}, exc_info=True)
            continue
        channel = consent.channel
        for invitation in due:
            rule_id = next(
                rule_ids[r]
                for r in rule_ids
                if r.instrument_id == invitation.instrument_id and r.trigger is invitation.trigger
            )
            result.append(Due(invitation, rule_id, e.patient_id, channel))
    return result


def _unschedulable_instruments(named: set[str]) -> frozenset[str]:
    library = default_instruments()
    # Only a loaded definition can be draft or retired. An id this process has not loaded is
    # left to the patient pages as before (a service's own file may be loaded elsewhere).
    # A group form named by an individual rule is skipped too: it is sent after a group
    # session only.
    refused = frozenset(
        i for i in named if i in library and why_not_on_a_schedule(library[i]) is not None
    )
    for instrument_id in sorted(refused):
        log.warning(
            "schedule rules name an instrument that cannot be scheduled; skipped",
            extra={"instrument_id": instrument_id},
        )
    return refused


def _replied_for_a_recent_appointment(now: dt.datetime, lookback: dt.timedelta) -> Any:
    """An answered or declined questionnaire of an appointment that may still get one: the
    reply stands for the appointment when it is moved, however long ago it was given
    (`scheduling.due_invitations`). An appointment earlier than this can get none."""
    earliest = now - lookback - dt.timedelta(hours=schedule_model.MAX_OFFSET_HOURS)
    return and_(
        Invitation.state.in_(REPLIED_STATES),
        Invitation.appointment_id.in_(
            select(Appointment.id).where(
                Appointment.episode_id == Invitation.episode_id,
                Appointment.starts_at >= earliest,
            )
        ),
    )


def _appointment_snapshots(
    session: Session, episode_ids: Sequence[int], episodes: Sequence[Any], zone: ZoneInfo
) -> dict[int, list[schedule_model.AppointmentSnapshot]]:
    ended_on = {e.id: e.ended_on for e in episodes}
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(
            Appointment.id,
            Appointment.episode_id,
            Appointment.starts_at,
            Appointment.status,
            Appointment.is_last,
            Appointment.updated_at,
        )
        .where(
            among(Appointment.episode_id, episode_ids, dialect),
            Appointment.status.in_(LIVE_APPOINTMENT),
        )
        .order_by(Appointment.episode_id, Appointment.starts_at, Appointment.id)
    ).all()
    by_episode: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if not SANE_YEARS[0] <= row.starts_at.year <= SANE_YEARS[1]:
            # A date no form accepts (year 1, 9999) is a data error, not a session: it
            # neither counts as the first or last session nor is scheduled around.
            log.warning("appointment left out of scheduling", extra={"appointment_id": row.id})
            continue
        by_episode[row.episode_id].append(row)
    result: dict[int, list[schedule_model.AppointmentSnapshot]] = {}
    for episode_id, appts in by_episode.items():
        # The last session is the one the therapist marked as last (the latest, should two
        # be marked); without a mark, the last live appointment on or before a set end date.
        # The end date alone never sent anything: only the close sets it, and a closed
        # episode is not planned (services/appointments.py `mark_last`).
        marked = [a for a in appts if a.is_last]
        end = ended_on.get(episode_id)
        last_id = marked[-1].id if marked else None
        if last_id is None and end is not None:
            before_end = [a for a in appts if a.starts_at.astimezone(zone).date() <= end]
            last_id = before_end[-1].id if before_end else None
        result[episode_id] = [
            schedule_model.AppointmentSnapshot(
                a.id, a.starts_at, a.status, a.id == last_id, booked_at=a.updated_at
            )
            for a in appts
        ]
    return result


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
