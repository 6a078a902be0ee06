"""Parse appointment files from the patient record system: CSV, or a FHIR R4 Appointment Bundle.

Pure functions: they turn a file's text into appointment records and row errors, nothing else.
Matching records to episodes and writing them is `services.appointment_import`. Every record keeps
the source system's id (`external_ref`), so importing the same file again changes nothing.

CSV columns (header required, comma or semicolon separated, UTF-8 or Windows-1252):
    appointment_id, patient_id, start, end, status
`start`/`end` are ISO 8601; without an offset they are local time in the service's zone.
`status`: planned | booked | pending | proposed | arrived | checked-in (planned); done |
fulfilled; cancelled | entered-in-error; no_show | noshow (blank = planned; FHIR's words too).
`end` and `status` may be left out.

A problem with the whole file (empty, not text, required columns missing, ...) is one
`FileError` and no records: it is said once, never as a row. A problem with one row is a
`RowError` naming the row and the column (CSV) or element (FHIR) it is about; the other rows
are still read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
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


REQUIRED_COLUMNS = ("appointment_id", "patient_id", "start")
OPTIONAL_COLUMNS = ("end", "status")
# What a missing-columns message lists of the file's own first line; enough to recognise it.
SHOWN_COLUMNS = 12
SHOWN_COLUMN_CHARS = 40


class ImportProblem(StrEnum):
    """What is wrong with one row."""

    MISSING_FIELD = "missing_field"
    BAD_TIME = "bad_time"
    NONEXISTENT_TIME = "nonexistent_time"  # a local time in the spring DST gap
    BAD_STATUS = "bad_status"
    END_BEFORE_START = "end_before_start"
    # An id longer than the platform keeps (`ID_LENGTHS`): cut short, it could be another
    # patient's record id or another appointment's id, and the row would change theirs.
    TOO_LONG = "too_long"
    OUT_OF_RANGE = "out_of_range"  # outside domain.appointment_range (`checked_against_clock`)
    # Done or "did not attend" for a session whose time has not come (`checked_against_clock`):
    # the appointments page refuses the same (`services.appointments.AppointmentNotBegun`).
    NOT_BEGUN = "not_begun"


class FileProblem(StrEnum):
    """What is wrong with the whole file: nothing in it is imported."""

    EMPTY = "empty"  # no bytes, or only blanks and a byte-order mark
    NO_ROWS = "no_rows"  # column names but no appointment rows (or a bundle without any)
    NOT_TEXT = "not_text"  # not UTF-8 or Windows-1252 text: a spreadsheet, an image, UTF-16
    MISSING_COLUMNS = "missing_columns"  # the first line lacks required column names
    NOT_AN_APPOINTMENT_BUNDLE = "not_an_appointment_bundle"
    UNREADABLE = "unreadable"  # text, but neither CSV nor JSON can make sense of it
    TOO_MANY_ROWS = "too_many_rows"


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
    row: int  # 1-based data row after the header (CSV) or entry index + 1 (FHIR)
    problem: ImportProblem
    field: str | None = None  # the CSV column or FHIR element the problem is in


@dataclass(frozen=True)
class FileError:
    problem: FileProblem
    missing: tuple[str, ...] = ()  # MISSING_COLUMNS: the required columns not found
    found: tuple[str, ...] = ()  # MISSING_COLUMNS: the first line's names, shortened


@dataclass(frozen=True)
class ParsedFile:
    records: tuple[AppointmentRecord, ...]
    errors: tuple[RowError, ...]
    file_error: FileError | None = None


def _refused(problem: FileProblem) -> ParsedFile:
    return ParsedFile((), (), FileError(problem))


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
# The words a status may be written as (any case), for the row error that names them.
ACCEPTED_STATUSES = tuple(word for word in _STATUS if word)


# The Norwegian way a patient record system or a spreadsheet writes a local time:
# "15.12.2026 10:00", "5.1.2027 kl. 9.30", seconds allowed. Day first, always (dots, not the
# slashes of a US month-first date).
_NORWEGIAN_TIME = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+|T)(?:kl\.?\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
)


def parse_time(raw: str, zone: ZoneInfo) -> dt.datetime:
    """ISO 8601, or a Norwegian day-first local time (`_NORWEGIAN_TIME`), to aware UTC; a time
    without offset is local time in `zone`.

    A local time that does not exist (the spring DST gap) raises `NonexistentLocalTime`; an
    ambiguous one (autumn) is its first occurrence, summer time (`appointment_range.local_to_utc`).
    """
    text = raw.strip()
    norwegian = _NORWEGIAN_TIME.fullmatch(text)
    if norwegian is not None:
        day, month, year, hour, minute, second = norwegian.groups()
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        )
    else:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return local_to_utc(value, zone)
    return value.astimezone(dt.UTC)


def _time(
    row: int, fields: Mapping[str, str], name: str, zone: ZoneInfo
) -> dt.datetime | RowError | None:
    raw = fields.get(name, "")
    if not raw.strip():
        return None
    try:
        return parse_time(raw, zone)
    except NonexistentLocalTime:
        return RowError(row, ImportProblem.NONEXISTENT_TIME, name)
    except (ValueError, OverflowError):  # year 1 or 9999 may not convert to UTC
        return RowError(row, ImportProblem.BAD_TIME, name)


# The longest id each column may hold: the database's columns (`Appointment.external_ref`,
# `Patient.external_id`).
ID_LENGTHS = {"appointment_id": 128, "patient_id": 64}


def _record(row: int, fields: Mapping[str, str], zone: ZoneInfo) -> AppointmentRecord | RowError:
    for name in REQUIRED_COLUMNS:
        if not fields.get(name, "").strip():
            return RowError(row, ImportProblem.MISSING_FIELD, name)
    for name, longest in ID_LENGTHS.items():
        if len(fields[name].strip()) > longest:
            return RowError(row, ImportProblem.TOO_LONG, name)
    starts_at = _time(row, fields, "start", zone)
    if isinstance(starts_at, RowError):
        return starts_at
    assert starts_at is not None  # a required field, checked above
    ends_at = _time(row, fields, "end", zone)
    if isinstance(ends_at, RowError):
        return ends_at
    if ends_at is not None and ends_at < starts_at:
        return RowError(row, ImportProblem.END_BEFORE_START, "end")
    status = _STATUS.get(fields.get("status", "").strip().lower())
    if status is None:
        return RowError(row, ImportProblem.BAD_STATUS, "status")
    return AppointmentRecord(
        external_ref=fields["appointment_id"].strip(),
        patient_ref=fields["patient_id"].strip(),
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


_HELD_OR_MISSED = frozenset({AppointmentStatus.DONE, AppointmentStatus.NO_SHOW})


def checked_against_clock(parsed: ParsedFile, now: dt.datetime) -> ParsedFile:
    """`parsed` with the rows that cannot be right at `now` turned into row errors (the parsers
    know no clock; the service calls this with its `now`): a start or end outside the accepted
    range (OUT_OF_RANGE), and a session held or missed whose time has not come (NOT_BEGUN: a
    record system's "fulfilled" for next week is an error there, and saved it would sit among
    the planned sessions as done while its questionnaire was still planned)."""
    items: list[AppointmentRecord | RowError] = []
    for record in parsed.records:
        if not is_accepted_time(record.starts_at, now):
            items.append(RowError(record.row, ImportProblem.OUT_OF_RANGE, "start"))
        elif record.ends_at is not None and not is_accepted_time(record.ends_at, now):
            items.append(RowError(record.row, ImportProblem.OUT_OF_RANGE, "end"))
        elif record.status in _HELD_OR_MISSED and record.starts_at > now:
            items.append(RowError(record.row, ImportProblem.NOT_BEGUN, "status"))
        else:
            items.append(record)
    kept = _collect(items)
    errors = sorted(parsed.errors + kept.errors, key=lambda error: error.row)
    return ParsedFile(kept.records, tuple(errors), parsed.file_error)


def read_text(raw: bytes) -> str | FileError:
    """The uploaded bytes as text, or why they are not an export to read.

    UTF-8 (a byte-order mark is allowed), else Windows-1252: what a spreadsheet's plain "CSV"
    writes on a Norwegian Windows machine, and a file that was imported before this check
    existed must still import. No other encoding is guessed. Control characters other than tab
    and line ends mean a binary file (an image, a spreadsheet, a UTF-16 export), even when the
    bytes happen to decode.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:  # five bytes are undefined in Windows-1252
            return FileError(FileProblem.NOT_TEXT)
    if _CONTROL.search(text):
        return FileError(FileProblem.NOT_TEXT)
    text = text.removeprefix("\ufeff")  # spreadsheet programs write a byte-order mark
    if not text.strip():
        return FileError(FileProblem.EMPTY)
    return text


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(names: list[str]) -> tuple[str, ...]:
    """The first line's names as the message shows them: a few, each cut short (a binary-ish or
    header-less first line can be long; the message only has to let the user recognise it)."""
    names = [name.strip() for name in names if name.strip()]
    shown = [name[:SHOWN_COLUMN_CHARS] for name in names[:SHOWN_COLUMNS]]
    return tuple([*shown, "…"] if len(names) > SHOWN_COLUMNS else shown)


def parse_csv(text: str, zone: ZoneInfo) -> ParsedFile:
    """The CSV file's records and row errors, or one file error: an empty file, a header
    without rows, or a first line that lacks required column names (named once, with the
    names the line has). A row whose every field is blank (spreadsheets export trailing
    `;;;;` rows) is no appointment and is skipped; the others keep their place in the count."""
    text = text.lstrip("\ufeff")  # spreadsheet programs write a byte-order mark
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return _refused(FileProblem.EMPTY)
    header = lines[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    # strict: a quotation mark that is never closed is an error, not a field that swallows
    # every row after it (which the default reader returned, so those rows were silently lost).
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    items: list[AppointmentRecord | RowError] = []
    try:
        names = [str(name) for name in reader.fieldnames or []]
        present = {name.strip().lower() for name in names}
        missing = tuple(name for name in REQUIRED_COLUMNS if name not in present)
        if missing:
            return ParsedFile(
                (), (), FileError(FileProblem.MISSING_COLUMNS, missing, _shown(names))
            )
        for index, raw in enumerate(reader, start=1):
            if index > MAX_ROWS:
                return _refused(FileProblem.TOO_MANY_ROWS)
            fields = {
                str(key).strip().lower(): value if isinstance(value, str) else ""
                for key, value in raw.items()
                if key is not None
            }
            if not any(value.strip() for value in fields.values()):
                continue
            items.append(_record(index, fields, zone))
    except csv.Error:
        return _refused(FileProblem.UNREADABLE)
    if not items:
        return _refused(FileProblem.NO_ROWS)
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
        return _refused(FileProblem.UNREADABLE)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return _refused(FileProblem.NOT_AN_APPOINTMENT_BUNDLE)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return _refused(FileProblem.NOT_AN_APPOINTMENT_BUNDLE)
    if len(entries) > MAX_ROWS:
        return _refused(FileProblem.TOO_MANY_ROWS)
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
        record = _record(index, fields, zone)
        if isinstance(record, RowError) and record.field is not None:
            # Name the element the bundle's author can find, not the CSV column behind it.
            element = _FHIR_ELEMENT.get(record.field, record.field)
            record = RowError(record.row, record.problem, element)
        items.append(record)
    if not items:
        return _refused(FileProblem.NO_ROWS)
    return _collect(items)


_FHIR_ELEMENT: Mapping[str, str] = {"appointment_id": "id", "patient_id": "participant"}


def longest_id(field: str) -> int:
    """The longest id a TOO_LONG row error's field (a CSV column or a bundle element) takes."""
    column = {element: name for name, element in _FHIR_ELEMENT.items()}.get(field, field)
    return ID_LENGTHS[column]
