"""What the invitation services share: the non-response reasons, outbox keys, inserts that
ignore duplicates, and each patient's consent folded from their events.

Idempotence comes from the database, not from the caller: an invitation is unique per
(episode, instrument, slot key) and an outbox message per dedupe key
("<invitation id>:<kind>:<sequence>"); every insert is INSERT … ON CONFLICT DO NOTHING,
so a second scheduler (or a retried tick) creates nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fit_platform.db.models import (
    ConsentEvent,
    Patient,
)
from fit_platform.domain.codes import (
    Channel,
    InvitationState,
    MessageKind,
)
from fit_platform.domain.consent import Consent, consent_state
from fit_platform.services.schedule_plans import (
    domain_consent_event,
)

OPEN_STATES = (InvitationState.SCHEDULED, InvitationState.SENT, InvitationState.OPENED)


class NonResponse:
    """Reasons stored on an invitation that closed without an answer."""

    NOT_OPENED = "not_opened"
    NOT_COMPLETED = "opened_not_completed"
    NOT_DELIVERED = "not_delivered"
    NOT_SENT = "not_sent"
    CONSENT = "consent_withdrawn"
    APPOINTMENT_CHANGED = "appointment_changed"
    # Planned and not sent yet when the therapist switched its rule off
    # (services/episode_schedule.py): "Changes apply from the next questionnaire".
    RULE_SWITCHED_OFF = "rule_switched_off"
    # Planned and not sent yet when its rule, or the patient's own days, changed so that the
    # plan no longer asks for it (services/plan_changes.py); the next tick plans what it does.
    PLAN_CHANGED = "plan_changed"
    # Closed by a pause or stop, by the patient or by staff (services/consent.py).
    PAUSED_BY_PATIENT = "paused_by_patient"
    PAUSED = "paused"
    STOPPED_BY_PATIENT = "stopped_by_patient"
    STOPPED = "stopped"


# Why a pause or a stop closed an invitation: there, or by the dispatcher finding consent
# withdrawn when it came to send. Such an invitation is not final while its window is open:
# starting questionnaires again reopens it (services/consent.py), so the export's summary
# treats it as open until then (services/export/summary.py).
CONSENT_CANCELLATIONS = (
    NonResponse.PAUSED_BY_PATIENT,
    NonResponse.PAUSED,
    NonResponse.STOPPED_BY_PATIENT,
    NonResponse.STOPPED,
    NonResponse.CONSENT,
)


@dataclass(frozen=True)
class EnqueueResult:
    candidates: int
    invitations: int
    messages: int


def message_key(invitation_id: int, kind: MessageKind, sequence: int = 1) -> str:
    return f"{invitation_id}:{kind.value}:{sequence}"


def insert_ignoring_duplicates(session: Session, model: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing()


def among(column: Any, ids: Iterable[int], dialect: str) -> Any:
    """`column IN ids` for a long list of integer ids. On PostgreSQL it is sent as
    `column = ANY(array)`, one parameter: an IN list has one parameter per id, which the
    driver and the server parse again for every chunk."""
    values = list(ids)
    if dialect == "postgresql":
        return column == any_(literal(values, ARRAY(Integer)))
    return column.in_(values)


def rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def consent_by_patient(
    session: Session,
    patient_ids: Iterable[int],
    default_channels: Mapping[int, Channel] | None = None,
) -> dict[int, Consent]:
    """Each patient's consent state, folded from their events (the source of truth).
    `default_channels` (the patients' stored channel) saves a query when the caller has it."""
    ids = list(patient_ids)
    dialect = session.get_bind().dialect.name
    default_channel = dict(default_channels or {})
    if not default_channel and ids:
        default_channel = {
            row.id: row.preferred_channel
            for row in session.execute(
                select(Patient.id, Patient.preferred_channel).where(among(Patient.id, ids, dialect))
            )
        }
    events: dict[int, list[ConsentEvent]] = defaultdict(list)
    if ids:
        for row in session.scalars(
            select(ConsentEvent).where(among(ConsentEvent.patient_id, ids, dialect))
        ):
            events[row.patient_id].append(row)
    return {
        pid: consent_state(
            [d for e in events.get(pid, []) if (d := domain_consent_event(e)) is not None],
            default_channel.get(pid, Channel.SMS),
        )
        for pid in ids
    }
