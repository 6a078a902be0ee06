"""The pre-session view's statements, built once per process.

Building a `select()` walks every column and condition through SQLAlchemy's coercions; with a
dozen statements per view that was a good part of the service's CPU. Each statement here is
built at import and executed with bound parameters (`episode_id`, `patient_id`, `unit_id`,
`now`) on the session's connection, so rows come back as plain tuples without the ORM's result
layer. The episode's own read depends on who reads it, so it is built once per viewer and role
set (`episode_read`; the all-scores page uses it too).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from fit_platform.db.models import (
    Appointment,
    ConsentEvent,
    Episode,
    EpisodeTherapist,
    ItemAnswer,
    OutboxMessage,
    Patient,
    PatientGoal,
    SessionTopic,
    SharedDecision,
    Signal,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import AppointmentStatus, OutboxState, Role
from fit_platform.services.access_control import visible_episodes

TOPICS_SHOWN = 5
FAILED_SHOWN = 10

EPISODE: BindParameter[int] = bindparam("episode_id")
PATIENT: BindParameter[int] = bindparam("patient_id")

# Item answers of the latest response of each questionnaire (an expanding list of ids).
LATEST_ANSWERS = select(ItemAnswer.response_id, ItemAnswer.link_id, ItemAnswer.value).where(
    ItemAnswer.response_id.in_(bindparam("response_ids", expanding=True))
)

_acknowledger = aliased(Staff)
_resolver = aliased(Staff)
SIGNALS = (
    select(
        Signal.id,
        Signal.code,
        Signal.severity,
        Signal.details,
        Signal.raised_at,
        Signal.acknowledged_at,
        Signal.acknowledge_note,
        Signal.escalated_at,
        Signal.resolved_at,
        Signal.resolve_note,
        _acknowledger.display_name,
        _resolver.display_name,
    )
    .outerjoin(_acknowledger, _acknowledger.id == Signal.acknowledged_by_id)
    .outerjoin(_resolver, _resolver.id == Signal.resolved_by_id)
    .where(Signal.episode_id == EPISODE)
    .order_by(Signal.raised_at.desc(), Signal.id.desc())
)

GOALS = (
    select(PatientGoal.text)
    .where(PatientGoal.episode_id == EPISODE, PatientGoal.archived_at.is_(None))
    .order_by(PatientGoal.created_at, PatientGoal.id)
)

TOPICS = (
    select(SessionTopic.text, SessionTopic.created_at)
    .where(SessionTopic.episode_id == EPISODE)
    .order_by(SessionTopic.created_at.desc(), SessionTopic.id.desc())
    .limit(TOPICS_SHOWN)
)

CONSENT_HISTORY = (
    select(
        ConsentEvent.kind,
        ConsentEvent.actor,
        ConsentEvent.created_at,
        ConsentEvent.paused_until,
        ConsentEvent.channel,
    )
    .where(ConsentEvent.patient_id == PATIENT)
    .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
)

FAILED_DELIVERIES = (
    select(
        OutboxMessage.kind,
        OutboxMessage.channel,
        OutboxMessage.attempts,
        OutboxMessage.created_at,
    )
    .where(OutboxMessage.patient_id == PATIENT, OutboxMessage.state == OutboxState.FAILED)
    .order_by(OutboxMessage.created_at.desc())
    .limit(FAILED_SHOWN)
)

_recorder = aliased(Staff)
DECISIONS = (
    select(
        SharedDecision.id,
        SharedDecision.signal_id,
        SharedDecision.options_discussed,
        SharedDecision.what_matters,
        SharedDecision.decision,
        SharedDecision.review_on,
        SharedDecision.recorded_at,
        _recorder.display_name,
        SharedDecision.visible_to_patient,
    )
    .join(_recorder, _recorder.id == SharedDecision.recorded_by_id)
    .where(SharedDecision.episode_id == EPISODE)
    .order_by(SharedDecision.recorded_at.desc(), SharedDecision.id.desc())
)


@dataclass(frozen=True)
class ViewerKey:
    """A viewer as `visible_episodes` reads one: the id and the roles."""

    staff_id: int
    roles: frozenset[tuple[Role, int | None]]


@functools.lru_cache(maxsize=256)
def episode_read(
    staff_id: int, roles: frozenset[tuple[Role, int | None]]
) -> Select[*tuple[Any, ...]]:
    """The episode's own read for one viewer (the episode id bound per request): its unit,
    status and start, the patient's id, name, consent state and pause, the unit's name, and
    whether the viewer is one of the episode's therapists; no row if the viewer may not see
    it. Who may see
    it depends only on the viewer's id and roles, so each process builds it once per viewer
    and role set rather than walking the joins and sub-selects through SQLAlchemy's coercions
    on every view. A changed role set is another key, so it is never read with old roles."""
    viewer = ViewerKey(staff_id, roles)
    mine = select(EpisodeTherapist.episode_id).where(EpisodeTherapist.staff_id == staff_id)
    return (
        select(
            Episode.id,
            Episode.unit_id,
            Episode.status,
            Episode.started_on,
            Patient.id,
            Patient.display_name,
            Patient.consent_state,
            Patient.paused_until,
            Unit.name,
            Episode.id.in_(mine),
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(Episode.id == bindparam("episode_id"), Episode.id.in_(visible_episodes(viewer)))
    )


# Active unit leads of a unit: who an overdue risk signal is shown to.
_LEADS = (
    select(StaffRole.unit_id, Staff.display_name)
    .join(Staff, Staff.id == StaffRole.staff_id)
    .where(StaffRole.role == Role.UNIT_LEAD, Staff.is_active.is_(True))
    .subquery("unit_leads")
)


@functools.lru_cache(maxsize=256)
def presession_read(
    staff_id: int, roles: frozenset[tuple[Role, int | None]]
) -> Select[*tuple[Any, ...]]:
    """`episode_read` with what else the pre-session view reads about the episode, in the same
    statement (each statement is a round trip): the next planned appointment from `now`, and
    the unit's active leads, a row per lead in name order (outer-joined, so an episode whose
    unit has no lead still has its one row, with no name). Built once per viewer and role set,
    like `episode_read`."""
    next_appointment = (
        select(func.min(Appointment.starts_at))
        .where(
            Appointment.episode_id == Episode.id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at >= bindparam("now"),
        )
        .scalar_subquery()
    )
    return (
        episode_read(staff_id, roles)
        .add_columns(next_appointment, _LEADS.c.display_name)
        .outerjoin(_LEADS, _LEADS.c.unit_id == Episode.unit_id)
        .order_by(_LEADS.c.display_name)
    )
