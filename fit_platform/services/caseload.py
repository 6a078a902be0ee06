"""The caseload: a therapist's patients with what matters before the next session.

A fixed number of set-based queries whatever the number of patients: the episodes (with
patient and unit), then one query each for the next appointments, the latest outcome scores,
the latest answer to any form (an alliance or a group form counts: the patient has answered),
the open signals, the unanswered invitations, the patient's open wish for fewer
questionnaires, the questionnaires that never reached the patient
(`delivery_status.undelivered_by_episode`), the overdue risk signals in units without a lead
and the viewer's units without a lead, then one INSERT for the access log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum

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
    ConsentState,
    EpisodeStatus,
    InvitationState,
    ResponseStatus,
    Role,
)
from fit_platform.domain.instruments import Kind, default_instruments
from fit_platform.domain.signals import SEVERITY, Severity, SignalCode
from fit_platform.services.access_control import Viewer, led_unit_ids, visible_episodes
from fit_platform.services.access_log import Action, record_bulk_access
from fit_platform.services.caseload_queries import open_fewer_wishes, overdue_risk_signals
from fit_platform.services.delivery_status import Undelivered, undelivered_by_episode
from fit_platform.services.responsible import responsible_names
from fit_platform.services.unattended import (
    UnattendedEpisode,
    unattended_episodes,
    unit_has_lead,
)


class CaseloadStatus(StrEnum):
    """The one-word status shown next to its colour (never the colour alone)."""

    RISK = "risk"  # an open risk signal nobody has acknowledged
    ATTENTION = "attention"  # any other open signal
    ON_TRACK = "on_track"  # answers and no open signal
    NO_ANSWERS = "no_answers"


class CaseloadSort(StrEnum):
    PRIORITY = "priority"  # by `AttentionTier`, then next appointment
    APPOINTMENT = "appointment"
    NAME = "name"


class CaseloadShow(StrEnum):
    ALL = "all"
    SIGNALS = "signals"
    UNANSWERED = "unanswered"
    NOT_ACTIVE_CONSENT = "consent"
    # A questionnaire never reached the patient (the row's "Not delivered: N").
    NOT_DELIVERED = "not_delivered"
    # The patient asked for fewer questionnaires and the schedule has not changed since.
    FEWER_WISH = "fewer"


class CaseloadScope(StrEnum):
    MINE = "mine"  # episodes I am on (EpisodeTherapist)
    UNIT = "unit"  # every episode of the units I lead


@dataclass(frozen=True)
class CaseloadQuery:
    sort: CaseloadSort = CaseloadSort.PRIORITY
    show: CaseloadShow = CaseloadShow.ALL
    scope: CaseloadScope | None = None  # None: mine for therapists, unit for unit leads
    include_ended: bool = False


@dataclass(frozen=True)
class OpenFlag:
    """The open signals of one code in an episode, shown once: a patient who gave a risk
    answer in five questionnaires is one "Risk answer" with 5 and the latest date, not five.
    `unacknowledged` counts the ones nobody has acted on yet: a new risk answer after the
    therapist acknowledged the earlier ones makes the flag one to act on again."""

    code: SignalCode | str
    count: int
    latest_at: dt.datetime
    unacknowledged: int
    # When the oldest of the ones nobody has acted on was raised (None: all acknowledged).
    waiting_since: dt.datetime | None = None


def open_flags(signals: list[tuple[str, bool, dt.datetime]]) -> tuple[OpenFlag, ...]:
    """One flag per code from (code, unacknowledged, raised at) rows: risk first, then in the
    order each code was first raised."""
    by_code: dict[str, list[tuple[bool, dt.datetime]]] = {}
    for code, unacknowledged, raised_at in signals:
        by_code.setdefault(code, []).append((unacknowledged, raised_at))
    flags = [
        OpenFlag(
            _signal_code(code),
            len(rows),
            max(at for _, at in rows),
            sum(1 for unacknowledged, _ in rows if unacknowledged),
            min((at for unacknowledged, at in rows if unacknowledged), default=None),
        )
        for code, rows in by_code.items()
    ]
    return tuple(sorted(flags, key=lambda f: f.code != SignalCode.RISK_ANSWER))


@dataclass(frozen=True)
class CaseloadRow:
    episode_id: int
    patient_id: int
    patient_name: str
    unit_id: int
    unit_name: str
    role: Role
    episode_status: EpisodeStatus
    next_appointment: dt.datetime | None
    latest_instrument: str | None
    latest_total: float | None
    latest_band: str | None
    latest_at: dt.datetime | None
    # Each open signal's code once (risk first); `open_flags` has the count and latest date.
    open_signals: tuple[SignalCode | str, ...]
    unacknowledged_risk: bool
    unanswered_invitations: int
    consent_state: ConsentState
    paused_until: dt.date | None
    # Questionnaires whose message failed for good (None: every one reached the patient).
    not_delivered: Undelivered | None = None
    # When the patient asked for fewer questionnaires, while no schedule change followed.
    fewer_wish_at: dt.datetime | None = None
    # The unit is archived: no questionnaire is sent to this patient any more.
    unit_archived: bool = False
    # The latest answer to any form, outcome or not: a patient whose only answers are to an
    # alliance or a group form has answered, though "Latest score" has no outcome to show.
    last_answer_instrument: str | None = None
    last_answer_at: dt.datetime | None = None
    open_flags: tuple[OpenFlag, ...] = ()
    # The responsible therapists' names, for a unit lead's list (empty on the therapist's own).
    therapists: tuple[str, ...] = ()

    @property
    def status(self) -> CaseloadStatus:
        if self.unacknowledged_risk:
            return CaseloadStatus.RISK
        if self.open_signals:
            return CaseloadStatus.ATTENTION
        if self.latest_at is None and self.last_answer_at is None:
            return CaseloadStatus.NO_ANSWERS
        return CaseloadStatus.ON_TRACK


@dataclass(frozen=True)
class EscalatedSignal:
    signal_id: int
    episode_id: int
    patient_name: str
    raised_at: dt.datetime
    # Whom the lead follows up with: the episode's responsible therapists (empty: none).
    therapists: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnledSignal:
    """An overdue risk signal in a unit without a lead: escalation reached nobody."""

    signal_id: int
    episode_id: int
    patient_name: str
    unit_name: str
    raised_at: dt.datetime


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]
    scope: CaseloadScope
    escalated: list[EscalatedSignal]
    # Overdue risk signals of listed patients whose unit has no active lead.
    unled: list[UnledSignal] = field(default_factory=list)
    # Units where the viewer is a therapist and nobody leads: escalation would reach nobody.
    units_without_lead: list[str] = field(default_factory=list)
    # For leads: open episodes of their units whose responsible behandler is not active.
    unattended: list[UnattendedEpisode] = field(default_factory=list)


def _signal_code(code: str) -> SignalCode | str:
    try:
        return SignalCode(code)
    except ValueError:
        return code


class AttentionTier(IntEnum):
    """The groups of "What needs attention first", in order. Risk answers nobody has acted on
    come by how long they have waited, the longest first: they are to be acted on at once,
    whenever the next session is, and the oldest is the one the unit lead has been told of.
    In the other groups the next appointment comes first: the session nearest in time is the
    one to prepare for."""

    UNACKNOWLEDGED_RISK = 0  # a risk answer nobody has acted on
    NEW_SIGNAL = 1  # a medium signal nobody has acknowledged (a worsening, not on track, ...)
    NEW_MISSED_ANSWERS = 2  # only low ones nobody has acknowledged (answers missed in a row)
    ACKNOWLEDGED = 3  # open signals the therapist has already acknowledged
    NO_SIGNAL = 4


def attention_tier(flags: tuple[OpenFlag, ...]) -> AttentionTier:
    """Which group a patient's open flags put them in. Not the number of flags: a patient with
    two signals the therapist acknowledged last week needs less now than one with a new
    reliable deterioration, and the number of kinds of signal says nothing about how serious
    any of them is. Severity is fixed per code (`domain.signals.SIGNAL_RULES`); a code this
    version does not know counts as medium, never as low."""
    new = [flag for flag in flags if flag.unacknowledged]
    if any(flag.code == SignalCode.RISK_ANSWER for flag in new):
        return AttentionTier.UNACKNOWLEDGED_RISK
    if any(_severity(flag.code) is not Severity.LOW for flag in new):
        return AttentionTier.NEW_SIGNAL
    if new:
        return AttentionTier.NEW_MISSED_ANSWERS
    if flags:
        return AttentionTier.ACKNOWLEDGED
    return AttentionTier.NO_SIGNAL


def _severity(code: SignalCode | str) -> Severity:
    return SEVERITY[code] if isinstance(code, SignalCode) else Severity.MEDIUM


def _sort_key(sort: CaseloadSort, row: CaseloadRow) -> tuple[object, ...]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    next_at = row.next_appointment or far
    name = row.patient_name.casefold()
    if sort is CaseloadSort.NAME:
        return (name, row.episode_id)
    if sort is CaseloadSort.APPOINTMENT:
        return (next_at, name, row.episode_id)
    tier = attention_tier(row.open_flags)
    if tier is AttentionTier.UNACKNOWLEDGED_RISK:
        waiting = min(
            flag.waiting_since
            for flag in row.open_flags
            if flag.code == SignalCode.RISK_ANSWER and flag.waiting_since is not None
        )
        return (tier, waiting, next_at, name, row.episode_id)
    return (tier, far, next_at, name, row.episode_id)


def _shown(show: CaseloadShow, row: CaseloadRow) -> bool:
    if show is CaseloadShow.SIGNALS:
        return bool(row.open_signals)
    if show is CaseloadShow.UNANSWERED:
        return row.unanswered_invitations > 0
    if show is CaseloadShow.NOT_ACTIVE_CONSENT:
        return row.consent_state is not ConsentState.ACTIVE
    if show is CaseloadShow.NOT_DELIVERED:
        # Filtered from the rows already read, so the filter adds no statement.
        return row.not_delivered is not None
    if show is CaseloadShow.FEWER_WISH:
        return row.fewer_wish_at is not None
    return True


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
    query: CaseloadQuery = CaseloadQuery(),
    *,
    escalation_after: dt.timedelta = dt.timedelta(hours=24),
    now: dt.datetime,
) -> Caseload:
    """The viewer's caseload, sorted and filtered; logs one access row per patient listed."""
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
                    unit_archived=bool(archived),
                    last_answer_instrument=last_instrument,
                    last_answer_at=last_at,
                    open_flags=flags,
                    therapists=() if is_mine else therapists.get(episode_id, ()),
                )
            )
        rows = sorted(
            (row for row in rows if _shown(query.show, row)),
            key=lambda row: _sort_key(query.sort, row),
        )
        record_bulk_access(
            session,
            staff_id=viewer.staff_id,
            reads=[(row.patient_id, row.unit_id, row.role) for row in rows],
            action=Action.CASELOAD,
            now=now,
        )
    return Caseload(rows, scope, escalated, unled, units_without_lead, unattended)
