"""The therapist's ended courses of treatment: a way back to an episode after its close.

A closed episode leaves every caseload, and its old therapist still reads it (its pre-session
view, scores, journal summary and FHIR download), but only by a typed address: a walk found
no page leading there. This list is that page: the episodes the staff member was given
(responsible or shared, `EpisodeTherapist`) that have ended, the latest end first. Names are
read, so each row is access-logged like the caseload (`ended_list`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, EpisodeTherapist, Patient, Unit
from fit_platform.domain.codes import EpisodeStatus, Role
from fit_platform.services.access_log import record_bulk_access

ENDED_LIST = "ended_list"
# The newest ended courses; older ones are in the patient record system's own history.
SHOWN = 200


@dataclass(frozen=True)
class EndedEpisode:
    episode_id: int
    patient_name: str
    unit_name: str
    started_on: dt.date
    ended_on: dt.date | None


def ended_episodes(db: Database, *, staff_id: int, now: dt.datetime) -> list[EndedEpisode]:
    """The ended episodes `staff_id` was given, latest end first (at most `SHOWN`)."""
    with db.transaction(now=now) as session:
        rows = session.execute(
            select(
                Episode.id,
                Episode.patient_id,
                Episode.unit_id,
                Episode.started_on,
                Episode.ended_on,
                Patient.display_name,
                Unit.name,
            )
            .join(EpisodeTherapist, EpisodeTherapist.episode_id == Episode.id)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(Unit, Unit.id == Episode.unit_id)
            .where(
                EpisodeTherapist.staff_id == staff_id,
                Episode.status == EpisodeStatus.ENDED,
            )
            .order_by(Episode.ended_on.desc(), Episode.id.desc())
            .limit(SHOWN)
        ).all()
        record_bulk_access(
            session,
            staff_id=staff_id,
            reads=[(row.patient_id, row.unit_id, Role.THERAPIST) for row in rows],
            action=ENDED_LIST,
            now=now,
        )
    return [
        EndedEpisode(row.id, row.display_name, row.name, row.started_on, row.ended_on)
        for row in rows
    ]
