from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fit_platform.domain.appointment_import import (
    SHOWN_COLUMN_CHARS,
    SHOWN_COLUMNS,
    FileError,
    FileProblem,
    ImportProblem,
    ParsedFile,
    checked_against_clock,
    parse_csv,
    parse_fhir_bundle,
    parse_time,
    read_text,
)
from fit_platform.domain.codes import AppointmentStatus

OSLO = ZoneInfo("Europe/Oslo")


def test_csv_rows_become_records_in_utc() -> None:
    parsed = parse_csv(
        "appointment_id;patient_id;start;end;status\n"
        "A1;EPR-1;2026-11-30T10:00;2026-11-30T10:45;booked\n"
        "A2;EPR-1;2026-12-07T10:00+01:00;;cancelled\n",
        OSLO,
    )
    assert parsed.errors == ()
    first, second = parsed.records
    assert first.starts_at == dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    assert first.ends_at == dt.datetime(2026, 11, 30, 9, 45, tzinfo=dt.UTC)
    assert first.status is AppointmentStatus.PLANNED
    assert second.status is AppointmentStatus.CANCELLED and second.ends_at is None


def test_a_norwegian_day_first_time_is_read_as_local_time() -> None:
    """Patient record systems and spreadsheets in Norway write "15.12.2026 10:00"; only ISO
    8601 was read, and every such row was "not a valid date and time"."""
    winter = dt.datetime(2026, 12, 15, 9, 0, tzinfo=dt.UTC)
    for text in ("15.12.2026 10:00", "15.12.2026 kl. 10.00", " 15.12.2026T10:00:00 "):
        assert parse_time(text, OSLO) == winter, text
    assert parse_time("5.6.2026 9:30", OSLO) == dt.datetime(2026, 6, 5, 7, 30, tzinfo=dt.UTC)
    for wrong in ("31.02.2026 10:00", "15.13.2026 10:00", "12/15/2026 10:00", "15.12.26 10:00"):
        with pytest.raises(ValueError):
            parse_time(wrong, OSLO)


def test_local_times_follow_summer_time() -> None:
    assert parse_time("2026-06-15T10:00", OSLO) == dt.datetime(2026, 6, 15, 8, tzinfo=dt.UTC)
    assert parse_time("2026-03-29T03:30", OSLO) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_bad_rows_are_reported_with_row_and_field_and_good_rows_survive() -> None:
    parsed = parse_csv(
        "appointment_id,patient_id,start,end,status\n"
        ",EPR-1,2026-11-30T10:00,,\n"
        "A2,EPR-1,yesterday,,\n"
        "A3,EPR-1,2026-11-30T10:00,2026-11-30T09:00,\n"
        "A4,EPR-1,2026-11-30T10:00,,maybe\n"
        "A5,EPR-1,2026-11-30T10:00,,fulfilled\n",
        OSLO,
    )
    assert [(e.row, e.problem) for e in parsed.errors] == [
        (1, ImportProblem.MISSING_FIELD),
        (2, ImportProblem.BAD_TIME),
        (3, ImportProblem.END_BEFORE_START),
        (4, ImportProblem.BAD_STATUS),
    ]
    assert [r.external_ref for r in parsed.records] == ["A5"]
    assert parsed.records[0].status is AppointmentStatus.DONE


def test_fhir_bundle_appointments_are_read_and_other_resources_ignored() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "EPR-9"}},
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": "dips-123",
                    "status": "booked",
                    "start": "2026-11-30T10:00:00+01:00",
                    "end": "2026-11-30T10:45:00+01:00",
                    "participant": [
                        {"actor": {"reference": "Practitioner/7"}, "status": "accepted"},
                        {"actor": {"reference": "Patient/EPR-9"}, "status": "accepted"},
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": "dips-124",
                    "status": "noshow",
                    "start": "2026-12-07T10:00:00+01:00",
                    "participant": [
                        {"actor": {"type": "Patient", "identifier": {"value": "EPR-9"}}}
                    ],
                }
            },
        ],
    }
    parsed = parse_fhir_bundle(json.dumps(bundle), OSLO)
    assert parsed.errors == ()
    assert [(r.external_ref, r.patient_ref, r.status) for r in parsed.records] == [
        ("dips-123", "EPR-9", AppointmentStatus.PLANNED),
        ("dips-124", "EPR-9", AppointmentStatus.NO_SHOW),
    ]


def test_something_that_is_not_a_bundle_is_one_clear_file_error() -> None:
    unreadable = parse_fhir_bundle("{not json", OSLO)
    assert unreadable.file_error == FileError(FileProblem.UNREADABLE)
    assert unreadable.errors == () and unreadable.records == ()
    parsed = parse_fhir_bundle('{"resourceType": "Patient"}', OSLO)
    assert parsed.file_error == FileError(FileProblem.NOT_AN_APPOINTMENT_BUNDLE)


def test_a_bundle_without_appointments_has_no_rows() -> None:
    only_patients = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}
    for bundle in ({"resourceType": "Bundle"}, only_patients):
        parsed = parse_fhir_bundle(json.dumps(bundle), OSLO)
        assert parsed.file_error == FileError(FileProblem.NO_ROWS)


def test_a_fhir_row_error_names_the_bundle_element_not_the_csv_column() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "Appointment", "start": "2026-11-30T10:00"}}],
    }
    (error,) = parse_fhir_bundle(json.dumps(bundle), OSLO).errors
    assert (error.row, error.problem, error.field) == (1, ImportProblem.MISSING_FIELD, "id")


def test_read_text_takes_utf8_and_names_empty_and_binary_files() -> None:
    assert read_text("\ufeffappointment_id;patient_id\n".encode()) == "appointment_id;patient_id\n"
    assert read_text(b"") == FileError(FileProblem.EMPTY)
    assert read_text(b"\xef\xbb\xbf \r\n\t\n") == FileError(FileProblem.EMPTY)
    assert read_text(b"\x89PNG\r\n\x1a\n") == FileError(FileProblem.NOT_TEXT)
    assert read_text(b"PK\x03\x04\x14\x00") == FileError(FileProblem.NOT_TEXT)  # .xlsx
    assert read_text("start\n".encode("utf-16")) == FileError(FileProblem.NOT_TEXT)
    assert read_text(b"\x81\x8d\x8f") == FileError(FileProblem.NOT_TEXT)  # not Windows-1252


def test_a_windows_1252_export_is_read_as_before() -> None:
    raw = "appointment_id;patient_id;start;behandler\nA1;EPR-1;2026-11-30T10:00;Ødegård\n"
    text = read_text(raw.encode("cp1252"))
    assert isinstance(text, str) and "Ødegård" in text
    assert [record.external_ref for record in parse_csv(text, OSLO).records] == ["A1"]


def test_csv_file_errors_are_named_once_and_no_row_is_read() -> None:
    assert parse_csv(" \n\n", OSLO).file_error == FileError(FileProblem.EMPTY)
    header = "appointment_id;patient_id;start;end;status\n"
    assert parse_csv(header, OSLO).file_error == FileError(FileProblem.NO_ROWS)
    assert parse_csv(header + ";;;;\n\n", OSLO).file_error == FileError(FileProblem.NO_ROWS)
    parsed = parse_csv("Timenr;Pasient;Start\nT-1;EPR-1;2026-11-30T10:00\n", OSLO)
    missing, found = ("appointment_id", "patient_id"), ("Timenr", "Pasient", "Start")
    assert parsed.file_error == FileError(FileProblem.MISSING_COLUMNS, missing, found)
    assert parsed.errors == () and parsed.records == ()


def test_a_long_first_line_is_shortened_in_the_missing_columns_error() -> None:
    parsed = parse_csv(",".join("x" * 100 for _ in range(30)) + "\n1\n", OSLO)
    assert parsed.file_error is not None
    assert parsed.file_error.found == ("x" * SHOWN_COLUMN_CHARS,) * SHOWN_COLUMNS + ("…",)


def test_blank_rows_are_skipped_and_the_others_keep_their_row_number() -> None:
    parsed = parse_csv(
        "appointment_id,patient_id,start\n,,\nA2,EPR-1,2026-11-30T10:00\n,EPR-1,\n", OSLO
    )
    assert [record.row for record in parsed.records] == [2]
    assert [(error.row, error.field) for error in parsed.errors] == [(3, "appointment_id")]


@given(st.text(max_size=2000))
def test_any_text_parses_to_records_or_errors_never_an_exception(text: str) -> None:
    for parsed in (parse_csv(text, OSLO), parse_fhir_bundle(text, OSLO)):
        # A file error stands alone: nothing of such a file is imported.
        assert parsed.file_error is None or (parsed.records == () and parsed.errors == ())
        assert all(error.row >= 1 and error.field for error in parsed.errors)


@given(st.binary(max_size=500))
def test_any_bytes_are_text_or_one_file_error(raw: bytes) -> None:
    text = read_text(raw)
    assert isinstance(text, str) or text.problem in (FileProblem.EMPTY, FileProblem.NOT_TEXT)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "entry",
                    "resource",
                    "id",
                    "start",
                    "end",
                    "status",
                    "participant",
                    "actor",
                    "reference",
                    "type",
                    "identifier",
                    "value",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(_json)
def test_any_json_shape_parses_to_records_or_errors_never_an_exception(value: object) -> None:
    parse_fhir_bundle(json.dumps({"resourceType": "Bundle", "entry": value}), OSLO)
    parse_fhir_bundle(json.dumps(value), OSLO)


def test_dates_in_year_1_or_9999_are_a_row_error_not_a_crash() -> None:
    parsed = parse_csv(
        "appointment_id,patient_id,start,end,status\n"
        "A1,P1,0001-01-01T00:00,,\n"
        "A2,P1,9999-12-31T23:30-05:00,,\n",
        OSLO,
    )
    assert parsed.records == ()
    assert [error.problem for error in parsed.errors] == [ImportProblem.BAD_TIME] * 2


def test_records_outside_the_accepted_range_become_row_errors() -> None:
    now = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
    parsed = parse_csv(
        "appointment_id,patient_id,start,end,status\n"
        "A1,P1,2020-01-01T10:00,,\n"
        "A2,P1,2026-12-01T10:00,,\n"
        "A3,P1,2026-12-01T10:00,2040-01-01T10:00,\n"
        "A4,P1,2035-01-01T10:00,,\n"
        "A5,P1,not a time,,\n",
        OSLO,
    )
    checked = checked_against_clock(parsed, now)
    assert [record.external_ref for record in checked.records] == ["A2"]
    assert [(error.row, error.problem, error.field) for error in checked.errors] == [
        (1, ImportProblem.OUT_OF_RANGE, "start"),
        (3, ImportProblem.OUT_OF_RANGE, "end"),
        (4, ImportProblem.OUT_OF_RANGE, "start"),
        (5, ImportProblem.BAD_TIME, "start"),
    ]


def test_a_quotation_mark_that_is_never_closed_makes_the_file_unreadable() -> None:
    header = "appointment_id,patient_id,start\n"
    for text in (
        header + 'A1,EPR-1,2026-11-30T10:00\n"A2,EPR-1,2026-12-01T10:00\nA3,EPR-1,2026-12-02\n',
        header + 'A1,"EPR-1,2026-11-30T10:00\nA2,EPR-1,2026-12-01T10:00\n',
    ):
        assert parse_csv(text, OSLO) == ParsedFile((), (), FileError(FileProblem.UNREADABLE))
    # A quote inside a field, or a quoted field with a comma, is ordinary CSV.
    ordinary = header + 'A"1,EPR-1,2026-11-30T10:00\n"A,2",EPR-1,2026-12-01T10:00\n'
    parsed = parse_csv(ordinary, OSLO)
    assert [record.external_ref for record in parsed.records] == ['A"1', "A,2"]


def test_a_session_done_or_missed_before_its_time_becomes_a_row_error() -> None:
    now = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
    parsed = parse_csv(
        "appointment_id,patient_id,start,end,status\n"
        "A1,P1,2026-12-01T10:00,,fulfilled\n"
        "A2,P1,2026-12-01T10:00,,noshow\n"
        "A3,P1,2026-12-01T10:00,,cancelled\n"
        "A4,P1,2026-11-24T10:00,,fulfilled\n"
        "A5,P1,2026-11-25T10:00,,done\n"  # 10:00 Oslo is 09:00 UTC: begun at `now`
        "A6,P1,2026-11-25T10:01,,done\n",
        OSLO,
    )
    checked = checked_against_clock(parsed, now)
    assert [record.external_ref for record in checked.records] == ["A3", "A4", "A5"]
    assert [(error.row, error.problem, error.field) for error in checked.errors] == [
        (1, ImportProblem.NOT_BEGUN, "status"),
        (2, ImportProblem.NOT_BEGUN, "status"),
        (6, ImportProblem.NOT_BEGUN, "status"),
    ]


def test_an_id_longer_than_the_platform_keeps_is_a_row_error_not_cut_short() -> None:
    """Cut to 64 characters, a longer record id could be another patient's (and cut to 128, an
    appointment id another appointment's): the row would change theirs."""
    ok_patient, ok_appointment = "P" * 64, "A" * 128
    parsed = parse_csv(
        "appointment_id,patient_id,start\n"
        f"{ok_appointment},{ok_patient},2026-12-01T10:00\n"
        f"A2,{ok_patient}X,2026-12-01T10:00\n"
        f"{ok_appointment}X,P1,2026-12-01T10:00\n",
        OSLO,
    )
    assert [(r.external_ref, r.patient_ref) for r in parsed.records] == [
        (ok_appointment, ok_patient)
    ]
    assert [(error.row, error.problem, error.field) for error in parsed.errors] == [
        (2, ImportProblem.TOO_LONG, "patient_id"),
        (3, ImportProblem.TOO_LONG, "appointment_id"),
    ]
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": "A" * 129,
                    "start": "2026-12-01T10:00:00+01:00",
                    "participant": [{"actor": {"reference": "Patient/P1"}}],
                }
            }
        ],
    }
    [error] = parse_fhir_bundle(json.dumps(bundle), OSLO).errors
    assert (error.problem, error.field) == (ImportProblem.TOO_LONG, "id")
