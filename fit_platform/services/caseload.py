"""The caseload: a therapist's patients with what matters before the next session.

A fixed number of set-based queries whatever the number of patients: the episodes (with
patient and unit), then one query each for the next appointments, the latest outcome scores,
the latest answer to any form (an alliance or a group form counts: the patient has answered),
the open signals, the unanswered invitations, the patient's open wish for fewer
questionnaires, the samvalg decisions due to be looked at again, the questionnaires that
never reached the patient (`delivery_status.undelivered_by_episode`), the overdue risk signals
in units without a lead and the viewer's units without a lead, then one INSERT for the access
log. What a row holds and how the rows are ordered and filtered is in
`services/caseload_rows.py`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, func, select

from fit_platform.db import Database
from fit_platform.db.models import (
    Appointment,
    Episode,
    EpisodeTherapist,
    Invitation,
    Patient,
    Response,
    Signal,
    Unit,
)
from fit_platform.domain.codes import (
    AppointmentStatus,
    EpisodeStatus,
    InvitationState,
    ResponseStatus,
    Role,
)
from fit_platform.domain.instruments import Kind, default_instruments
from fit_platform.services.access_control import Viewer, led_unit_ids, visible_episodes
from fit_platform.services.access_log import Action, record_bulk_access
from fit_platform.services.caseload_queries import (
    open_fewer_wishes,
    overdue_risk_signals,
    reviews_due_by_episode,
)
from fit_platform.services.caseload_rows import (
    DEFAULT_QUERY,
    AttentionTier,
    Caseload,
    CaseloadQuery,
    CaseloadRow,
    CaseloadScope,
    EscalatedSignal,
    UnledSignal,
    attention_tier,
    open_flags,
    shown_by,
    sort_key,
)
from fit_platform.services.delivery_status import Undelivered, undelivered_by_episode
from fit_platform.services.responsible import responsible_names
from fit_platform.services.unattended import (
    unattended_episodes,
    unit_has_lead,
)


def _latest_submitted(episode_ids: list[int], *conditions: ColumnElement[bool]) -> Subquery:
    """Submitted responses of the episodes ranked newest first within each episode (rank 1
    is the latest), narrowed by ``conditions``."""
    return (
        select(
            Response.episode_id,
            Response.instrument_id,
            Response.total,
            Response.band,
            Response.submitted_at,
            func.row_number()
            .over(
                partition_by=Response.episode_id,
                order_by=(Response.submitted_at.desc(), Response.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Response.episode_id.in_(episode_ids),
            Response.status == ResponseStatus.SUBMITTED,
            *conditions,
        )
        .subquery()
    )


def default_scope(viewer: Viewer) -> CaseloadScope:
    if any(role is Role.THERAPIST for role, _unit in viewer.roles):
        return CaseloadScope.MINE
    return CaseloadScope.UNIT


def caseload(
    db: Database,
    viewer: Viewer,
    query: CaseloadQuery = DEFAULT_QUERY,
    *,
    escalation_after: dt.timedelta = dt.timedelta(hours=24),
    now: dt.datetime,
    zone: ZoneInfo,
) -> Caseload:
    """The viewer's caseload, sorted and filtered; logs one access row per patient listed.
    `zone` gives the local date a samvalg review is due on."""
    scope = query.scope or default_scope(viewer)
    if scope is CaseloadScope.UNIT and not led_unit_ids(viewer):
        scope = CaseloadScope.MINE
    mine = select(EpisodeTherapist.episode_id).where(EpisodeTherapist.staff_id == viewer.staff_id)
    outcome_ids = [i.id for i in default_instruments().values() if i.kind is Kind.OUTCOME]

    with db.transaction(now=now) as session:
        stmt = (
            select(
                Episode.id,
                Episode.status,
                Episode.unit_id,
                Patient,
                Unit.name,
                Episode.id.in_(mine),
                Unit.archived_at.is_not(None),
            )
            .join(Patient, Patient.id == Episode.patient_id)
            .join(Unit, Unit.id == Episode.unit_id)
            .where(Episode.id.in_(visible_episodes(viewer)))
        )
        if scope is CaseloadScope.MINE:
            stmt = stmt.where(Episode.id.in_(mine))
        else:
            stmt = stmt.where(Episode.unit_id.in_(led_unit_ids(viewer)))
        if not query.include_ended:
            stmt = stmt.where(Episode.status == EpisodeStatus.ACTIVE)
        episodes = session.execute(stmt).all()
        ids = [row[0] for row in episodes]

        next_appointment: dict[int, dt.datetime] = {}
        latest: dict[int, tuple[str, float | None, str | None, dt.datetime]] = {}
        last_answer: dict[int, tuple[str, dt.datetime]] = {}
        signals: dict[int, list[tuple[str, bool, dt.datetime]]] = defaultdict(list)
        unanswered: dict[int, int] = {}
        not_delivered: dict[int, Undelivered] = {}
        fewer_wishes: dict[int, dt.datetime] = {}
        reviews_due: dict[int, dt.date] = {}
        escalated: list[EscalatedSignal] = []
        unled: list[UnledSignal] = []
        if ids:
            next_appointment = {
                episode_id: starts_at
                for episode_id, starts_at in session.execute(
                    select(Appointment.episode_id, func.min(Appointment.starts_at))
                    .where(
                        Appointment.episode_id.in_(ids),
                        Appointment.status == AppointmentStatus.PLANNED,
                        Appointment.starts_at >= now,
                    )
                    .group_by(Appointment.episode_id)
                )
            }
            ranked = _latest_submitted(ids, Response.instrument_id.in_(outcome_ids))
            for episode_id, instrument_id, total, band, at in session.execute(
                select(
                    ranked.c.episode_id,
                    ranked.c.instrument_id,
                    ranked.c.total,
                    ranked.c.band,
                    ranked.c.submitted_at,
                ).where(ranked.c.rank == 1)
            ):
                latest[episode_id] = (instrument_id, total, band, at)
            any_form = _latest_submitted(ids)
            for episode_id, instrument_id, at in session.execute(
                select(
                    any_form.c.episode_id, any_form.c.instrument_id, any_form.c.submitted_at
                ).where(any_form.c.rank == 1)
            ):
                last_answer[episode_id] = (instrument_id, at)
            for episode_id, code, acknowledged_at, raised_at in session.execute(
                select(Signal.episode_id, Signal.code, Signal.acknowledged_at, Signal.raised_at)
                .where(Signal.episode_id.in_(ids), Signal.resolved_at.is_(None))
                .order_by(Signal.raised_at, Signal.id)
            ):
                signals[episode_id].append((code, acknowledged_at is None, raised_at))
            unanswered = {
                episode_id: count
                for episode_id, count in session.execute(
                    select(Invitation.episode_id, func.count())
                    .where(
                        Invitation.episode_id.in_(ids),
                        Invitation.state.in_([InvitationState.SENT, InvitationState.OPENED]),
                        Invitation.expires_at > now,
                    )
                    .group_by(Invitation.episode_id)
                )
            }
            not_delivered = undelivered_by_episode(session, ids)
            fewer_wishes = open_fewer_wishes(session, ids)
            reviews_due = reviews_due_by_episode(session, ids, now.astimezone(zone).date(), zone)
            unled = [
                UnledSignal(signal_id, episode_id, name, unit_name, raised_at)
                for signal_id, episode_id, name, unit_name, raised_at in session.execute(
                    overdue_risk_signals(now - escalation_after)
                    .add_columns(
                        Signal.episode_id, Patient.display_name, Unit.name, Signal.raised_at
                    )
                    .join(Episode, Episode.id == Signal.episode_id)
                    .join(Patient, Patient.id == Episode.patient_id)
                    .join(Unit, Unit.id == Episode.unit_id)
                    .where(Signal.episode_id.in_(ids), ~unit_has_lead(Episode.unit_id))
                    .order_by(Unit.name, Signal.raised_at)
                )
            ]
        therapist_units = {unit for role, unit in viewer.roles if role is Role.THERAPIST and unit}
        units_without_lead: list[str] = []
        if therapist_units:
            units_without_lead = list(
                session.scalars(
                    select(Unit.name)
                    .where(Unit.id.in_(therapist_units), ~unit_has_lead(Unit.id))
                    .order_by(Unit.name)
                )
            )
        if led_unit_ids(viewer):
            escalated = [
                EscalatedSignal(signal_id, episode_id, name, raised_at)
                for signal_id, episode_id, name, raised_at in session.execute(
                    overdue_risk_signals(now - escalation_after)
                    .add_columns(Signal.episode_id, Patient.display_name, Signal.raised_at)
                    .join(Episode, Episode.id == Signal.episode_id)
                    .join(Patient, Patient.id == Episode.patient_id)
                    .where(Episode.unit_id.in_(led_unit_ids(viewer)))
                    .order_by(Signal.raised_at)
                )
            ]
        # A lead reads whose patient each one is, to follow up with that therapist (the
        # lead's own patients need no name).
        therapists = (
            responsible_names(
                session,
                {row[0] for row in episodes if not row[5]}
                | {item.episode_id for item in escalated},
            )
            if led_unit_ids(viewer)
            else {}
        )
        escalated = [
            replace(item, therapists=therapists.get(item.episode_id, ())) for item in escalated
        ]
        unattended = unattended_episodes(session, led_unit_ids(viewer))

        rows = []
        for episode_id, status, unit_id, patient, unit_name, is_mine, archived in episodes:
            flags = open_flags(signals.get(episode_id, []))
            instrument_id, total, band, at = latest.get(episode_id, (None, None, None, None))
            last_instrument, last_at = last_answer.get(episode_id, (None, None))
            rows.append(
                CaseloadRow(
                    episode_id=episode_id,
                    patient_id=patient.id,
                    patient_name=patient.display_name,
                    unit_id=unit_id,
                    unit_name=unit_name,
                    role=Role.THERAPIST if is_mine else Role.UNIT_LEAD,
                    episode_status=status,
                    next_appointment=next_appointment.get(episode_id),
                    latest_instrument=instrument_id,
                    latest_total=total,
                    latest_band=band,
                    latest_at=at,
                    open_signals=tuple(flag.code for flag in flags),
                    unacknowledged_risk=(
                        attention_tier(flags) is AttentionTier.UNACKNOWLEDGED_RISK
                    ),
                    unanswered_invitations=unanswered.get(episode_id, 0),
                    consent_state=patient.consent_state,
                    paused_until=patient.paused_until,
                    not_delivered=not_delivered.get(episode_id),
                    fewer_wish_at=fewer_wishes.get(episode_id),
                    review_due_on=reviews_due.get(episode_id),
                    unit_archived=bool(archived),
                    last_answer_instrument=last_instrument,
                    last_answer_at=last_at,
                    open_flags=flags,
                    therapists=() if is_mine else therapists.get(episode_id, ()),
                )
            )
        rows = sorted(
            (row for row in rows if shown_by(query.show, row)),
            key=lambda row: sort_key(query.sort, row),
        )
        record_bulk_access(
            session,
            staff_id=viewer.staff_id,
            reads=[(row.patient_id, row.unit_id, row.role) for row in rows],
            action=Action.CASELOAD,
            now=now,
        )
    return Caseload(rows, scope, escalated, unled, units_without_lead, unattended)
