"""The patient's national identity number, kept only as a keyed hash, and the ID-porten match.

A therapist may enter the number at registration so the patient can later open their progress
page with ID-porten instead of a one-time code. We keep HMAC-SHA256 of the eleven digits under
a key from configuration (`FIT_PATIENT_ID_HASH_KEY`): without the key a stolen database does not
give the numbers back (there are only about 10^8 valid numbers, so a plain hash would). The
number is never stored, never logged and never shown again (docs/privacy.md).

`patient_for_login` turns a verified `pid` claim into the patient whose progress may be shown:
one with an episode still open. Its outcome codes go to the log; the person sees one neutral
message for every "no" (docs/identity.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient
from fit_platform.domain.codes import EpisodeStatus
from fit_platform.domain.national_id import normalise_national_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NationalIdPolicy:
    """How numbers are checked and hashed in this deployment."""

    key: str
    allow_test_numbers: bool

    def digest(self, raw: str) -> str:
        """The keyed hash of a valid number; raises `InvalidNationalId` (with no digits in it)."""
        digits = normalise_national_id(raw, allow_test_numbers=self.allow_test_numbers)
        return hmac.new(self.key.encode(), digits.encode(), hashlib.sha256).hexdigest()


def national_id_taken_in_unit(session: Session, unit_id: int, digest: str) -> bool:
    """True when another patient in the unit has the same number: a second registration of one
    person there. Other units are not asked, so nobody learns where else a person is treated."""
    return (
        session.scalar(
            select(Patient.id)
            .join(Episode, Episode.patient_id == Patient.id)
            .where(Patient.national_id_hash == digest, Episode.unit_id == unit_id)
            .limit(1)
        )
        is not None
    )


class LoginMatch(StrEnum):
    FOUND = "found"
    NO_PATIENT = "no_patient"  # nobody registered with this number (or it was erased)
    NO_OPEN_EPISODE = "no_open_episode"  # registered, but every episode has ended


@dataclass(frozen=True)
class PatientMatch:
    outcome: LoginMatch
    patient_id: int | None = None


def patient_for_login(
    db: Database, policy: NationalIdPolicy, pid: str, preferred_patient_id: int | None = None
) -> PatientMatch:
    """The patient an ID-porten login with `pid` may see the progress of.

    Only patients with an active episode count. A person registered in two units has two rows;
    the one whose link is open in this browser (`preferred_patient_id`) wins, else the one
    whose open episode started last. Logs the outcome code and the patient id only.
    """
    digest = policy.digest(pid)
    with db.session() as session:
        rows = session.execute(
            select(Patient.id, Episode.status, Episode.started_on)
            .join(Episode, Episode.patient_id == Patient.id)
            .where(Patient.national_id_hash == digest, Patient.feedback_erased_at.is_(None))
            .order_by(Episode.started_on.desc(), Episode.id.desc())
        ).all()
    open_ids = [row.id for row in rows if row.status is EpisodeStatus.ACTIVE]
    if not rows:
        match = PatientMatch(LoginMatch.NO_PATIENT)
    elif not open_ids:
        match = PatientMatch(LoginMatch.NO_OPEN_EPISODE)
    elif preferred_patient_id in open_ids:
        match = PatientMatch(LoginMatch.FOUND, preferred_patient_id)
    else:
        match = PatientMatch(LoginMatch.FOUND, open_ids[0])
    log.info(
        "id-porten patient match",
        extra={
            "event": "idporten_match",
            "outcome": match.outcome.value,
            "patient_id": match.patient_id,
        },
    )
    return match
