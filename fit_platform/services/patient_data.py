"""A patient's data for the administrator: find, erase the feedback data (GDPR art. 17, where
the law allows); the export (art. 15) is `services/patient_export.py`. What is erased and what
is kept, and why, is in docs/privacy.md.

Every function that reads a patient's data writes an access-log row, and every export or
erasure an admin audit row, in the same transaction as the read or the change. The audit row
holds counts and codes only, never the erased content.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    CrisisPlanVersion,
    Episode,
    ErasureInProgress,
    Invitation,
    InvitationToken,
    ItemAnswer,
    OneTimeCode,
    OutboxMessage,
    Patient,
    PatientGoal,
    Response,
    ResponseComment,
    ResponseMonth,
    ResponseSpan,
    SessionTopic,
    SharedDecision,
    SharedDecisionEarlier,
    Signal,
    StandingChoiceEvent,
    Unit,
)
from fit_platform.domain.codes import (
    Actor,
    ConsentEventKind,
    ConsentState,
    OutboxState,
    Role,
)
from fit_platform.domain.free_text import clean_free_text
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.consent import ConsentChange, apply_consent_change

log = logging.getLogger(__name__)

REASON_MAX = 500


class AccessAction:
    """Access-log codes for what an administrator read."""

    LOOKUP = "admin_patient_lookup"
    EXPORT = "admin_patient_export"
    ERASE_REVIEW = "admin_patient_erase_review"


class AuditAction:
    EXPORTED = "patient_data_exported"
    ERASED = "patient_feedback_erased"


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str


@dataclass(frozen=True)
class PatientSummary:
    """What the admin page shows: who the patient is and how much is held, never the content."""

    patient_id: int
    display_name: str
    external_id: str
    unit_id: int
    unit_name: str
    consent_state: ConsentState
    feedback_erased_at: dt.datetime | None
    counts: dict[str, int]

    @property
    def holds_feedback(self) -> bool:
        return any(self.counts.values())


class ErasureError(ValueError):
    """The erasure was not made; ``code`` says why (the view translates it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def units(db: Database) -> list[UnitChoice]:
    with db.session() as session:
        rows = session.execute(select(Unit.id, Unit.name).order_by(Unit.name)).all()
    return [UnitChoice(unit_id, name) for unit_id, name in rows]


def _episode_ids(session: Session, patient_id: int) -> list[int]:
    return list(session.scalars(select(Episode.id).where(Episode.patient_id == patient_id)))


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _feedback_counts(session: Session, patient_id: int) -> dict[str, int]:
    """How many of each kind of erasable record the patient has (the erasure's audit row)."""
    episodes = _episode_ids(session, patient_id)
    responses = select(Response.id).where(Response.episode_id.in_(episodes))
    return {
        "responses": _count(session, Response, Response.episode_id.in_(episodes)),
        "answers": _count(session, ItemAnswer, ItemAnswer.response_id.in_(responses)),
        "comments": _count(session, ResponseComment, ResponseComment.episode_id.in_(episodes)),
        "goals": _count(session, PatientGoal, PatientGoal.episode_id.in_(episodes)),
        "session_topics": _count(session, SessionTopic, SessionTopic.episode_id.in_(episodes)),
        "decisions": _count(session, SharedDecision, SharedDecision.episode_id.in_(episodes)),
        "signals": _count(session, Signal, Signal.episode_id.in_(episodes)),
        "link_tokens": _count(
            session,
            InvitationToken,
            InvitationToken.invitation_id.in_(
                select(Invitation.id).where(Invitation.episode_id.in_(episodes))
            ),
        ),
        "one_time_codes": _count(session, OneTimeCode, OneTimeCode.patient_id == patient_id),
        "crisis_plan_versions": _count(
            session, CrisisPlanVersion, CrisisPlanVersion.patient_id == patient_id
        ),
        "standing_choice_events": _count(
            session, StandingChoiceEvent, StandingChoiceEvent.patient_id == patient_id
        ),
    }


def patient_in_unit(
    session: Session, unit_id: int, external_id: str
) -> tuple[Patient, Unit] | None:
    row = session.execute(
        select(Patient, Unit)
        .join(Episode, Episode.patient_id == Patient.id)
        .join(Unit, Unit.id == Episode.unit_id)
        .where(Episode.unit_id == unit_id, Patient.external_id == external_id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def find_patient(
    db: Database, *, unit_id: int, external_id: str, staff_id: int, now: dt.datetime
) -> PatientSummary | None:
    """The patient with this record id in this unit, or None. A find is a read: access-logged."""
    external_id = clean_free_text(external_id)
    if not external_id:
        return None
    with db.transaction(now=now) as session:
        found = patient_in_unit(session, unit_id, external_id)
        if found is None:
            return None
        patient, unit = found
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient.id,
            unit_id=unit.id,
            action=AccessAction.LOOKUP,
            now=now,
        )
        return PatientSummary(
            patient_id=patient.id,
            display_name=patient.display_name,
            external_id=patient.external_id or "",
            unit_id=unit.id,
            unit_name=unit.name,
            consent_state=patient.consent_state,
            feedback_erased_at=patient.feedback_erased_at,
            counts=_feedback_counts(session, patient.id),
        )


def summary_for_erasure(
    db: Database, *, patient_id: int, unit_id: int, staff_id: int, now: dt.datetime
) -> PatientSummary | None:
    """The summary the erasure page shows (access-logged); None when the patient is not in
    the unit (a forged address)."""
    with db.transaction(now=now) as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.external_id is None:
            return None
        found = patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            return None
        unit = found[1]
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient_id,
            unit_id=unit.id,
            action=AccessAction.ERASE_REVIEW,
            now=now,
        )
        return PatientSummary(
            patient_id=patient.id,
            display_name=patient.display_name,
            external_id=patient.external_id,
            unit_id=unit.id,
            unit_name=unit.name,
            consent_state=patient.consent_state,
            feedback_erased_at=patient.feedback_erased_at,
            counts=_feedback_counts(session, patient.id),
        )


@dataclass(frozen=True)
class ErasureResult:
    patient_id: int
    erased: dict[str, int]
    cancelled_invitations: int
    cancelled_messages: int


def erase_feedback(
    db: Database,
    *,
    patient_id: int,
    unit_id: int,
    staff_id: int,
    confirmation: str,
    reason: str,
    now: dt.datetime,
    zone: ZoneInfo,
) -> ErasureResult:
    """Erase the patient's feedback data, all in one transaction (docs/privacy.md).

    Erased: answers and scores, comments, goals, session topics, signals, shared decisions, link
    tokens, one-time codes, the crisis plan (every version) and the standing choices, contact
    details and the provider details of sent messages.
    Kept: the registration (name, record id), episodes and appointments, the invitations'
    states and times, the consent history (with the reasons she wrote) and the access log.
    Feedback stops (a consent stop recorded by staff), which cancels open invitations and
    queued messages.
    `confirmation` must be the patient's record id; `reason` is required. Raises
    ``ErasureError`` (``confirmation``, ``reason``, ``not_found``) and then changes nothing.
    """
    reason = " ".join(clean_free_text(reason).split())[:REASON_MAX]
    if not reason:
        raise ErasureError("reason")
    with db.transaction(now=now) as session:
        patient = session.get(Patient, patient_id, with_for_update=True)
        if patient is None or patient.external_id is None:
            raise ErasureError("not_found")
        found = patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            raise ErasureError("not_found")
        if clean_free_text(confirmation) != patient.external_id:
            raise ErasureError("confirmation")
        erased = _feedback_counts(session, patient_id)
        cancelled_invitations = cancelled_messages = 0
        if patient.consent_state is not ConsentState.STOPPED:
            stopped = apply_consent_change(
                session,
                patient_id,
                ConsentChange(ConsentEventKind.STOPPED),
                now=now,
                actor=Actor.STAFF,
                staff_id=staff_id,
                zone=zone,
            )
            cancelled_invitations = stopped.cancelled_invitations
            cancelled_messages = stopped.cancelled_messages
        # A code message still waiting would carry a code for data that no longer exists.
        codes = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id, OutboxMessage.state == OutboxState.QUEUED
            )
            .values(state=OutboxState.CANCELLED, last_error="feedback data erased")
        )
        cancelled_messages += int(codes.rowcount or 0)  # type: ignore[attr-defined]
        episodes = select(Episode.id).where(Episode.patient_id == patient_id)
        responses = select(Response.id).where(Response.episode_id.in_(episodes))
        invitations = select(Invitation.id).where(Invitation.episode_id.in_(episodes))
        # Children before parents, so no foreign key is left pointing at a deleted row.
        decisions = select(SharedDecision.id).where(SharedDecision.episode_id.in_(episodes))
        session.execute(
            delete(SharedDecisionEarlier).where(SharedDecisionEarlier.decision_id.in_(decisions))
        )
        session.execute(delete(SharedDecision).where(SharedDecision.episode_id.in_(episodes)))
        session.execute(delete(Signal).where(Signal.episode_id.in_(episodes)))
        session.execute(delete(ResponseComment).where(ResponseComment.episode_id.in_(episodes)))
        session.execute(delete(ItemAnswer).where(ItemAnswer.response_id.in_(responses)))
        session.execute(delete(Response).where(Response.episode_id.in_(episodes)))
        # The export's summary of those responses goes with them (services/export/summary.py).
        session.execute(delete(ResponseMonth).where(ResponseMonth.episode_id.in_(episodes)))
        session.execute(delete(ResponseSpan).where(ResponseSpan.episode_id.in_(episodes)))
        session.execute(delete(PatientGoal).where(PatientGoal.episode_id.in_(episodes)))
        session.execute(delete(SessionTopic).where(SessionTopic.episode_id.in_(episodes)))
        session.execute(
            delete(InvitationToken).where(InvitationToken.invitation_id.in_(invitations))
        )
        session.execute(delete(OneTimeCode).where(OneTimeCode.patient_id == patient_id))
        # Her own plan is append-only; the database lets this patient's rows go only while
        # the erasure's marker row is there, inside this transaction (db/append_only.py).
        session.execute(insert(ErasureInProgress).values(patient_id=patient_id))
        session.execute(delete(CrisisPlanVersion).where(CrisisPlanVersion.patient_id == patient_id))
        session.execute(
            delete(StandingChoiceEvent).where(StandingChoiceEvent.patient_id == patient_id)
        )
        session.execute(delete(ErasureInProgress).where(ErasureInProgress.patient_id == patient_id))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id)
            .values(provider_ref=None, last_error=None)
        )
        patient.phone_e164 = None
        patient.email = None
        # Nothing is left to see through ID-porten; the hash would only be an identifier.
        patient.national_id_hash = None
        patient.feedback_erased_at = now
        record_admin_change(
            session,
            staff_id=staff_id,
            action=AuditAction.ERASED,
            target_kind="patient",
            target_id=patient_id,
            before=erased,
            after={
                "feedback_erased_at": now.isoformat(),
                "cancelled_invitations": cancelled_invitations,
                "cancelled_messages": cancelled_messages,
            },
            reason=reason,
            at=now,
        )
    log.info(
        "patient feedback erased",
        extra={
            "patient_id": patient_id,
            "staff_id": staff_id,
            "responses": erased["responses"],
            "comments": erased["comments"],
            "cancelled_messages": cancelled_messages,
        },
    )
    return ErasureResult(patient_id, erased, cancelled_invitations, cancelled_messages)
