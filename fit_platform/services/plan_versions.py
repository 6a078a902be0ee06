"""Every saved version of the patient's crisis plan, for the patient and for staff.

The crisis-plan page promises the patient that every version is kept "so you and your
therapist can see what it said before". This module keeps that promise: the patient reads her
earlier versions and may take one back as the plan (saved as a new version: nothing is ever
changed or deleted), and staff read them under the pre-session rule (the episode's therapists
and the unit's leads, ``visible_episodes``), one access-log row per read
(``crisis_plan_versions_view``). Logs carry ids only, never the words.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import CrisisPlanVersion, Episode, EpisodeTherapist, Patient, Staff
from fit_platform.domain.codes import Role
from fit_platform.domain.own_plan import CrisisPlanText, PlanPart, RecordedBy
from fit_platform.services.access_control import Viewer, visible_episodes
from fit_platform.services.access_log import record_access
from fit_platform.services.own_plan import OwnPlanError, save_crisis_plan

log = logging.getLogger(__name__)

VERSIONS_VIEW = "crisis_plan_versions_view"


@dataclass(frozen=True)
class RestoredFrom:
    """The earlier version whose words a version took back: its number and when it was saved."""

    number: int
    at: dt.datetime


@dataclass(frozen=True)
class PlanVersion:
    """One saved version; ``number`` counts from 1 (the first ever saved)."""

    version_id: int
    number: int
    text: CrisisPlanText
    at: dt.datetime
    recorded_by: RecordedBy
    staff_name: str | None  # who saved it, when it was not the patient
    restored_from: RestoredFrom | None = None  # None when the words were written, not restored

    @property
    def is_empty(self) -> bool:
        return self.text.is_empty


@dataclass(frozen=True)
class Restored:
    """What taking a version back did: ``saved`` is False when its words were the plan
    already (no version added); ``source`` is the version taken back."""

    saved: bool
    source: RestoredFrom


@dataclass(frozen=True)
class StaffPlanVersions:
    episode_id: int
    patient_id: int
    patient_name: str
    versions: tuple[PlanVersion, ...]  # newest first


# Every version of a patient's plan, newest first, with the staff member's name where a staff
# member saved it (columns, built once).
_VERSIONS = (
    select(
        CrisisPlanVersion.id,
        *(getattr(CrisisPlanVersion, part.value) for part in PlanPart),
        CrisisPlanVersion.created_at,
        CrisisPlanVersion.recorded_by,
        Staff.display_name,
        CrisisPlanVersion.restored_from_id,
    )
    .outerjoin(Staff, Staff.id == CrisisPlanVersion.staff_id)
    .where(CrisisPlanVersion.patient_id == bindparam("patient_id"))
    .order_by(CrisisPlanVersion.id.desc())
)


def _versions(session: Session, patient_id: int) -> tuple[PlanVersion, ...]:
    rows = session.connection().execute(_VERSIONS, {"patient_id": patient_id}).all()
    # A version is only ever restored from an earlier one of the same patient: every source
    # is among these rows, so its number and time need no second query.
    sources = {
        row.id: RestoredFrom(len(rows) - index, row.created_at) for index, row in enumerate(rows)
    }
    found = []
    for index, (version_id, *rest) in enumerate(rows):
        *parts, at, recorded_by, staff_name, restored_from_id = rest
        text = CrisisPlanText(
            **{part.value: value for part, value in zip(PlanPart, parts, strict=True)}
        )
        number = len(rows) - index
        restored_from = sources.get(restored_from_id)  # None when written, not restored
        found.append(
            PlanVersion(version_id, number, text, at, recorded_by, staff_name, restored_from)
        )
    return tuple(found)


def patient_versions(db: Database, patient_id: int) -> tuple[PlanVersion, ...]:
    """Every version of the patient's own plan, newest first. For the patient's own page."""
    with db.session() as session:
        return _versions(session, patient_id)


def restore_version(db: Database, patient_id: int, version_id: int, now: dt.datetime) -> Restored:
    """The patient takes an earlier version back as her plan: its words are saved as a new
    version that names the version it was restored from (the history keeps every version,
    the restored one included). Nothing is saved when those words are the plan already.
    ``unknown_version`` when the version is not hers (or empty). Logs ids only."""
    versions = patient_versions(db, patient_id)
    found = next((v for v in versions if v.version_id == version_id), None)
    if found is None or found.is_empty:
        raise OwnPlanError("unknown_version")
    saved = save_crisis_plan(db, patient_id, found.text, now, restored_from_id=version_id)
    if saved:
        log.info(
            "crisis plan version restored",
            extra={"patient_id": patient_id, "restored_version_id": version_id},
        )
    return Restored(saved, RestoredFrom(found.number, found.at))


def staff_versions(
    db: Database, viewer: Viewer, episode_id: int, now: dt.datetime
) -> StaffPlanVersions | None:
    """Every version of the plan of the episode's patient, for a viewer who may see the
    episode (None otherwise: nothing is read or logged). Writes one access-log row
    (``crisis_plan_versions_view``), also when there is no version: the page still shows the
    patient's name and that she has written no plan, and both are hers to see read."""
    mine = select(EpisodeTherapist.episode_id).where(EpisodeTherapist.staff_id == viewer.staff_id)
    with db.transaction(now=now) as session:
        found = session.execute(
            select(
                Episode.patient_id,
                Episode.unit_id,
                Episode.id.in_(mine),
                Patient.display_name,
            )
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.id == episode_id, Episode.id.in_(visible_episodes(viewer)))
        ).first()
        if found is None:
            return None
        patient_id, unit_id, is_mine, patient_name = found
        versions = _versions(session, patient_id)
        record_access(
            session,
            staff_id=viewer.staff_id,
            role=Role.THERAPIST if is_mine else Role.UNIT_LEAD,
            patient_id=patient_id,
            unit_id=unit_id,
            action=VERSIONS_VIEW,
            now=now,
        )
    return StaffPlanVersions(episode_id, patient_id, patient_name, versions)
