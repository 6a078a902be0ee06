"""A therapist reads and edits one episode's own schedule (its copy of the unit's template).

Who may call it: a therapist on the episode. Every rule is checked by the domain's own
`ScheduleRule` before it is stored, so the page can never save a rule the scheduler would
refuse; its instrument must be schedulable (not draft, `domain/schedulability.py`) and
enabled for the episode's unit (`services/unit_instruments.py`). Changes take effect at the
scheduler's next tick; invitations already sent are not touched. A rule switched off takes
with it its questionnaires planned and not sent yet (held for quiet hours, say): the page
promises the change applies from the next questionnaire, and that one is the next. A rule
changed to another questionnaire, kind of occasion or days takes with it those it no longer
asks for (`services/plan_changes.py`).
Each read or change writes one access-log row.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    ConsentEvent,
    Episode,
    Invitation,
    Patient,
    SchedulePlan,
    ScheduleRule,
    Unit,
)
from fit_platform.domain.codes import (
    AppointmentStatus,
    ConsentEventKind,
    ConsentState,
    EpisodeStatus,
    InvitationState,
    ScheduleTrigger,
    UnitKind,
)
from fit_platform.domain.instruments import default_instruments
from fit_platform.domain.schedulability import NotSchedulable, why_not_on_a_schedule
from fit_platform.domain.schedule_model import MAX_OFFSET_HOURS, RuleProblem
from fit_platform.domain.unit_triggers import trigger_runs_at
from fit_platform.services.access_control import treating_episode
from fit_platform.services.cancel import cancel_invitations
from fit_platform.services.caseload_queries import open_fewer_wishes
from fit_platform.services.invitation_common import NonResponse
from fit_platform.services.plan_changes import cancel_planned_not_asked_for
from fit_platform.services.schedule_plans import domain_rule_problems, format_iso_weekdays
from fit_platform.services.unit_instruments import enabled_ids

log = logging.getLogger(__name__)


class ScheduleNotFound(LookupError):
    """No such episode or rule, or one the caller may not edit (the same answer for both)."""


class InvalidRule(ValueError):
    """The rule would not make sense; `code` says why (translated by the page), `codes` every
    reason found, `code` first."""

    def __init__(self, code: str, *more: str) -> None:
        super().__init__(code)
        self.code = code
        self.codes = (code, *more)


@dataclass(frozen=True)
class RuleChange:
    instrument_id: str
    trigger: ScheduleTrigger
    offset_hours: int
    weekdays: frozenset[int]  # ISO: 1 = Monday … 7 = Sunday
    send_time: dt.time | None
    window_hours: int
    reminder_after_hours: int | None
    min_interval_hours: int
    active: bool


def _episode(
    session: Session,
    staff_id: int,
    episode_id: int,
    action: str,
    *,
    now: dt.datetime,
    change: bool = False,
) -> Episode:
    episode = treating_episode(session, staff_id, episode_id, action=action, now=now, change=change)
    if episode is None:
        raise ScheduleNotFound(episode_id)
    return episode


def _plan(session: Session, episode_id: int) -> SchedulePlan:
    plan = session.scalar(select(SchedulePlan).where(SchedulePlan.episode_id == episode_id))
    if plan is None:
        # An episode registered before its unit had a template starts with an empty plan.
        plan = SchedulePlan(name="", episode_id=episode_id)
        session.add(plan)
        session.flush()
    return plan


# The page's error code for each reason the scheduler refuses a rule; any other is "invalid".
_RULE_PROBLEM_CODES = {
    RuleProblem.REMINDER_OUTSIDE_WINDOW: "reminder_after_window",
    RuleProblem.WEEKDAY_OUT_OF_RANGE: "weekday_needed",
    RuleProblem.WEEKDAY_NEEDED: "weekday_needed",
}


def checked_rule(change: RuleChange) -> RuleChange:
    """The change if the scheduler can run it, else `InvalidRule` with every reason found
    (a form shows them all at once; also used for templates)."""
    codes = []
    reason = why_not_on_a_schedule(default_instruments().get(change.instrument_id))
    if reason is NotSchedulable.UNKNOWN:
        codes.append("unknown_instrument")
    elif reason is not None:
        codes.append(f"instrument_{reason.value}")
    if not 0 <= change.offset_hours <= MAX_OFFSET_HOURS or not 1 <= change.window_hours <= 24 * 28:
        codes.append("out_of_range")
    if not change.weekdays <= set(range(1, 8)):
        codes.append("bad_weekday")
    else:  # the scheduler's own validation
        for problem in domain_rule_problems(apply_rule(ScheduleRule(), change)):
            code = _RULE_PROBLEM_CODES.get(problem, "invalid")
            if code not in codes:
                codes.append(code)
    if codes:
        raise InvalidRule(*codes)
    return change


def check_trigger_fits_unit(change: RuleChange, kind: UnitKind) -> None:
    """`InvalidRule` when the unit cannot run the rule's trigger (a daily rule outside a day
    programme, `domain/unit_triggers.py`). A rule not in use may keep it, so an old daily
    rule can be switched off without first being changed into another kind."""
    if change.active and not trigger_runs_at(change.trigger, kind):
        raise InvalidRule("daily_needs_day_programme")


def apply_rule(row: ScheduleRule, change: RuleChange) -> ScheduleRule:
    """Write a checked change onto a stored rule (an episode's or a template's)."""
    row.instrument_id = change.instrument_id
    row.trigger = change.trigger
    row.offset_hours = change.offset_hours
    # Stored ISO (1 = Monday); format_iso_weekdays takes the domain's 0-based days.
    row.weekdays = (
        format_iso_weekdays(day - 1 for day in change.weekdays) if change.weekdays else None
    )
    row.send_time = change.send_time.strftime("%H:%M") if change.send_time else None
    row.window_hours = change.window_hours
    row.reminder_after_hours = change.reminder_after_hours
    row.min_interval_hours = change.min_interval_hours
    row.active = change.active
    return row


class UnitArchived(Exception):
    """The episode's unit is archived: its schedule is not changed."""


class RuleUnchanged(Exception):
    """A rule saved as it was: nothing is written and no change is logged. A patient's wish
    for fewer questionnaires stays open until the plan really changes
    (`caseload_queries.open_fewer_wishes` counts a logged change as the new plan)."""


@dataclass(frozen=True)
class EpisodeSchedule:
    """The episode's rules as the schedule page reads them, and whether it may still change."""

    rules: list[ScheduleRule]
    status: EpisodeStatus
    ended_on: dt.date | None
    # The unit is archived: nothing is sent, so the plan is shown read-only.
    unit_archived: bool = False
    # The patient's say over the plan: a plan in use sends nothing to a patient who stopped,
    # or paused (until the day after ``paused_until``), and the page says so above the rules.
    consent_state: ConsentState = ConsentState.ACTIVE
    paused_until: dt.date | None = None
    # An appointment not cancelled is marked as the course's last: "Before the last
    # appointment" has a session to ask before (services/appointments.py `mark_last`).
    has_last_appointment: bool = False

    @property
    def is_closed(self) -> bool:
        return self.status is not EpisodeStatus.ACTIVE


def episode_rules(
    db: Database, *, staff_id: int, episode_id: int, now: dt.datetime
) -> EpisodeSchedule:
    """The rules of the episode's own plan (none when it has no plan yet), with one
    access-log row. Reading creates nothing: the plan is made when the first rule is saved,
    so opening the page of a closed episode leaves no empty plan behind."""
    with db.transaction(now=now) as session:
        episode = _episode(session, staff_id, episode_id, "schedule_view", now=now)
        rules = session.scalars(
            select(ScheduleRule)
            .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
            .where(SchedulePlan.episode_id == episode_id)
            .order_by(ScheduleRule.id)
        ).all()
        archived = session.get_one(Unit, episode.unit_id).archived_at is not None
        patient = session.get_one(Patient, episode.patient_id)
        last = session.scalar(
            select(Appointment.id).where(
                Appointment.episode_id == episode_id,
                Appointment.is_last.is_(True),
                Appointment.status != AppointmentStatus.CANCELLED,
            )
        )
        return EpisodeSchedule(
            list(rules),
            episode.status,
            episode.ended_on,
            archived,
            patient.consent_state,
            patient.paused_until,
            has_last_appointment=last is not None,
        )


def unit_quiet_hours(db: Database, *, episode_id: int) -> tuple[str, str]:
    """The quiet hours ("HH:MM", "HH:MM") of the episode's unit, which hold every message.
    A unit setting, not patient data: the caller has already checked access to the episode
    (`episode_rules`), so no second access-log row is written."""
    with db.session() as session:
        row = session.execute(
            select(Unit.quiet_from, Unit.quiet_until)
            .join(Episode, Episode.unit_id == Unit.id)
            .where(Episode.id == episode_id)
        ).one_or_none()
    if row is None:
        raise ScheduleNotFound(episode_id)
    return row.quiet_from, row.quiet_until


@dataclass(frozen=True)
class FewerWish:
    """The patient's latest request for fewer questionnaires: when, and their words if any."""

    at: dt.datetime
    words: str | None


def unit_kind_of_episode(db: Database, *, episode_id: int) -> UnitKind:
    """The kind of the episode's unit, which decides the triggers its schedule offers. Like
    `unit_quiet_hours`, the caller has already checked access to the episode."""
    with db.session() as session:
        kind = session.scalar(
            select(Unit.kind)
            .join(Episode, Episode.unit_id == Unit.id)
            .where(Episode.id == episode_id)
        )
    if kind is None:
        raise ScheduleNotFound(episode_id)
    return kind


def latest_fewer_wish(db: Database, *, episode_id: int) -> FewerWish | None:
    """The episode's patient's latest "fewer questionnaires" wish, or None.

    The patient is told "your therapist sees your wish and agrees a new plan with you"; the
    plan page, where that plan is made, shows it. Like `unit_quiet_hours`, the caller has
    already checked access to the episode (`episode_rules` wrote the access-log row).
    """
    with db.session() as session:
        row = session.execute(
            select(ConsentEvent.created_at, ConsentEvent.reason)
            .join(Episode, Episode.patient_id == ConsentEvent.patient_id)
            .where(
                Episode.id == episode_id,
                ConsentEvent.kind == ConsentEventKind.FREQUENCY_REDUCED,
            )
            .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
            .limit(1)
        ).one_or_none()
    if row is None:
        return None
    return FewerWish(at=row.created_at, words=row.reason or None)


def open_fewer_wish(db: Database, *, episode_id: int) -> dt.datetime | None:
    """When the patient asked for fewer questionnaires, while no new plan has followed
    (`caseload_queries.open_fewer_wishes`, the rule the caseload's marker follows)."""
    with db.session() as session:
        return open_fewer_wishes(session, [episode_id]).get(episode_id)


def save_rule(
    db: Database,
    *,
    staff_id: int,
    episode_id: int,
    rule_id: int | None,
    change: RuleChange,
    now: dt.datetime,
) -> int:
    """Add a rule (`rule_id` None) or change one of this episode's rules; returns its id."""
    change = checked_rule(change)
    with db.transaction(now=now) as session:
        # An ended episode sends nothing more: its schedule is read-only (`EpisodeClosed`).
        # An added rule is its own action: it is no answer to a patient's wish for fewer
        # questionnaires (`caseload_queries.open_fewer_wishes` counts changed rules only).
        action = "schedule_rule_added" if rule_id is None else "schedule_change"
        episode = _episode(session, staff_id, episode_id, action, now=now, change=True)
        unit = session.get_one(Unit, episode.unit_id)
        if unit.archived_at is not None:
            # An archived unit sends nothing (docs/administration.md): a changed rule would
            # promise questionnaires that never come.
            raise UnitArchived(episode_id)
        # A rule switched off sends nothing, so it may keep a questionnaire the unit has
        # switched off since: a walk found the therapist unable to stop such a rule at all.
        if change.active and change.instrument_id not in enabled_ids(session, episode.unit_id):
            raise InvalidRule("instrument_not_enabled")
        check_trigger_fits_unit(change, unit.kind)
        plan = _plan(session, episode_id)
        if rule_id is None:
            row = apply_rule(ScheduleRule(plan_id=plan.id), change)
            session.add(row)
        else:
            found = session.scalar(
                select(ScheduleRule).where(
                    ScheduleRule.id == rule_id, ScheduleRule.plan_id == plan.id
                )
            )
            if found is None:
                raise ScheduleNotFound(rule_id)
            switched_off = found.active and not change.active
            row = apply_rule(found, change)
            # The ORM's own change tracking: values set equal to the stored ones are no change.
            if not session.is_modified(row):
                raise RuleUnchanged(rule_id)
            if switched_off:
                planned = select(Invitation.id).where(
                    Invitation.rule_id == row.id, Invitation.state == InvitationState.SCHEDULED
                )
                cancel_invitations(
                    session, session.scalars(planned), NonResponse.RULE_SWITCHED_OFF, now
                )
            else:
                # Another questionnaire, kind of occasion or day: the planned one the rule no
                # longer asks for is not sent, and the next tick plans the changed rule's.
                cancel_planned_not_asked_for(session, episode, now, rule_id=row.id)
        session.flush()
        log.info(
            "schedule rule saved",
            extra={
                "event": "schedule_rule_saved",
                "episode_id": episode_id,
                "rule_id": row.id,
                "staff_id": staff_id,
            },
        )
        return row.id
