"""The patient's own days in a day programme ("maybe only some days a week").

The programme's days are the weekdays of the episode's active daily rules (what the service
offers); the patient's own days are a non-empty subset of them, chosen with the therapist on
the episode's schedule page or by the patient from their choices page. Daily invitations
follow the patient's days from the next scheduler tick (services/enqueue.py narrows the daily
rules with them). A daily questionnaire planned and not sent yet (held for quiet hours, or while
the gateway is down) for a day no longer among hers is cancelled when the days are saved
(`services/plan_changes.py`). Weekly and appointment rules are not narrowed: they are agreed
per rule.

Every change writes one log line with ids and codes only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, SchedulePlan, ScheduleRule, Unit
from fit_platform.domain.codes import EpisodeStatus, ScheduleTrigger, UnitKind
from fit_platform.domain.own_plan import RecordedBy
from fit_platform.services.access_control import treating_episode
from fit_platform.services.plan_changes import cancel_planned_not_asked_for
from fit_platform.services.schedule_plans import (
    domain_rule,
    format_iso_weekdays,
    parse_iso_weekdays,
)

log = logging.getLogger(__name__)


class OwnDaysError(ValueError):
    """Nothing was saved; ``code`` says why (the view translates it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class OwnDays:
    episode_id: int
    programme_days: frozenset[int]  # 0 = Monday; empty: the episode has no daily rule
    own_days: frozenset[int]  # the days that hold now (all programme days when none chosen)
    # An ended episode's days are read, not changed (`set_own_days` refuses).
    episode_active: bool = True
    ended_on: dt.date | None = None
    # An archived unit sends nothing: its episodes' days are read, not changed by staff.
    unit_archived: bool = False
    # Rules the days do not narrow are in use (weekly, or around appointments): their
    # questionnaires come as agreed, on any day, and the patient's page says so.
    other_rules: bool = False

    @property
    def applies(self) -> bool:
        return bool(self.programme_days)


def _programme_days(session: Session, episode_id: int) -> frozenset[int]:
    # A daily rule left at an outpatient unit is never sent (domain/unit_triggers.py), so it
    # gives the patient no days to choose between.
    rows = session.scalars(
        select(ScheduleRule)
        .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
        .join(Episode, Episode.id == SchedulePlan.episode_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(
            SchedulePlan.episode_id == episode_id,
            ScheduleRule.active.is_(True),
            ScheduleRule.trigger == ScheduleTrigger.DAILY,
            Unit.kind == UnitKind.DAY_PROGRAMME,
        )
    )
    days: frozenset[int] = frozenset()
    for row in rows:
        days |= domain_rule(row).weekdays
    return days


def _other_rules(session: Session, episode_id: int) -> bool:
    """Whether an active rule the patient's days do not narrow is in the plan."""
    other = (
        select(ScheduleRule.id)
        .join(SchedulePlan, SchedulePlan.id == ScheduleRule.plan_id)
        .where(
            SchedulePlan.episode_id == episode_id,
            ScheduleRule.active.is_(True),
            ScheduleRule.trigger != ScheduleTrigger.DAILY,
        )
    )
    return bool(session.scalar(select(other.exists())))


def _state(session: Session, episode: Episode) -> OwnDays:
    programme = _programme_days(session, episode.id)
    own = parse_iso_weekdays(episode.own_weekdays) & programme
    return OwnDays(
        episode.id,
        programme,
        own or programme,
        episode_active=episode.status is EpisodeStatus.ACTIVE,
        ended_on=episode.ended_on,
        unit_archived=session.get_one(Unit, episode.unit_id).archived_at is not None,
        other_rules=bool(programme) and _other_rules(session, episode.id),
    )


def own_days(db: Database, episode_id: int) -> OwnDays | None:
    """The programme's days and the patient's own days, for the patient's own link pages."""
    with db.session() as session:
        episode = session.get(Episode, episode_id)
        return _state(session, episode) if episode is not None else None


def therapist_own_days(
    db: Database, staff_id: int, episode_id: int, *, now: dt.datetime
) -> OwnDays | None:
    """The same for one of the episode's therapists (None for anyone else); access-logged."""
    with db.transaction(now=now) as session:
        episode = treating_episode(session, staff_id, episode_id, action="own_days_view", now=now)
        return _state(session, episode) if episode is not None else None


def set_own_days(
    db: Database,
    episode_id: int,
    days: frozenset[int],
    now: dt.datetime,
    *,
    by: RecordedBy,
    staff_id: int | None = None,
) -> OwnDays:
    """Choose the patient's own days; they hold from the next scheduler tick.

    The patient's own link proves the patient (``by=PATIENT``); with ``staff_id`` the staff
    member must be one of the episode's therapists (else ``not_found``; access-logged).
    Refused: an ended episode (``episode_ended``), a staff change at an archived unit
    (``unit_archived``), no programme days
    (``no_programme_days``), no day chosen (``no_day``) or a day outside the programme
    (``outside_programme``)."""
    with db.transaction(now=now) as session:
        if staff_id is not None:
            treated = treating_episode(
                session, staff_id, episode_id, action="own_days_change", now=now
            )
            if treated is None:
                raise OwnDaysError("not_found")
        episode = session.get(Episode, episode_id)
        if episode is None or episode.status is not EpisodeStatus.ACTIVE:
            raise OwnDaysError("episode_ended")
        if staff_id is not None and session.get_one(Unit, episode.unit_id).archived_at:
            # Like the schedule (services/episode_schedule.py): an archived unit sends
            # nothing, so a plan changed by staff would promise questionnaires that never come.
            raise OwnDaysError("unit_archived")
        programme = _programme_days(session, episode_id)
        if not programme:
            raise OwnDaysError("no_programme_days")
        if not days:
            raise OwnDaysError("no_day")
        if not days <= programme:
            raise OwnDaysError("outside_programme")
        # Every programme day is stored as "none chosen", so new programme days are included.
        episode.own_weekdays = None if days == programme else format_iso_weekdays(days)
        cancelled = cancel_planned_not_asked_for(session, episode, now)
        log.info(
            "own programme days changed",
            extra={
                "episode_id": episode_id,
                "days": format_iso_weekdays(days),
                "by": by.value,
                "staff_id": staff_id,
                "cancelled": cancelled,
                "at": now.isoformat(),
            },
        )
        return OwnDays(episode_id, programme, days)
