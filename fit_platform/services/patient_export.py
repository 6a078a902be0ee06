"""Everything the platform holds about one patient, as one JSON-ready dict: the administrator's
answer to a right-of-access request (GDPR art. 15; docs/privacy.md).

The export is itself a read of the patient's data: it writes an access-log row (which the
exported log contains) and an admin audit row with counts, never content, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    AccessLog,
    ConsentEvent,
    CrisisPlanVersion,
    Episode,
    OutboxMessage,
    Patient,
    StandingChoiceEvent,
    Unit,
)
from fit_platform.domain.codes import Role
from fit_platform.domain.own_plan import PlanPart
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.finish_draft import drafts_for_export
from fit_platform.services.patient_data import AccessAction, AuditAction, patient_in_unit
from fit_platform.services.patient_export_episode import all_rows, episode_export, iso_text

log = logging.getLogger(__name__)

EXPORT_FORMAT = "fit-platform patient data"
# 2: a response's "band" is the band's name in the patient's language (the web layer names it,
# web/admin/patient_export_text.py); version 1 gave the internal code there (docs/privacy.md).
# 3: each other code keeps its field and gets its words in the patient's language beside it,
# as "<field>_text" (web/admin/patient_export_text.py).
# 4: a samvalg decision says when it was corrected, with the words each correction replaced
# ("earlier_versions"); a withdrawn one has its dates only ("withdrawn_at"), no words.
EXPORT_VERSION = 4


def _plan_versions_export(session: Session, patient_id: int) -> list[dict[str, Any]]:
    """Every crisis-plan version, oldest first; a restored one says when the version it was
    taken back from was saved (versions carry no ids in the export)."""
    versions = all_rows(
        session,
        select(CrisisPlanVersion)
        .where(CrisisPlanVersion.patient_id == patient_id)
        .order_by(CrisisPlanVersion.id),
    )
    saved_at = {version.id: version.created_at for version in versions}
    return [
        {
            "at": iso_text(version.created_at),
            "by": version.recorded_by.value,
            "restored_from_at": (
                iso_text(saved_at[version.restored_from_id]) if version.restored_from_id else None
            ),
            **{part.value: getattr(version, part.value) for part in PlanPart},
        }
        for version in versions
    ]


def export_patient(
    db: Database, *, patient_id: int, unit_id: int, staff_id: int, now: dt.datetime
) -> dict[str, Any] | None:
    """Everything the platform holds about the patient, as one JSON-ready dict (right of
    access). The export is access-logged and audited in the same transaction; the audit row
    holds the counts, not the content. None when the patient is not in the unit."""
    with db.transaction(now=now) as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.external_id is None:
            return None
        found = patient_in_unit(session, unit_id, patient.external_id)
        if found is None or found[0].id != patient_id:
            return None
        # The export's own read is part of the access log it contains.
        record_access(
            session,
            staff_id=staff_id,
            role=Role.ADMIN,
            patient_id=patient_id,
            unit_id=unit_id,
            action=AccessAction.EXPORT,
            now=now,
        )
        session.flush()
        episodes = all_rows(
            session,
            select(Episode).where(Episode.patient_id == patient_id).order_by(Episode.started_on),
        )
        data: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": iso_text(now),
            "patient": {
                "id": patient.id,
                "name": patient.display_name,
                "record_id": patient.external_id,
                "phone": patient.phone_e164,
                "email": patient.email,
                "language": patient.preferred_language.value,
                "channel": patient.preferred_channel.value,
                "consent_state": patient.consent_state.value,
                "paused_until": iso_text(patient.paused_until),
                "registered_at": iso_text(patient.created_at),
                "feedback_erased_at": iso_text(patient.feedback_erased_at),
                # Whether an ID-porten login can find the patient; the hash itself is no use
                # to the patient and is never handed out.
                "national_id_registered": patient.national_id_hash is not None,
            },
            "episodes": [episode_export(session, episode) for episode in episodes],
            "consent_history": [
                {
                    "at": iso_text(event.created_at),
                    "kind": event.kind.value,
                    "by": event.actor.value,
                    "reason": event.reason,
                    "paused_until": iso_text(event.paused_until),
                    "channel": event.channel.value if event.channel else None,
                }
                for event in all_rows(
                    session,
                    select(ConsentEvent)
                    .where(ConsentEvent.patient_id == patient_id)
                    .order_by(ConsentEvent.created_at, ConsentEvent.id),
                )
            ],
            # The patient's own plan: every version and every event, as kept.
            "crisis_plan_versions": _plan_versions_export(session, patient_id),
            "standing_choice_events": [
                {
                    "at": iso_text(event.created_at),
                    "choice": event.choice_id or event.id,
                    "event": event.event.value,
                    "kind": event.kind.value,
                    "text": event.text,
                    "by": event.recorded_by.value,
                }
                for event in all_rows(
                    session,
                    select(StandingChoiceEvent)
                    .where(StandingChoiceEvent.patient_id == patient_id)
                    .order_by(StandingChoiceEvent.id),
                )
            ],
            # Typed on a check page and not sent yet (services/finish_draft.py).
            "unsent_check_page_text": drafts_for_export(session, patient_id),
            "messages": [
                {
                    "kind": message.kind.value,
                    "channel": message.channel.value,
                    "state": message.state.value,
                    "created_at": iso_text(message.created_at),
                    "sent_at": iso_text(message.sent_at),
                }
                for message in all_rows(
                    session,
                    select(OutboxMessage)
                    .where(OutboxMessage.patient_id == patient_id)
                    .order_by(OutboxMessage.created_at, OutboxMessage.id),
                )
            ],
            # Who read the data: role and unit, as on every other page the patient's access
            # history appears (docs/privacy.md says how to ask for names).
            "access_log": [
                {"at": iso_text(at), "role": role.value, "unit": unit_name, "action": action}
                for at, role, unit_name, action in session.execute(
                    select(AccessLog.at, AccessLog.role, Unit.name, AccessLog.action)
                    .outerjoin(Unit, Unit.id == AccessLog.unit_id)
                    .where(AccessLog.patient_id == patient_id)
                    .order_by(AccessLog.at, AccessLog.id)
                ).all()
            ],
        }
        counts = {
            "episodes": len(data["episodes"]),
            "responses": sum(len(episode["responses"]) for episode in data["episodes"]),
            "consent_events": len(data["consent_history"]),
            "access_log_rows": len(data["access_log"]),
        }
        record_admin_change(
            session,
            staff_id=staff_id,
            action=AuditAction.EXPORTED,
            target_kind="patient",
            target_id=patient_id,
            after=counts,
            at=now,
        )
    log.info(
        "patient data exported",
        extra={
            "patient_id": patient_id,
            "staff_id": staff_id,
            "episodes": counts["episodes"],
            "responses": counts["responses"],
        },
    )
    return data
