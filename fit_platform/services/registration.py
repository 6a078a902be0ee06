"""A therapist registers a patient and opens a treatment episode in their unit.

Who may call it: a staff member holding the therapist role in the unit (checked here, not
only in the page). Writes one log line with ids only; names and contact details never.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    EpisodeTherapist,
    Patient,
    Programme,
    SchedulePlan,
    StaffRole,
    Unit,
)
from fit_platform.domain.codes import Channel, EpisodeStatus, Language, Role
from fit_platform.domain.episode_start import is_accepted_start
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.national_id import InvalidNationalId
from fit_platform.messaging.addresses import InvalidAddress, normalise_email, normalise_phone
from fit_platform.services.form_once import form_key, run_once
from fit_platform.services.patient_identity import NationalIdPolicy, national_id_taken_in_unit
from fit_platform.services.schedule_plans import copy_template_to_episode, has_rule_in_use

log = logging.getLogger(__name__)


class RegistrationError(ValueError):
    """Input that cannot be registered; `field` names the form field, `code` the reason."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


class ReturningPatient(RegistrationError):
    """The record id is a patient of this unit whose every course of treatment here has
    ended (the last on `ended_on`): registered again only when the therapist confirms that a
    new course starts for that patient (`returning=True`), never as a second person."""

    def __init__(self, ended_on: dt.date | None) -> None:
        super().__init__("external_id", "returning")
        self.ended_on = ended_on


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class PatientDetails:
    display_name: str
    external_id: str | None
    phone: str | None
    email: str | None
    language: Language
    channel: Channel
    # Typed by the therapist for ID-porten logins; only its keyed hash is ever stored.
    national_id: str | None = None


@dataclass(frozen=True)
class Registered:
    patient_id: int
    episode_id: int
    # The plan copied from the unit's or programme's template has a rule in use: without one
    # nothing will be sent until the therapist adds a rule, and the page says so.
    rules_in_use: bool = True
    # The plan came from the programme's own template (not the unit's): the page names it when
    # it has no rule in use, rather than blame the unit's (found in a review of the demo).
    from_programme: bool = False
    # A new course of treatment for a patient already registered in the unit: the contact
    # details, language, channel and choices on file are kept, not the ones typed.
    returning: bool = False


def clean_line(value: str | None, max_length: int) -> str:
    """A one-line field: the shared free-text cleaning, with all white space folded."""
    return " ".join(clean_free_text(value or "").split())[:max_length]


def _normalised_contact(
    phone: str | None, email: str | None, channel: Channel | None
) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """The phone number and e-mail address as stored, each None when empty or unreadable,
    with every (field, code) refused: each address optional and valid, the chosen channel's
    address present (a channel not chosen, None, leaves the addresses' own checks)."""
    problems: list[tuple[str, str]] = []
    cleaned: list[str | None] = []
    for field, value, normalise, code in (
        ("phone", phone, normalise_phone, "invalid_phone"),
        ("email", email, normalise_email, "invalid_email"),
    ):
        try:
            cleaned.append(normalise(value) if value and value.strip() else None)
        except InvalidAddress:
            cleaned.append(None)
            problems.append((field, code))
    if channel is Channel.SMS and not (phone and phone.strip()):
        problems.append(("phone", "required_for_sms"))
    if channel is Channel.EMAIL and not (email and email.strip()):
        problems.append(("email", "required_for_email"))
    return cleaned[0], cleaned[1], problems


def contact_problems(
    phone: str | None, email: str | None, channel: Channel | None
) -> list[tuple[str, str]]:
    """Every (field, code) `validated_contact` would refuse, not only the first."""
    return _normalised_contact(phone, email, channel)[2]


def registration_problems(
    *,
    display_name: str | None,
    phone: str | None,
    email: str | None,
    channel: Channel | None,
    started_on: dt.date | None,
    now: dt.datetime,
) -> list[tuple[str, str]]:
    """What `register_patient` would refuse in the typed details, saving nothing and reading
    no database: the page asks when its own form has found errors too, so a bad phone number
    comes in the same round as an unreadable date (`started_on` None: the form's own message
    stands). What needs the database (a record number taken, the unit archived) still comes
    from `register_patient`."""
    problems = [] if clean_line(display_name, 200) else [("display_name", "required")]
    problems += contact_problems(phone, email, channel)
    if started_on is not None and not is_accepted_start(started_on, now.date()):
        problems.append(("started_on", "start_out_of_range"))
    return problems


def validated_contact(
    phone: str | None, email: str | None, channel: Channel
) -> tuple[str | None, str | None]:
    """The phone number (E.164) and e-mail address as stored, or `RegistrationError`.

    The one rule for contact details, at registration and when they are corrected later
    (services/contact_details.py): each address optional and valid, the chosen channel's
    address present (`contact_problems`)."""
    clean_phone, clean_email, problems = _normalised_contact(phone, email, channel)
    if problems:
        raise RegistrationError(*problems[0])
    return clean_phone, clean_email


def validated_details(details: PatientDetails) -> PatientDetails:
    name = clean_line(details.display_name, 200)
    if not name:
        raise RegistrationError("display_name", "required")
    external_id = clean_line(details.external_id, 64) or None
    phone, email = validated_contact(details.phone, details.email, details.channel)
    return PatientDetails(
        name, external_id, phone, email, details.language, details.channel, details.national_id
    )


def national_id_digest(raw: str | None, policy: NationalIdPolicy | None) -> str | None:
    """The keyed hash of an entered number, None when none was entered (or ID-porten is off:
    then the number has no use here and is not kept in any form)."""
    if policy is None or not (raw or "").strip():
        return None
    try:
        return policy.digest(raw or "")
    except InvalidNationalId as exc:
        raise RegistrationError("national_id", f"national_id_{exc.problem.value}") from None


def _default_template(
    session: Session, unit_id: int, programme_id: int | None
) -> SchedulePlan | None:
    """The programme's schedule template, else the unit's (templates have no episode)."""
    return session.scalar(
        select(SchedulePlan)
        .where(
            SchedulePlan.episode_id.is_(None),
            SchedulePlan.unit_id == unit_id,
            or_(SchedulePlan.programme_id == programme_id, SchedulePlan.programme_id.is_(None)),
        )
        .order_by(SchedulePlan.programme_id.is_(None), SchedulePlan.id)
        .limit(1)
    )


def register_patient(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    details: PatientDetails,
    started_on: dt.date,
    programme_id: int | None = None,
    form_nonce: str | None = None,
    now: dt.datetime,
    national_ids: NationalIdPolicy | None = None,
    returning: bool = False,
) -> Registered:
    """Create the patient and an active episode with `staff_id` as responsible therapist.

    With `national_ids` (ID-porten is configured) an entered national identity number is
    checked and stored as its keyed hash; without it any entered number is dropped.

    A record id already registered in the unit is refused while that patient has an open
    episode here; when every episode of theirs here has ended it is `ReturningPatient`, and
    with `returning` the new episode is that patient's: what is on file (contact details,
    language, channel, consent, crisis plan, standing choices) goes on, what belongs to the
    old course (answers, signals, plan, therapists) stays with it (docs/clinician.md).

    The same form posted again (`form_nonce`) returns the first registration and creates
    nothing (`services.form_once`).
    """
    details = validated_details(details)
    # Today in UTC: a day's difference from Norway's date never matters at a range of years.
    if not is_accepted_start(started_on, now.date()):
        raise RegistrationError("started_on", "start_out_of_range")
    national_id_hash = national_id_digest(details.national_id, national_ids)

    def work(session: Session) -> int:
        allowed = session.scalar(
            select(StaffRole.id).where(
                StaffRole.staff_id == staff_id,
                StaffRole.role == Role.THERAPIST,
                StaffRole.unit_id == unit_id,
            )
        )
        if allowed is None:
            raise NotAllowed("not a therapist in this unit")
        if session.scalar(select(Unit.archived_at).where(Unit.id == unit_id)) is not None:
            raise RegistrationError("unit", "unit_archived")
        if (
            programme_id is not None
            and session.scalar(
                select(Programme.id).where(
                    Programme.id == programme_id,
                    Programme.unit_id == unit_id,
                    Programme.archived_at.is_(None),
                )
            )
            is None
        ):
            raise RegistrationError("programme", "programme_not_open")
        # A record id is unique within the unit only. Telling a therapist that it is taken
        # elsewhere would disclose another unit's patient, so there it is simply registered
        # again: this unit's record of the person, with its own episode and consent.
        patient_id = _returning_patient(session, unit_id, details.external_id, returning)
        if patient_id is None:
            if national_id_hash and national_id_taken_in_unit(session, unit_id, national_id_hash):
                raise RegistrationError("national_id", "national_id_taken")
            patient = Patient(
                display_name=details.display_name,
                external_id=details.external_id,
                phone_e164=details.phone,
                email=details.email,
                preferred_language=details.language,
                preferred_channel=details.channel,
                national_id_hash=national_id_hash,
            )
            session.add(patient)
            session.flush()
            patient_id = patient.id
        episode = Episode(
            patient_id=patient_id,
            unit_id=unit_id,
            programme_id=programme_id,
            started_on=started_on,
        )
        episode.therapists = [EpisodeTherapist(staff_id=staff_id, responsible=True)]
        session.add(episode)
        session.flush()
        template = _default_template(session, unit_id, programme_id)
        if template is not None:
            # The episode gets its own copy, so its schedule can be changed for this patient.
            copy_template_to_episode(session, template, episode.id)
        log.info(
            "patient registered",
            extra={
                "event": "patient_registered",
                "returning": returning,
                "patient_id": patient_id,
                "episode_id": episode.id,
                "staff_id": staff_id,
            },
        )
        return episode.id

    key = form_key("registration", f"staff:{staff_id}", form_nonce)
    episode_id = run_once(db, key, now, work).result_id
    with db.session(now=now) as session:
        episode = session.get_one(Episode, episode_id)
        in_use = session.scalar(select(has_rule_in_use(episode.id).label("in_use")))
        template = _default_template(session, episode.unit_id, episode.programme_id)
        from_programme = template is not None and template.programme_id is not None
        earlier = session.scalar(
            select(Episode.id)
            .where(Episode.patient_id == episode.patient_id, Episode.id != episode.id)
            .limit(1)
        )
        return Registered(
            episode.patient_id, episode.id, bool(in_use), from_programme, earlier is not None
        )


def _returning_patient(
    session: Session, unit_id: int, external_id: str | None, returning: bool
) -> int | None:
    """The patient a new episode is for when the record id is already registered in the unit
    and the therapist confirmed it (`ReturningPatient` until then); None for a new patient.
    Refused while the patient has an open episode in the unit."""
    if not external_id:
        return None
    rows = session.execute(
        select(Patient.id, Episode.status, Episode.ended_on)
        .join(Episode, Episode.patient_id == Patient.id)
        .where(Patient.external_id == external_id, Episode.unit_id == unit_id)
        .order_by(Episode.started_on.desc(), Episode.id.desc())
    ).all()
    if not rows:
        return None
    if any(row.status is not EpisodeStatus.ENDED for row in rows):
        raise RegistrationError("external_id", "taken")
    if not returning:
        ended = [row.ended_on for row in rows if row.ended_on is not None]
        raise ReturningPatient(max(ended) if ended else None)
    return int(rows[0].id)
