"""The access log: every read of a patient's data writes one append-only row.

Rows hold ids, the role the reader acted in, the unit and the UTC time; never what was shown.
The patient can see who looked (role and unit, not the person's name) through
:func:`access_history`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fit_platform.db import Database
from fit_platform.db.models import AccessLog, Unit
from fit_platform.domain.codes import Role

log = logging.getLogger(__name__)


class Action:
    """What was read; stored as a short code."""

    PRESESSION_VIEW = "presession_view"
    SCORES_VIEW = "scores_view"  # the page of all of an episode's scores
    CASELOAD = "caseload"
    DECISION_FORM = "decision_form"  # the samvalg form opened (or shown again with errors)
    DECISION_RECORD = "decision_record"  # a samvalg record saved
    SIGNAL_ACKNOWLEDGE = "signal_acknowledge"
    SIGNAL_RESOLVE = "signal_resolve"
    FHIR_EXPORT = "fhir_export"


# Every code the code base writes, wherever its constant lives. `record_access` refuses any
# other, so a new code cannot reach the log without being added here, and a test holds this
# set against the words for staff and for patients (web/access_labels.py): the own-plan read
# was once written with no words on either side.
ACCESS_ACTIONS: frozenset[str] = frozenset(
    {
        Action.PRESESSION_VIEW,
        Action.SCORES_VIEW,
        Action.CASELOAD,
        Action.DECISION_FORM,
        Action.DECISION_RECORD,
        Action.SIGNAL_ACKNOWLEDGE,
        Action.SIGNAL_RESOLVE,
        Action.FHIR_EXPORT,
        "decision_change_form",  # services/samvalg_changes.py
        "decision_correct",
        "decision_withdraw",
        "appointments_view",
        "appointment_change",  # services/appointments.py
        "appointment_import",  # services/appointment_import.py
        "schedule_view",  # services/episode_schedule.py
        "schedule_change",
        "schedule_rule_added",
        "own_days_view",  # services/own_days.py
        "own_days_change",
        "own_plan_view",  # services/own_plan.py
        "crisis_plan_versions_view",  # services/plan_versions.py
        "journal_summary",  # services/journal_summary.py
        "group_view",  # services/group_page.py
        "group_member_picker",
        "ended_list",  # services/ended_episodes.py
        "contact_details_view",  # services/contact_details.py
        "contact_details_correct",
        "consent_restart",  # services/consent_restart.py
        "admin_episode_list",  # services/episodes_admin.py
        "admin_episode_transfer",
        "admin_episode_close",
        "admin_patient_lookup",  # services/patient_data.py
        "admin_patient_export",
        "admin_patient_erase_review",
    }
)


class UnknownAccessAction(ValueError):
    """A code missing from ACCESS_ACTIONS: a programming error, caught by the code's own tests."""


def _known(action: str) -> str:
    if action not in ACCESS_ACTIONS:
        raise UnknownAccessAction(action)
    return action


@dataclass(frozen=True)
class AccessEntry:
    """One read, as the patient may see it: the role and unit, never the reader's name."""

    role: Role
    unit_name: str | None
    action: str
    at: dt.datetime


def record_access(
    session: Session,
    *,
    staff_id: int,
    role: Role,
    patient_id: int,
    unit_id: int | None,
    action: str,
    now: dt.datetime,
) -> None:
    """Add one access-log row in the caller's transaction (a Core INSERT, sent at once: no
    object for the session to track and flush on every page that reads patient data)."""
    session.connection().execute(
        _INSERT_ONE,
        {
            "staff_id": staff_id,
            "role": role,
            "unit_id": unit_id,
            "patient_id": patient_id,
            "action": _known(action),
            "at": now,
        },
    )


# Built once, with its values bound per call, and sent on the session's connection: an
# `insert(...).values(...)` built per read, through the ORM session's statement handling,
# cost a staff page 0.3-0.5 ms (every page that reads patient data writes one row).
_INSERT_ONE = insert(AccessLog.__table__)


def record_bulk_access(
    session: Session,
    *,
    staff_id: int,
    reads: Iterable[tuple[int, int | None, Role]],
    action: str,
    now: dt.datetime,
) -> None:
    """One row per (patient id, unit id, role) in a single INSERT (for lists like the caseload)."""
    _known(action)
    rows = [
        {
            "staff_id": staff_id,
            "role": role,
            "unit_id": unit_id,
            "patient_id": patient_id,
            "action": action,
            "at": now,
        }
        for patient_id, unit_id, role in reads
    ]
    if rows:
        session.execute(insert(AccessLog), rows)


def access_history(db: Database, patient_id: int, *, limit: int = 200) -> list[AccessEntry]:
    """Who read this patient's data, newest first: role, unit and UTC time only."""
    with db.session() as session:
        rows = session.execute(
            select(AccessLog.role, Unit.name, AccessLog.action, AccessLog.at)
            .outerjoin(Unit, Unit.id == AccessLog.unit_id)
            .where(AccessLog.patient_id == patient_id)
            .order_by(AccessLog.at.desc(), AccessLog.id.desc())
            .limit(limit)
        ).all()
    return [AccessEntry(role, unit_name, action, at) for role, unit_name, action, at in rows]
