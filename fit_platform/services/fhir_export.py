"""FHIR export of an episode: its submitted responses as ``QuestionnaireResponse``s and their
totals as ``Observation``s, in one ``Bundle`` — for the EPR or a regional data platform.

Only a staff member who may see the episode gets it (the same rule as the pre-session view),
and every export writes an access-log row. The patient is referenced by the EPR's record id
under the identifier system from settings; no name, phone number or e-mail leaves. Scores are
the stored ones, and each response points at the instrument version it was answered with.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient, Response
from fit_platform.domain.codes import ResponseStatus
from fit_platform.domain.fhir import (
    canonical_url,
    collection_bundle,
    entry_id,
    patient_reference,
    questionnaire_response,
    total_observation,
)
from fit_platform.domain.instruments import Instrument
from fit_platform.services.access_control import Viewer, access_role, visible_episode
from fit_platform.services.access_log import Action, record_access

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FhirSettings:
    """Where the platform's canonical URLs live and which system names the EPR's ids."""

    base: str
    patient_identifier_system: str


def episode_bundle(
    db: Database,
    viewer: Viewer,
    episode_id: int,
    *,
    instruments: Mapping[str, Instrument],
    settings: FhirSettings,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The episode's Bundle, or None when `viewer` may not see the episode (callers answer
    404 either way, so the answer does not tell whether the episode exists)."""
    with db.transaction(now=now) as session:
        episode = visible_episode(session, viewer, episode_id)
        if episode is None:
            return None
        session.refresh(episode, ["therapists"])
        record_access(
            session,
            staff_id=viewer.staff_id,
            role=access_role(viewer, episode),
            patient_id=episode.patient_id,
            unit_id=episode.unit_id,
            action=Action.FHIR_EXPORT,
            now=now,
        )
        patient = session.get(Patient, episode.patient_id)
        responses = session.scalars(
            select(Response)
            .where(
                Response.episode_id == episode.id,
                Response.status == ResponseStatus.SUBMITTED,
            )
            .options(selectinload(Response.answers))
            .order_by(Response.submitted_at, Response.id)
        ).all()
        entries = _entries(episode, patient, responses, instruments, settings)
    log.info(
        "fhir bundle exported",
        extra={"event": "fhir_export", "episode_id": episode_id, "entries": len(entries)},
    )
    return collection_bundle(entries, timestamp=now.astimezone(dt.UTC).isoformat())


def _entries(
    episode: Episode,
    patient: Patient | None,
    responses: Any,
    instruments: Mapping[str, Instrument],
    settings: FhirSettings,
) -> list[tuple[str, dict[str, Any]]]:
    subject = (
        patient_reference(patient.external_id, settings.patient_identifier_system)
        if patient is not None and patient.external_id
        else None
    )
    entries: list[tuple[str, dict[str, Any]]] = []
    for response in responses:
        instrument = instruments.get(response.instrument_id)
        if instrument is None or response.submitted_at is None:
            continue  # an instrument no longer installed cannot be described; logged below
        authored = response.submitted_at.astimezone(dt.UTC).isoformat()
        response_url = entry_id("response", response.id)
        resource = questionnaire_response(
            instrument,
            {answer.link_id: answer.value for answer in response.answers},
            lang=response.language.value,
            authored=authored,
            subject=subject,
            scores=_stored_scores(response),
            base=settings.base,
            answer_languages={
                answer.link_id: answer.language.value
                for answer in response.answers
                if answer.language is not None
            },
        )
        # The version the patient answered, not the one installed now.
        resource["questionnaire"] = (
            f"{canonical_url(instrument, settings.base)}|{response.instrument_version}"
        )
        entries.append((response_url, resource))
        if response.scorable and response.total is not None:
            entries.append(
                (
                    entry_id("observation", response.id),
                    total_observation(
                        instrument,
                        response.total,
                        effective=authored,
                        derived_from=response_url,
                        subject=subject,
                        base=settings.base,
                    ),
                )
            )
    skipped = sum(1 for r in responses if r.instrument_id not in instruments)
    if skipped:
        log.warning(
            "responses to instruments no longer installed left out of a FHIR export",
            extra={"event": "fhir_export_skipped", "episode_id": episode.id, "count": skipped},
        )
    return entries


def _stored_scores(response: Response) -> dict[str, float | None]:
    scores: dict[str, float | None] = {"total": response.total if response.scorable else None}
    details = response.score_details or {}
    for subscale_id, subscale in (details.get("subscales") or {}).items():
        scores[subscale_id] = subscale.get("score")
    return scores
