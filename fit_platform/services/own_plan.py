"""The patient's own plan: their crisis plan and their standing choices.

The patient writes both from their link pages; a therapist may record or withdraw a standing
choice *with* the patient, and the row says so. Nothing is overwritten: a saved plan is a new
``CrisisPlanVersion`` and a change to a choice is a new ``StandingChoiceEvent`` (both
append-only in the database). What holds is read from the newest rows, so a change holds from
the moment it is saved, on every page that shows it.

Staff read both through :func:`staff_view`, with the same access rule as the pre-session view;
when there is something to read it writes its own access-log row (``own_plan_view``) so the
patient's access history shows that staff read their plan. Logs carry ids only, never text.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from fit_platform.db import Database
from fit_platform.db.models import (
    CrisisPlanVersion,
    Episode,
    EpisodeTherapist,
    Staff,
    StandingChoiceEvent,
)
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.own_plan import (
    CHOICE_TEXT_MAX,
    MAX_OPEN_CHOICES,
    ChoiceEvent,
    ChoiceEventKind,
    ChoiceKind,
    CrisisPlanText,
    PlanPart,
    RecordedBy,
    StandingChoice,
    WithdrawnChoice,
    holding_choices,
    withdrawn_choices,
)
from fit_platform.services.access_control import Viewer, visible_episodes
from fit_platform.services.access_log import record_access

log = logging.getLogger(__name__)

OWN_PLAN_VIEW = "own_plan_view"
# Kinds whose meaning needs the patient's words ("which approach?").
TEXT_REQUIRED = frozenset({ChoiceKind.ENDED_APPROACH, ChoiceKind.OTHER})


class OwnPlanError(ValueError):
    """Nothing was saved; ``code`` says why (the view translates it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class SavedPlan:
    text: CrisisPlanText
    at: dt.datetime
    recorded_by: RecordedBy
    versions: int
    # When the version was saved whose words the patient took back as this one (None when
    # she wrote it): staff are told the plan was restored, not newly written.
    restored_from_at: dt.datetime | None = None

    @property
    def emptied(self) -> bool:
        """The newest version is empty: the patient emptied the plan (``at`` says when)."""
        return self.text.is_empty


@dataclass(frozen=True)
class ChoiceLine:
    """A standing choice as staff see it: who recorded the words now in force, and when."""

    choice: StandingChoice
    staff_name: str | None  # the therapist, when recorded with the patient


@dataclass(frozen=True)
class OwnPlanView:
    patient_id: int
    plan: SavedPlan | None
    choices: tuple[ChoiceLine, ...]
    # Only the patient's own therapist records choices with them (a unit lead reads only).
    may_record: bool
    # Recording needs an active episode too: an ended one is read-only (`may_record` stays
    # the viewer's role, which the access log records).
    episode_active: bool = True
    ended_on: dt.date | None = None
    # Withdrawn choices, newest first: the patient is told her history is kept.
    withdrawn: tuple[WithdrawnChoice, ...] = ()

    @property
    def may_record_now(self) -> bool:
        return self.may_record and self.episode_active

    @property
    def is_empty(self) -> bool:
        return self.plan is None and not self.choices and not self.withdrawn


# --------------------------------------------------------------------------- crisis plan


def clean_plan(parts: dict[PlanPart, str]) -> CrisisPlanText:
    text = CrisisPlanText(
        **{part.value: clean_free_text(parts.get(part, "") or "") for part in PlanPart}
    )
    if text.too_long():
        raise OwnPlanError("too_long")
    return text


# The newest version and how many there are, in one row: a plan saved many times costs no
# more to read than one saved once. Columns rather than the ORM object, built once and run on
# the session's connection: the pre-session view reads the plan on every load, and the ORM's
# statement handling and entity loading cost more than the read itself. The version a restored
# plan was taken back from is joined by its primary key (aliased once, here).
RESTORED_FROM = aliased(CrisisPlanVersion, name="restored_from")
_NEWEST_PLAN = (
    select(
        *(getattr(CrisisPlanVersion, part.value) for part in PlanPart),
        CrisisPlanVersion.created_at,
        CrisisPlanVersion.recorded_by,
        func.count().over(),
        RESTORED_FROM.created_at,
    )
    .outerjoin(RESTORED_FROM, RESTORED_FROM.id == CrisisPlanVersion.restored_from_id)
    .where(CrisisPlanVersion.patient_id == bindparam("patient_id"))
    .order_by(CrisisPlanVersion.id.desc())
    .limit(1)
)


def _plan(session: Session, patient_id: int) -> SavedPlan | None:
    found = session.connection().execute(_NEWEST_PLAN, {"patient_id": patient_id}).first()
    if found is None:
        return None
    *parts, at, recorded_by, versions, restored_from_at = found
    text = CrisisPlanText(
        **{part.value: value for part, value in zip(PlanPart, parts, strict=True)}
    )
    # An emptied plan is kept as such: staff are told the patient emptied it, and when.
    return SavedPlan(text, at, recorded_by, int(versions), restored_from_at)


def crisis_plan(db: Database, patient_id: int) -> SavedPlan | None:
    """The patient's plan as it is now (None if never written or emptied). For the patient."""
    newest = newest_plan(db, patient_id)
    return None if newest is None or newest.emptied else newest


def newest_plan(db: Database, patient_id: int) -> SavedPlan | None:
    """The newest saved version, an emptied one too (None if never written)."""
    with db.session() as session:
        return _plan(session, patient_id)


def save_crisis_plan(
    db: Database,
    patient_id: int,
    text: CrisisPlanText,
    now: dt.datetime,
    *,
    recorded_by: RecordedBy = RecordedBy.PATIENT,
    staff_id: int | None = None,
    restored_from_id: int | None = None,
) -> bool:
    """Save a new version of the plan; False when nothing changed (no version is added, so
    a double-click or a reload does not fill the history). ``restored_from_id`` is the
    version whose words these are, when the patient takes one back. Logs ids only."""
    if text.too_long():
        raise OwnPlanError("too_long")
    with db.transaction(now=now) as session:
        current = _plan(session, patient_id)
        if (current.text if current else CrisisPlanText()) == text:
            return False
        version = CrisisPlanVersion(
            patient_id=patient_id,
            recorded_by=recorded_by,
            staff_id=staff_id,
            restored_from_id=restored_from_id,
            created_at=now,
            **{part.value: text.part(part) for part in PlanPart},
        )
        session.add(version)
        session.flush()
        log.info(
            "crisis plan saved",
            extra={"patient_id": patient_id, "version_id": version.id, "by": recorded_by.value},
        )
    return True


# --------------------------------------------------------------------------- standing choices


# A patient's choice events, oldest first (columns, built once, as `_NEWEST_PLAN`).
_CHOICE_EVENTS = (
    select(
        StandingChoiceEvent.id,
        StandingChoiceEvent.choice_id,
        StandingChoiceEvent.event,
        StandingChoiceEvent.kind,
        StandingChoiceEvent.text,
        StandingChoiceEvent.recorded_by,
        StandingChoiceEvent.created_at,
    )
    .where(StandingChoiceEvent.patient_id == bindparam("patient_id"))
    .order_by(StandingChoiceEvent.id)
)


def _events(session: Session, patient_id: int) -> list[ChoiceEvent]:
    rows = session.connection().execute(_CHOICE_EVENTS, {"patient_id": patient_id}).all()
    return [
        ChoiceEvent(
            choice_id=choice_id or event_id,
            event=event,
            kind=kind,
            text=text,
            recorded_by=recorded_by,
            at=at,
            event_id=event_id,
        )
        for event_id, choice_id, event, kind, text, recorded_by, at in rows
    ]


def choice_history(
    db: Database, patient_id: int
) -> tuple[tuple[StandingChoice, ...], tuple[WithdrawnChoice, ...]]:
    """The choices that hold now (oldest first) and those withdrawn (newest first), from one
    read. For the patient's own page."""
    with db.session() as session:
        events = _events(session, patient_id)
    return holding_choices(events), withdrawn_choices(events)


def _clean_choice_text(kind: ChoiceKind, raw: str) -> str:
    text = clean_free_text(raw or "")
    if len(text) > CHOICE_TEXT_MAX:
        raise OwnPlanError("too_long")
    if not text and kind in TEXT_REQUIRED:
        raise OwnPlanError("text_required")
    return text


def change_choice(
    db: Database,
    patient_id: int,
    now: dt.datetime,
    *,
    event: ChoiceEventKind,
    kind: ChoiceKind | None = None,
    choice_id: int | None = None,
    text: str = "",
    recorded_by: RecordedBy = RecordedBy.PATIENT,
    staff_id: int | None = None,
) -> int:
    """Record a new choice, change the words of one, or withdraw one; it holds at once.

    ``choice_id`` must be a choice of this patient that holds now (else ``unknown_choice``).
    Returns the choice id. Logs ids and codes only.
    """
    with db.transaction(now=now) as session:
        holding = {c.choice_id: c for c in holding_choices(_events(session, patient_id))}
        if event is ChoiceEventKind.RECORDED:
            if kind is None:
                raise OwnPlanError("no_kind")
            if len(holding) >= MAX_OPEN_CHOICES:
                raise OwnPlanError("too_many")
            words = _clean_choice_text(kind, text)
            row = StandingChoiceEvent(
                patient_id=patient_id,
                choice_id=None,
                event=event,
                kind=kind,
                text=words,
                recorded_by=recorded_by,
                staff_id=staff_id,
                created_at=now,
            )
        else:
            choice = holding.get(choice_id) if choice_id is not None else None
            if choice is None:
                raise OwnPlanError("unknown_choice")
            words = (
                choice.text
                if event is ChoiceEventKind.WITHDRAWN
                else _clean_choice_text(choice.kind, text)
            )
            if event is ChoiceEventKind.CHANGED and words == choice.text:
                return choice.choice_id
            row = StandingChoiceEvent(
                patient_id=patient_id,
                choice_id=choice.choice_id,
                event=event,
                kind=choice.kind,
                text=words,
                recorded_by=recorded_by,
                staff_id=staff_id,
                created_at=now,
            )
        session.add(row)
        session.flush()
        log.info(
            "standing choice %s",
            event.value,
            extra={"patient_id": patient_id, "event_id": row.id, "by": recorded_by.value},
        )
        return row.choice_id or row.id


# --------------------------------------------------------------------------- staff


# Who recorded each standing choice, built once: an `aliased()` entity made per call is
# processed anew by SQLAlchemy on every pre-session view.
RECORDER_NAMES = (
    select(StandingChoiceEvent.id, Staff.display_name)
    .join(Staff, Staff.id == StandingChoiceEvent.staff_id)
    .where(StandingChoiceEvent.patient_id == bindparam("patient_id"))
)


def staff_view(
    db: Database, viewer: Viewer, episode_id: int, now: dt.datetime, *, log_read: bool = True
) -> OwnPlanView | None:
    """The plan and choices of the episode's patient, for a viewer who may see the episode
    (None otherwise). Writes one access-log row when there is something to read (unless
    ``log_read`` is False: a change made with the patient checks access without reading).
    The pre-session view reads the same in its own transaction (``read_plan``)."""
    mine = select(EpisodeTherapist.episode_id).where(EpisodeTherapist.staff_id == viewer.staff_id)
    with db.transaction(now=now) as session:
        found = session.execute(
            select(
                Episode.patient_id,
                Episode.unit_id,
                Episode.id.in_(mine),
                Episode.status,
                Episode.ended_on,
            ).where(Episode.id == episode_id, Episode.id.in_(visible_episodes(viewer)))
        ).first()
        if found is None:
            return None
        patient_id, unit_id, is_mine, status, ended_on = found
        view = read_plan(
            session,
            patient_id,
            may_record=bool(is_mine),
            episode_active=status is EpisodeStatus.ACTIVE,
            ended_on=ended_on,
        )
        if log_read:
            log_plan_read(session, view, viewer.staff_id, unit_id, now)
    return view


def read_plan(
    session: Session,
    patient_id: int,
    *,
    may_record: bool,
    episode_active: bool = True,
    ended_on: dt.date | None = None,
) -> OwnPlanView:
    """The patient's plan and choices, for a caller that has checked the viewer may see the
    patient's episode (and logs the read with ``log_plan_read``)."""
    plan = _plan(session, patient_id)
    events = _events(session, patient_id)
    choices = holding_choices(events)
    names = (
        dict(session.connection().execute(RECORDER_NAMES, {"patient_id": patient_id}).all())
        if choices
        else {}
    )
    return OwnPlanView(
        patient_id=patient_id,
        plan=plan,
        choices=tuple(ChoiceLine(c, names.get(c.event_id)) for c in choices),
        may_record=may_record,
        episode_active=episode_active,
        ended_on=ended_on,
        withdrawn=withdrawn_choices(events),
    )


def log_plan_read(
    session: Session, view: OwnPlanView, staff_id: int, unit_id: int, now: dt.datetime
) -> None:
    """One access-log row for a read of the plan, when there was something to read."""
    if not view.is_empty:
        record_access(
            session,
            staff_id=staff_id,
            # Only the patient's own therapist may record: the same test as may_record.
            role=Role.THERAPIST if view.may_record else Role.UNIT_LEAD,
            patient_id=view.patient_id,
            unit_id=unit_id,
            action=OWN_PLAN_VIEW,
            now=now,
        )
