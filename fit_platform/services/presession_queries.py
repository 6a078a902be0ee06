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
from enum import IntEnum
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    Date,
    Float,
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from fit_platform.db.base import UTCDateTime
from fit_platform.db.models import (
    AdminAudit,
    Appointment,
    ConsentEvent,
    Episode,
    EpisodeTherapist,
    ItemAnswer,
    OutboxMessage,
    Patient,
    PatientGoal,
    Response,
    SessionTopic,
    SharedDecision,
    Signal,
    Staff,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import AppointmentStatus, OutboxState, ResponseStatus, Role
from fit_platform.services import comments
from fit_platform.services.access_control import visible_episodes
from fit_platform.services.episode_transfers import is_transfer_of
from fit_platform.services.schedule_plans import has_rule_in_use
from fit_platform.services.unattended import has_active_responsible

TOPICS_SHOWN = 5
FAILED_SHOWN = 10

EPISODE: BindParameter[int] = bindparam("episode_id")
PATIENT: BindParameter[int] = bindparam("patient_id")

# ---------------------------------------------------------------------- the episode's lists
# The signals, goals, the patient's own words, topics, consent history, failed deliveries,
# samvalg decisions and the latest answers are short lists, each of a few rows (a
# questionnaire's items at most). As nine statements they cost nine
# round trips and eight passes through SQLAlchemy's execution and result set-up, which took
# more CPU than the database needed to answer; `EPISODE_LISTS` reads them in one. Each list is
# a branch of a UNION ALL with the same columns (its number, its rows' order within it, then
# the slots below: what a list does not use is a typed NULL); the rows come back ordered by
# list, then in each list's own order. Enum values come back as their stored strings (the
# first branch's column types decide how a column is read), and `presession` converts them.
# The slots' types are those of the first branch, the signals'.
_SLOTS: dict[str, Any] = {
    "n1": Integer(),
    "n2": Integer(),
    "s1": Text(),
    "s2": Text(),
    "s3": Text(),
    "s4": Text(),
    "s5": Text(),
    "s6": Text(),
    "at1": UTCDateTime(),
    "at2": UTCDateTime(),
    "at3": UTCDateTime(),
    "at4": UTCDateTime(),
    "day": Date(),
    "flag": Boolean(),
    "details": Signal.details.type,
    "value": Float(),
}


class ListPart(IntEnum):
    """Which list a row of `EPISODE_LISTS` belongs to (its first column)."""

    SIGNALS = 0
    GOALS = 1
    COMMENTS = 2
    CONSENT_REASONS = 3
    TOPICS = 4
    CONSENT_HISTORY = 5
    FAILED_DELIVERIES = 6
    DECISIONS = 7
    LATEST_ANSWERS = 8
    UNFINISHED_ANSWERS = 9
    TRANSFERS = 10


def _slots(part: ListPart, order_by: tuple[Any, ...], **columns: Any) -> list[Any]:
    """A branch's columns: its list, its rows' order, then every slot (NULL where unused)."""
    unknown = set(columns) - set(_SLOTS)
    assert not unknown, f"no such slot: {unknown}"
    return [
        literal_column(str(int(part)), Integer()).label("part"),
        func.row_number().over(order_by=order_by).label("seq"),
        *(
            columns[name].label(name) if name in columns else cast(null(), kind).label(name)
            for name, kind in _SLOTS.items()
        ),
    ]


def _first(branch: Select[Any], shown: int) -> Select[Any]:
    """The branch's first `shown` rows in its own order (a LIMIT inside a UNION needs a
    subquery on SQLite)."""
    rows = branch.subquery()
    return select(*rows.c).where(rows.c.seq <= shown)


_acknowledger = aliased(Staff)
_resolver = aliased(Staff)
_SIGNALS = (
    select(
        *_slots(
            ListPart.SIGNALS,
            (Signal.raised_at.desc(), Signal.id.desc()),
            n1=Signal.id,
            s1=Signal.code,
            s2=Signal.severity,
            details=Signal.details,
            at1=Signal.raised_at,
            at2=Signal.acknowledged_at,
            s3=Signal.acknowledge_note,
            at3=Signal.escalated_at,
            at4=Signal.resolved_at,
            s4=Signal.resolve_note,
            s5=_acknowledger.display_name,
            s6=_resolver.display_name,
        )
    )
    .select_from(Signal)
    .outerjoin(_acknowledger, _acknowledger.id == Signal.acknowledged_by_id)
    .outerjoin(_resolver, _resolver.id == Signal.resolved_by_id)
    .where(Signal.episode_id == EPISODE)
)

_GOALS = (
    select(*_slots(ListPart.GOALS, (PatientGoal.created_at, PatientGoal.id), s1=PatientGoal.text))
    .select_from(PatientGoal)
    .where(PatientGoal.episode_id == EPISODE, PatientGoal.archived_at.is_(None))
)

_comment = comments.EPISODE_COMMENTS.selected_columns
_COMMENTS = comments.EPISODE_COMMENTS.with_only_columns(
    *_slots(
        ListPart.COMMENTS,
        comments.COMMENTS_NEWEST_FIRST,
        at1=_comment[0],
        s1=_comment[1],
        s2=_comment[2],
        s3=_comment[3],
    ),
    maintain_column_froms=True,
)
_reason = comments.CONSENT_REASONS.selected_columns
_CONSENT_REASONS = comments.CONSENT_REASONS.with_only_columns(
    *_slots(
        ListPart.CONSENT_REASONS,
        comments.REASONS_NEWEST_FIRST,
        at1=_reason[0],
        s1=_reason[1],
        s3=_reason[2],
        s2=_reason[3],
    ),
    maintain_column_froms=True,
)

_TOPICS = _first(
    select(
        *_slots(
            ListPart.TOPICS,
            (SessionTopic.created_at.desc(), SessionTopic.id.desc()),
            s1=SessionTopic.text,
            at1=SessionTopic.created_at,
        )
    )
    .select_from(SessionTopic)
    .where(SessionTopic.episode_id == EPISODE),
    TOPICS_SHOWN,
)

# Who, for an event a staff member recorded (a restart for the patient): "staff" alone did not
# say who, although the history is where a colleague looks it up.
_consent_staff = aliased(Staff)
_CONSENT_HISTORY = (
    select(
        *_slots(
            ListPart.CONSENT_HISTORY,
            (ConsentEvent.created_at.desc(), ConsentEvent.id.desc()),
            s1=ConsentEvent.kind,
            s2=ConsentEvent.actor,
            at1=ConsentEvent.created_at,
            day=ConsentEvent.paused_until,
            s3=ConsentEvent.channel,
            s4=_consent_staff.display_name,
        )
    )
    .select_from(ConsentEvent)
    .outerjoin(_consent_staff, _consent_staff.id == ConsentEvent.staff_id)
    .where(ConsentEvent.patient_id == PATIENT)
)

_FAILED_DELIVERIES = _first(
    select(
        *_slots(
            ListPart.FAILED_DELIVERIES,
            (OutboxMessage.created_at.desc(),),
            s1=OutboxMessage.kind,
            s2=OutboxMessage.channel,
            s3=OutboxMessage.last_error,
            n1=OutboxMessage.attempts,
            at1=OutboxMessage.created_at,
        )
    )
    .select_from(OutboxMessage)
    .where(OutboxMessage.patient_id == PATIENT, OutboxMessage.state == OutboxState.FAILED),
    FAILED_SHOWN,
)

_recorder = aliased(Staff)
# Who changed the record last: who withdrew it, else who corrected it (one name is shown).
_changer = aliased(Staff)
_DECISIONS = (
    select(
        *_slots(
            ListPart.DECISIONS,
            (SharedDecision.recorded_at.desc(), SharedDecision.id.desc()),
            n1=SharedDecision.id,
            n2=SharedDecision.signal_id,
            s1=SharedDecision.options_discussed,
            s2=SharedDecision.what_matters,
            s3=SharedDecision.decision,
            day=SharedDecision.review_on,
            at1=SharedDecision.recorded_at,
            s4=_recorder.display_name,
            flag=SharedDecision.visible_to_patient,
            at2=SharedDecision.corrected_at,
            at3=SharedDecision.withdrawn_at,
            s5=_changer.display_name,
            s6=SharedDecision.withdrawal_reason,
        )
    )
    .select_from(SharedDecision)
    .join(_recorder, _recorder.id == SharedDecision.recorded_by_id)
    .outerjoin(
        _changer,
        _changer.id
        == func.coalesce(SharedDecision.withdrawn_by_id, SharedDecision.corrected_by_id),
    )
    .where(SharedDecision.episode_id == EPISODE)
)

# The item answers of the latest submitted response of each questionnaire, by the ids the
# scores statement found latest (`LATEST_IDS`), not found again here: each statement of a READ
# COMMITTED transaction sees what was committed when it started, so a questionnaire sent
# between the two would be "latest" here and not among the scores, and the scores shown would
# lose their answers (tests/services/test_presession_read_while_answering.py). A submitted
# response's answers no longer change, so these are the answers of the scores shown.
LATEST_IDS = "latest_ids"
_LATEST_ANSWERS = (
    select(
        *_slots(
            ListPart.LATEST_ANSWERS,
            (ItemAnswer.id,),
            n1=ItemAnswer.response_id,
            s1=ItemAnswer.link_id,
            s2=ItemAnswer.language,
            value=ItemAnswer.value,
        )
    )
    .select_from(ItemAnswer)
    .where(ItemAnswer.response_id.in_(bindparam(LATEST_IDS, expanding=True)))
)

# The answers given so far to a questionnaire that raised an open signal and was never
# finished (withdrawn by a moved appointment, expired, or still being answered): the signal
# stays, and the therapist reads what the patient did answer next to it.
_UNFINISHED_ANSWERS = (
    select(
        *_slots(
            ListPart.UNFINISHED_ANSWERS,
            (Signal.id, ItemAnswer.id),
            n1=Signal.id,
            s1=ItemAnswer.link_id,
            s2=Response.instrument_id,
            value=ItemAnswer.value,
        )
    )
    .select_from(Signal)
    .join(Response, Response.id == Signal.response_id)
    .join(ItemAnswer, ItemAnswer.response_id == Response.id)
    .where(
        Signal.episode_id == EPISODE,
        Signal.resolved_at.is_(None),
        Response.status == ResponseStatus.IN_PROGRESS,
    )
)

# When the episode changed its responsible therapist (`episode_transfers`), oldest first: the
# score tables and charts mark the change, and an alliance drop is not counted across it.
_TRANSFERS = select(
    *_slots(ListPart.TRANSFERS, (AdminAudit.at, AdminAudit.id), at1=AdminAudit.at)
).where(is_transfer_of(EPISODE))

_lists = union_all(
    _SIGNALS,
    _GOALS,
    _COMMENTS,
    _CONSENT_REASONS,
    _TOPICS,
    _CONSENT_HISTORY,
    _FAILED_DELIVERIES,
    _DECISIONS,
    _LATEST_ANSWERS,
    _UNFINISHED_ANSWERS,
    _TRANSFERS,
).subquery("episode_lists")
# Bound: `episode_id`, `patient_id`.
EPISODE_LISTS = select(*_lists.c).order_by(_lists.c.part, _lists.c.seq)


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
    status, start and end, the patient's id, name, consent state and pause, the unit's name, and
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
            Episode.ended_on,
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
    statement (each statement is a round trip): the next planned appointment from `now`,
    whether the unit is archived, whether the episode has no active responsible behandler
    (`services/unattended.py`: its risk signals are overdue at once), whether its plan has a
    rule in use, and the unit's active
    leads, a row per lead in name order (outer-joined, so an episode whose unit has no lead
    still has its one row, with no name).
    Built once per viewer and role set, like `episode_read`."""
    next_appointment = (
        select(func.min(Appointment.starts_at))
        .where(
            Appointment.episode_id == Episode.id,
            Appointment.status == AppointmentStatus.PLANNED,
            Appointment.starts_at >= bindparam("now"),
        )
        .scalar_subquery()
    )
    # Whether the episode's own plan has a rule in use: without one nothing is ever sent, and
    # the page says so (a unit without a schedule template registers patients with none).
    rules_in_use = has_rule_in_use(Episode.id)
    return (
        episode_read(staff_id, roles)
        .add_columns(
            next_appointment,
            Unit.archived_at.is_not(None),
            ~has_active_responsible(Episode.id, Episode.unit_id),
            rules_in_use,
            _LEADS.c.display_name,
        )
        .outerjoin(_LEADS, _LEADS.c.unit_id == Episode.unit_id)
        .order_by(_LEADS.c.display_name)
    )
