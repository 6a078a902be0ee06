"""Appointments imported from the patient record system (a file the therapist uploads).

An import runs in one unit where the caller is a therapist and only touches the episodes the
caller treats there; rows for the unit's other patients are refused and listed with their
reason, and nothing of those patients is changed. Importing the same file twice changes
nothing: rows are matched on (episode, external_ref). A row without a match that names the start
of an appointment typed in by hand on the episode (not cancelled) takes that one over
(`ImportSummary.taken_over`) rather than book the session twice. Like a move on the appointments
page (`services.appointments`), every row it changes cancels, in the import's own transaction
(`cancel.cancel_for_appointments`), the open invitations that no longer fit it, so a patient
cannot open a questionnaire for an appointment the file moved or cancelled; the summary holds
the changed ids in `changed_appointment_ids` and the number of questionnaires withdrawn in
`withdrawn`. Times outside `domain.appointment_range`, and a session done or missed whose time
has not come, are row errors (`domain.appointment_import.checked_against_clock`).
A file with a file-level problem (`ParsedFile.file_error`: empty, not text, required columns
missing, ...) imports nothing and touches no row; the summary carries the problem.
Rows whose record id has no active episode in the unit are returned with their row number and
record id (`ImportSummary.unmatched`) for the page to list; like every record id, they are
never written to the log, which counts them only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Episode, EpisodeTherapist, Patient, StaffRole
from fit_platform.domain.appointment_import import (
    AppointmentRecord,
    FileError,
    ParsedFile,
    RowError,
    checked_against_clock,
)
from fit_platform.domain.codes import AppointmentStatus, EpisodeStatus, Role
from fit_platform.domain.send_window import DEFAULT_MIN_ANSWER_WINDOW
from fit_platform.services.access_log import record_bulk_access
from fit_platform.services.appointments import AppointmentNotFound
from fit_platform.services.cancel import cancel_for_appointments

log = logging.getLogger(__name__)


class RefusalReason(StrEnum):
    NOT_YOUR_PATIENT = "not_your_patient"  # an active episode in the unit the caller does not treat


@dataclass(frozen=True)
class RefusedRow:
    row: int
    patient_ref: str
    reason: RefusalReason


@dataclass(frozen=True)
class UnmatchedRow:
    """A row whose record id has no active episode in the unit (unknown, ended, or another
    unit's patient: the same answer for all three, so nothing is told of other units)."""

    row: int
    patient_ref: str


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: FileError | None = None  # set: nothing of the file was imported
    refused: list[RefusedRow] = field(default_factory=list)
    changed_appointment_ids: list[int] = field(default_factory=list)
    withdrawn: int = 0  # open questionnaires of the changed rows that no longer fit them
    # Appointments typed in by hand that a row names at the same start: taken over, not added.
    taken_over: int = 0
    # (row, start) of each row that added, changed or took over an appointment not cancelled:
    # the page asks the therapist to check the ones at night (`appointment_range.is_night`).
    saved: list[tuple[int, dt.datetime]] = field(default_factory=list)
    # Open questionnaires the patients hold that stay open for their moved appointment.
    kept_open: int = 0

    @property
    def unmatched_patients(self) -> list[str]:
        """The record ids without an active episode, each once, in file order."""
        return list(dict.fromkeys(row.patient_ref for row in self.unmatched))


def import_appointments(
    db: Database,
    *,
    staff_id: int,
    unit_id: int,
    parsed: ParsedFile,
    now: dt.datetime,
    min_window: dt.timedelta = DEFAULT_MIN_ANSWER_WINDOW,
) -> ImportSummary:
    """Create or update the file's appointments on the active episodes in `unit_id` that
    `staff_id` treats; rows of the unit's other patients are refused and listed.
    `min_window` is as for `move_appointment`."""
    parsed = checked_against_clock(parsed, now)
    summary = ImportSummary(errors=list(parsed.errors), file_error=parsed.file_error)
    with db.transaction(now=now) as session:
        if (
            session.scalar(
                select(StaffRole.id).where(
                    StaffRole.staff_id == staff_id,
                    StaffRole.role == Role.THERAPIST,
                    StaffRole.unit_id == unit_id,
                )
            )
            is None
        ):
            raise AppointmentNotFound(unit_id)
        if parsed.file_error is not None:
            log.info(
                "appointment file refused",
                extra={
                    "event": "appointment_file_refused",
                    "unit_id": unit_id,
                    "staff_id": staff_id,
                    "problem": parsed.file_error.problem.value,
                },
            )
            return summary
        patient_refs = {record.patient_ref for record in parsed.records}
        # One query for the episodes and one for the existing rows, whatever the file's size.
        # The outer join tells the episodes the caller treats (the episode pages' rule) from the
        # unit's other ones, which the import must not touch.
        episodes: dict[str | None, int] = {}
        not_treated: set[str | None] = set()
        for patient_ref, treated_episode_id, link_id in session.execute(
            select(Patient.external_id, Episode.id, EpisodeTherapist.staff_id)
            .join(Episode, Episode.patient_id == Patient.id)
            .outerjoin(
                EpisodeTherapist,
                (EpisodeTherapist.episode_id == Episode.id)
                & (EpisodeTherapist.staff_id == staff_id),
            )
            .where(
                Patient.external_id.in_(patient_refs),
                Episode.unit_id == unit_id,
                Episode.status == EpisodeStatus.ACTIVE,
            )
        ):
            if link_id is None:
                not_treated.add(patient_ref)
            else:
                episodes[patient_ref] = treated_episode_id
        existing = {
            (row.episode_id, row.external_ref): row
            for row in session.scalars(
                select(Appointment).where(
                    Appointment.episode_id.in_(set(episodes.values())),
                    Appointment.external_ref.is_not(None),
                )
            )
        }
        # A session typed in by hand before the clinic imported it is the same session: the row
        # takes it over (gets the record system's id) instead of adding a second at that time,
        # which the patient would be asked about twice. Cancelled ones are not sessions.
        typed_in = {
            (row.episode_id, row.starts_at): row
            for row in session.scalars(
                select(Appointment).where(
                    Appointment.episode_id.in_(set(episodes.values())),
                    Appointment.external_ref.is_(None),
                    Appointment.status != AppointmentStatus.CANCELLED,
                )
            )
        }
        for record in parsed.records:
            episode_id = episodes.get(record.patient_ref)
            if episode_id is None and record.patient_ref in not_treated:
                summary.refused.append(
                    RefusedRow(record.row, record.patient_ref, RefusalReason.NOT_YOUR_PATIENT)
                )
                continue
            if episode_id is None:
                summary.unmatched.append(UnmatchedRow(record.row, record.patient_ref))
                continue
            row = existing.get((episode_id, record.external_ref))
            if row is None and (row := typed_in.pop((episode_id, record.starts_at), None)):
                row.external_ref = record.external_ref
                existing[(episode_id, record.external_ref)] = row
                summary.taken_over += 1
                if (row.ends_at, row.status) != (record.ends_at, record.status):
                    row.ends_at, row.status = record.ends_at, record.status
                    summary.changed_appointment_ids.append(row.id)
                _saved(summary, record)
            elif row is None:
                row = Appointment(
                    episode_id=episode_id,
                    external_ref=record.external_ref,
                    starts_at=record.starts_at,
                    ends_at=record.ends_at,
                    status=record.status,
                )
                session.add(row)
                existing[(episode_id, record.external_ref)] = row
                summary.created += 1
                _saved(summary, record)
            elif (row.starts_at, row.ends_at, row.status) == (
                record.starts_at,
                record.ends_at,
                record.status,
            ):
                summary.unchanged += 1
            else:
                row.starts_at, row.ends_at, row.status = (
                    record.starts_at,
                    record.ends_at,
                    record.status,
                )
                summary.updated += 1
                summary.changed_appointment_ids.append(row.id)
                _saved(summary, record)
        # The web forms' rule, in this transaction: the old links close with the import.
        changed = cancel_for_appointments(
            session, summary.changed_appointment_ids, now, min_window=min_window
        )
        summary.withdrawn = changed.withdrawn
        summary.kept_open = changed.kept
        # One access-log row per patient whose appointments the file touched.
        touched = sorted(
            {
                (patient_ref, episodes[patient_ref])
                for patient_ref in patient_refs
                if patient_ref in episodes
            }
        )
        patient_of = dict(
            session.execute(
                select(Episode.id, Episode.patient_id).where(
                    Episode.id.in_([episode_id for _ref, episode_id in touched])
                )
            ).all()
        )
        record_bulk_access(
            session,
            staff_id=staff_id,
            reads=[(patient_of[episode_id], unit_id, Role.THERAPIST) for _r, episode_id in touched],
            action="appointment_import",
            now=now,
        )
        log.info(
            "appointments imported",
            extra={
                "event": "appointments_imported",
                "unit_id": unit_id,
                "staff_id": staff_id,
                "appointments_created": summary.created,
                "updated": summary.updated,
                "cancelled": summary.withdrawn,
                "unchanged": summary.unchanged,
                "taken_over": summary.taken_over,
                "unmatched": len(summary.unmatched_patients),
                "refused": len(summary.refused),
                "errors": len(summary.errors),
            },
        )
    return summary


def _saved(summary: ImportSummary, record: AppointmentRecord) -> None:
    if record.status is not AppointmentStatus.CANCELLED:
        summary.saved.append((record.row, record.starts_at))
