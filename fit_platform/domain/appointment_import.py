"""Parse appointment files from the patient record system: CSV, or a FHIR R4 Appointment Bundle.

Pure functions: they turn a file's text into appointment records and row errors, nothing else.
Matching records to episodes and writing them is `services.appointments`. Every record keeps
the source system's id (`external_ref`), so importing the same file again changes nothing.

CSV columns (header required, comma or semicolon separated, UTF-8):
    appointment_id, patient_id, start, end, status
`start`/`end` are ISO 8601; without an offset they are local time in the service's zone.
`status`: planned | booked | done | fulfilled | cancelled | no_show | noshow (blank = planned).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from fit_platform.domain.appointment_range import (
    NonexistentLocalTime,
    is_accepted_time,
    local_to_utc,
)
from fit_platform.domain.codes import AppointmentStatus

MAX_ROWS = 20_000


class ImportProblem(StrEnum):
    MISSING_FIELD = "missing_field"
    BAD_TIME = "bad_time"
    NONEXISTENT_TIME = "nonexistent_time"  # a local time in the spring DST gap
    BAD_STATUS = "bad_status"
    END_BEFORE_START = "end_before_start"
    NOT_AN_APPOINTMENT_BUNDLE = "not_an_appointment_bundle"
    UNREADABLE = "unreadable"
    TOO_MANY_ROWS = "too_many_rows"
    OUT_OF_RANGE = "out_of_range"  # outside domain.appointment_range (see `within_range`)


@dataclass(frozen=True)
class AppointmentRecord:
    external_ref: str
    patient_ref: str
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime | None
    status: AppointmentStatus
    row: int = 0  # as in RowError, so a refused record can be named on the result page


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (CSV) or entry index + 1 (FHIR); 0 = the whole file
    problem: ImportProblem
    field: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    records: tuple[AppointmentRecord, ...]
    errors: tuple[RowError, ...]


_STATUS: Mapping[str, AppointmentStatus] = {
    "": AppointmentStatus.PLANNED,
    "planned": AppointmentStatus.PLANNED,
    "booked": AppointmentStatus.PLANNED,
    "pending": AppointmentStatus.PLANNED,
    "proposed": AppointmentStatus.PLANNED,
    "arrived": AppointmentStatus.PLANNED,
    "checked-in": AppointmentStatus.PLANNED,
    "done": AppointmentStatus.DONE,
    "fulfilled": AppointmentStatus.DONE,
    "cancelled": AppointmentStatus.CANCELLED,
    "entered-in-error": AppointmentStatus.CANCELLED,
    "no_show": AppointmentStatus.NO_SHOW,
    "noshow": AppointmentStatus.NO_SHOW,
}


def parse_time(raw: str, zone: ZoneInfo) -> dt.datetime:
    """ISO 8601 to aware UTC; a time without offset is local time in `zone`.

    A local time that does not exist (the spring DST gap) raises `NonexistentLocalTime`; an
    ambiguous one (autumn) is its first occurrence, summer time (`appointment_range.local_to_utc`).
    """
    value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return local_to_utc(value, zone)
    return value.astimezone(dt.UTC)


def _record(row: int, fields: Mapping[str, str], zone: ZoneInfo) -> AppointmentRecord | RowError:
    for name in ("appointment_id", "patient_id", "start"):
        if not fields.get(name, "").strip():
            return RowError(row, ImportProblem.MISSING_FIELD, name)
    try:
        starts_at = parse_time(fields["start"], zone)
        ends_at = parse_time(fields["end"], zone) if fields.get("end", "").strip() else None
    except NonexistentLocalTime:
        return RowError(row, ImportProblem.NONEXISTENT_TIME, "start/end")
    except (ValueError, OverflowError):  # year 1 or 9999 may not convert to UTC
        return RowError(row, ImportProblem.BAD_TIME, "start/end")
    if ends_at is not None and ends_at < starts_at:
        return RowError(row, ImportProblem.END_BEFORE_START, "end")
    status = _STATUS.get(fields.get("status", "").strip().lower())
    if status is None:
        return RowError(row, ImportProblem.BAD_STATUS, "status")
    return AppointmentRecord(
        external_ref=fields["appointment_id"].strip()[:128],
        patient_ref=fields["patient_id"].strip()[:64],
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        row=row,
    )


def _collect(items: list[AppointmentRecord | RowError]) -> ParsedFile:
    return ParsedFile(
        records=tuple(i for i in items if isinstance(i, AppointmentRecord)),
        errors=tuple(i for i in items if isinstance(i, RowError)),
    )


def within_range(parsed: ParsedFile, now: dt.datetime) -> ParsedFile:
    """`parsed` with each record whose start or end is outside the accepted range turned into an
    OUT_OF_RANGE row error (the parsers know no clock; the service calls this with its `now`)."""
    items: list[AppointmentRecord | RowError] = []
    for record in parsed.records:
        times = (record.starts_at, record.ends_at or record.starts_at)
        if all(is_accepted_time(time, now) for time in times):
            items.append(record)
        else:
            items.append(RowError(record.row, ImportProblem.OUT_OF_RANGE, "start/end"))
    kept = _collect(items)
    errors = sorted(parsed.errors + kept.errors, key=lambda error: error.row)
    return ParsedFile(kept.records, tuple(errors))


def parse_csv(text: str, zone: ZoneInfo) -> ParsedFile:
    text = text.lstrip("\ufeff")  # spreadsheet programs write a byte-order mark
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    items: list[AppointmentRecord | RowError] = []
    try:
        for index, raw in enumerate(reader, start=1):
            if index > MAX_ROWS:
                return ParsedFile((), (RowError(0, ImportProblem.TOO_MANY_ROWS),))
            fields = {
                str(key).strip().lower(): value if isinstance(value, str) else ""
                for key, value in raw.items()
                if key is not None
            }
            items.append(_record(index, fields, zone))
    except csv.Error:
        return ParsedFile((), (RowError(0, ImportProblem.UNREADABLE),))
    return _collect(items)


def _patient_ref(resource: Mapping[str, Any]) -> str:
    participants = resource.get("participant")
    for participant in participants if isinstance(participants, list) else []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        reference = str(actor.get("reference") or "")
        if reference.startswith("Patient/"):
            return reference.removeprefix("Patient/")
        identifier = actor.get("identifier")
        if (
            actor.get("type") == "Patient"
            and isinstance(identifier, dict)
            and identifier.get("value")
        ):
            return str(identifier["value"])
    return ""


def parse_fhir_bundle(text: str, zone: ZoneInfo) -> ParsedFile:
    """A FHIR R4 Bundle of Appointment resources (as exposed by DIPS Arena's FHIR API)."""
    try:
        bundle = json.loads(text)
    except (ValueError, RecursionError):
        return ParsedFile((), (RowError(0, ImportProblem.UNREADABLE),))
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ParsedFile((), (RowError(0, ImportProblem.NOT_AN_APPOINTMENT_BUNDLE),))
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return ParsedFile((), (RowError(0, ImportProblem.NOT_AN_APPOINTMENT_BUNDLE),))
    if len(entries) > MAX_ROWS:
        return ParsedFile((), (RowError(0, ImportProblem.TOO_MANY_ROWS),))
    items: list[AppointmentRecord | RowError] = []
    for index, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
            continue  # bundles may include the Patient resources too
        fields = {
            "appointment_id": str(resource.get("id") or ""),
            "patient_id": _patient_ref(resource),
            "start": str(resource.get("start") or ""),
            "end": str(resource.get("end") or ""),
            "status": str(resource.get("status") or ""),
        }
        items.append(_record(index, fields, zone))
    return _collect(items)
