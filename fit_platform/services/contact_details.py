"""Correcting a patient's contact details (GDPR art. 16, the right to rectification).

Who may call it: a therapist on one of the patient's episodes (reached from that episode's
pages), or an administrator (reached from the admin's "A patient's data" page, through a unit
the patient has an episode in). Unit leads read; they do not change registrations.

The validation is registration's (`registration.validated_contact`): the same messages, the
same normalised forms. Where ID-porten is set up, a national identity number can be added or
replaced here too (kept only as its keyed hash, as at registration), so patients registered
before can log in with ID-porten. Every read of the page and every correction writes an
access-log row; every correction that changes something writes one admin audit row in the same
transaction. The audit row and the log line name the fields that changed, never a phone number
or an e-mail address: the audit trail is append-only and kept for years, and an address that
was wrong (someone else's number) must not outlive its correction there. Language and channel
identify no one, so their old and new values are kept.

A changed channel is a consent event with actor "staff" (`consent.apply_consent_change`), as
when the patient changes it on their choices page: the history shows it, and messages already
queued go by the new channel. The dispatcher reads the address when it sends, so a queued
message goes to the corrected address too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient, StaffRole, Unit
from fit_platform.domain.codes import (
    Actor,
    Channel,
    ConsentEventKind,
    EpisodeStatus,
    Language,
    Role,
)
from fit_platform.domain.contact_mask import masked_email, phone_ending
from fit_platform.services.access_control import treating_episode
from fit_platform.services.access_log import record_access
from fit_platform.services.admin_audit import record_admin_change
from fit_platform.services.consent import ConsentChange, apply_consent_change
from fit_platform.services.patient_identity import national_id_taken_in_unit
from fit_platform.services.registration import RegistrationError, validated_contact

log = logging.getLogger(__name__)

AUDIT_ACTION = "patient_contact_corrected"


class AccessAction:
    VIEW = "contact_details_view"
    CORRECT = "contact_details_correct"


class ContactNotFound(LookupError):
    """No such patient for this caller (not theirs, or a forged address): the page is a 404."""


@dataclass(frozen=True)
class Reach:
    """How the caller reaches the patient: a therapist through an episode they are on, an
    administrator through a unit the patient has an episode in."""

    staff_id: int
    episode_id: int | None = None
    patient_id: int | None = None
    unit_id: int | None = None

    @property
    def as_admin(self) -> bool:
        return self.episode_id is None


@dataclass(frozen=True)
class ContactDetails:
    patient_id: int
    display_name: str
    unit_name: str
    phone: str | None
    email: str | None
    language: Language
    channel: Channel
    has_national_id: bool = False
    # Reached through an ended episode: the details are read there, not corrected.
    closed_episode: bool = False
    episode_ended_on: dt.date | None = None


@dataclass(frozen=True)
class Correction:
    phone: str | None
    email: str | None
    language: Language
    channel: Channel
    # The keyed hash of a national identity number entered now (registration's
    # `national_id_digest`), for a patient registered before ID-porten was set up or with a
    # wrong number; None leaves what is on file.
    national_id_hash: str | None = None


@dataclass(frozen=True)
class Corrected:
    changed_fields: tuple[str, ...]


def _reached_patient(
    session: Session, reach: Reach, action: str, now: dt.datetime
) -> tuple[Patient, Unit, Episode | None]:
    """The patient (locked for update), the unit and (for a therapist) the episode of the
    reach, with one access-log row."""
    episode: Episode | None = None
    if not reach.as_admin:
        assert reach.episode_id is not None
        # The therapist corrects contact details through an episode; once it has ended nothing
        # more is sent from it, so a correction there is refused (`EpisodeClosed`). An
        # administrator still corrects them on the patient's own admin page.
        episode = treating_episode(
            session,
            reach.staff_id,
            reach.episode_id,
            action=action,
            now=now,
            change=action == AccessAction.CORRECT,
        )
        if episode is None:
            raise ContactNotFound
        patient_id, unit_id = episode.patient_id, episode.unit_id
    else:
        is_admin = session.scalar(
            select(StaffRole.id).where(
                StaffRole.staff_id == reach.staff_id,
                StaffRole.role == Role.ADMIN,
                StaffRole.unit_id.is_(None),  # `codes.SERVICE_WIDE_ROLES`
            )
        )
        in_unit = session.scalar(
            select(Episode.id)
            .where(Episode.patient_id == reach.patient_id, Episode.unit_id == reach.unit_id)
            .limit(1)
        )
        if is_admin is None or in_unit is None:
            raise ContactNotFound
        assert reach.patient_id is not None and reach.unit_id is not None
        patient_id, unit_id = reach.patient_id, reach.unit_id
        record_access(
            session,
            staff_id=reach.staff_id,
            role=Role.ADMIN,
            patient_id=patient_id,
            unit_id=unit_id,
            action=action,
            now=now,
        )
    patient = session.get_one(Patient, patient_id, with_for_update=True)
    return patient, session.get_one(Unit, unit_id), episode


def _details(patient: Patient, unit: Unit, episode: Episode | None) -> ContactDetails:
    return ContactDetails(
        patient_id=patient.id,
        display_name=patient.display_name,
        unit_name=unit.name,
        phone=patient.phone_e164,
        email=patient.email,
        language=patient.preferred_language,
        channel=patient.preferred_channel,
        has_national_id=patient.national_id_hash is not None,
        closed_episode=episode is not None and episode.status is not EpisodeStatus.ACTIVE,
        episode_ended_on=episode.ended_on if episode is not None else None,
    )


def contact_details(db: Database, reach: Reach, *, now: dt.datetime) -> ContactDetails:
    """What is on file, for the correction page (access-logged). Raises `ContactNotFound`."""
    with db.transaction(now=now) as session:
        return _details(*_reached_patient(session, reach, AccessAction.VIEW, now))


def _address_change(before: str | None, after: str | None) -> str:
    """The audit row's word for an address change: never the address itself."""
    if before is None:
        return "added"
    return "removed" if after is None else "changed"


def correct_contact_details(
    db: Database,
    reach: Reach,
    correction: Correction,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
) -> Corrected:
    """Save the corrected details; raises `registration.RegistrationError` (nothing saved) or
    `ContactNotFound`. Saving the details already on file changes nothing and audits nothing.
    """
    phone, email = validated_contact(correction.phone, correction.email, correction.channel)
    with db.transaction(now=now) as session:
        patient, unit, _episode = _reached_patient(session, reach, AccessAction.CORRECT, now)
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        digest = correction.national_id_hash
        if digest is not None and digest != patient.national_id_hash:
            # As at registration: one person once per unit, other units never asked.
            if national_id_taken_in_unit(session, unit.id, digest):
                raise RegistrationError("national_id", "national_id_taken")
            after["national_id"] = _address_change(patient.national_id_hash, digest)
            patient.national_id_hash = digest
        if patient.phone_e164 != phone:
            after["phone"] = _address_change(patient.phone_e164, phone)
            patient.phone_e164 = phone
        if patient.email != email:
            after["email"] = _address_change(patient.email, email)
            patient.email = email
        if patient.preferred_language is not correction.language:
            before["language"] = patient.preferred_language.value
            after["language"] = correction.language.value
            patient.preferred_language = correction.language
        if patient.preferred_channel is not correction.channel:
            before["channel"] = patient.preferred_channel.value
            after["channel"] = correction.channel.value
            session.flush()  # the consent change checks the address just saved
            apply_consent_change(
                session,
                patient.id,
                ConsentChange(ConsentEventKind.CHANNEL_CHANGED, channel=correction.channel),
                now=now,
                actor=Actor.STAFF,
                staff_id=reach.staff_id,
                zone=zone,
            )
        fields = tuple(after)
        if fields:
            record_admin_change(
                session,
                staff_id=reach.staff_id,
                action=AUDIT_ACTION,
                target_kind="patient",
                target_id=patient.id,
                at=now,
                before=before,
                after=after,
            )
            log.info(
                "patient contact details corrected",
                extra={
                    "event": AUDIT_ACTION,
                    "patient_id": patient.id,
                    "staff_id": reach.staff_id,
                    "as_admin": reach.as_admin,
                    "fields": list(fields),
                },
            )
    return Corrected(fields)


@dataclass(frozen=True)
class ContactOnFile:
    """What the patient's own link pages show: the channel and masked addresses."""

    channel: Channel
    phone_ending: str | None
    email_hint: str | None


def contact_on_file(db: Database, patient_id: int) -> ContactOnFile:
    """The patient's own view of their contact details (masked: `domain.contact_mask`). The
    patient reading their own registration is not a staff read, so it is not access-logged."""
    with db.session() as session:
        patient = session.get_one(Patient, patient_id)
        return ContactOnFile(
            patient.preferred_channel,
            phone_ending(patient.phone_e164),
            masked_email(patient.email),
        )
