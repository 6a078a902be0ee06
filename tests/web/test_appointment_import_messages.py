"""What the appointment import page tells the therapist when a file is wrong.

Each test uploads a file through the import page, as the therapist does, and reads the page
they get back: a file-level problem once, in words, never as "Row 0"; a row problem with its
row and column; record ids without an active episode listed with their rows and never logged.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Appointment, Patient
from tests.support.appointment_upload import upload_appointments
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in

OSLO = ZoneInfo("Europe/Oslo")
HEADER = "appointment_id,patient_id,start,end,status\n"
# The first bytes of a PNG image: not text in any encoding a CSV export uses.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _day(days_from_today: int) -> str:
    return (dt.datetime.now(OSLO).date() + dt.timedelta(days=days_from_today)).isoformat()


def _ref(db: Database, world: World) -> str:
    with db.session() as session:
        patient = session.get(Patient, world.patient_id)
        assert patient is not None and patient.external_id
        return patient.external_id


def _xlsx() -> bytes:
    """A spreadsheet saved as .xlsx (a zip archive), uploaded instead of its CSV export."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        sheet = "<worksheet>" + "<row/>" * 200 + "</worksheet>"
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def _upload(
    client: FlaskClient, unit_id: int, content: bytes, name: str, lang: str = "en"
) -> tuple[int, str]:
    status, html = upload_appointments(client, unit_id, content, name, lang)
    return status, unescape(html)


def _saved(db: Database, world: World) -> list[tuple[str | None, dt.datetime]]:
    with db.session() as session:
        return [
            (row.external_ref, row.starts_at)
            for row in session.scalars(
                select(Appointment)
                .where(Appointment.episode_id == world.episode_id)
                .order_by(Appointment.external_ref)
            )
        ]


@pytest.fixture
def world(client: FlaskClient) -> World:
    world = make_world(_db(client))
    log_in(client, world.therapist_username, PASSWORD)
    return world


def _import_one(client: FlaskClient, world: World) -> list[tuple[str | None, dt.datetime]]:
    """One appointment imported first, so a later bad file can be seen to keep it."""
    db = _db(client)
    good = f"{HEADER}K-1,{_ref(db, world)},{_day(7)}T10:00,,booked\n".encode()
    status, html = _upload(client, world.unit_id, good, "good.csv")
    assert status == 200 and "New appointments: 1" in html
    saved = _saved(db, world)
    assert [ref for ref, _start in saved] == ["K-1"]
    return saved


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty: it has no appointments."),
        (b"\xef\xbb\xbf  \n\n", "The file is empty: it has no appointments."),
        (HEADER.encode(), "The file has the column names but no rows: it has no appointments."),
        (
            (HEADER + ",,,,\n , ,,,\n\n").encode(),
            "The file has the column names but no rows: it has no appointments.",
        ),
    ],
    ids=["zero-bytes", "bom-and-blank-lines", "header-only", "header-and-blank-rows"],
)
def test_a_file_without_appointments_says_so_and_keeps_what_was_saved(
    client: FlaskClient, world: World, content: bytes, message: str
) -> None:
    before = _import_one(client, world)
    status, html = _upload(client, world.unit_id, content, "timeliste.csv")
    assert status == 422
    assert html.count(message) == 2  # in the summary at the top and on the file field
    assert "Nothing was imported." in html
    assert "New appointments: 0" not in html
    assert "Row 0" not in html
    assert _saved(_db(client), world) == before


@pytest.mark.parametrize(
    ("content", "name"),
    [(PNG, "skjermbilde.png"), (_xlsx(), "timeliste.xlsx"), (b"a,b\n\x00\x01\x02\x03\n", "x.csv")],
    ids=["png", "xlsx", "nul-bytes"],
)
def test_a_binary_file_is_named_once_as_not_a_csv_text_file(
    client: FlaskClient, world: World, content: bytes, name: str
) -> None:
    before = _import_one(client, world)
    status, html = _upload(client, world.unit_id, content, name)
    assert status == 422
    assert "The file is not a CSV text file" in html
    # Windows-1252 is read too (a spreadsheet's plain "CSV"): the message names both.
    assert "it is not text in UTF-8 or Windows-1252" in html
    assert "not UTF-8 text" not in html
    assert (
        "Export the appointments from the patient record system as CSV (UTF-8 or Windows-1252)"
        in html
    )
    assert "a required field is empty" not in html
    assert "Row " not in html
    assert _saved(_db(client), world) == before


def test_missing_columns_are_named_once_with_the_columns_the_file_has(
    client: FlaskClient, world: World
) -> None:
    ref = _ref(_db(client), world)
    csv = "Timenr;Pasient;start\n" + "".join(f"T-{n};{ref};{_day(n)}T10:00\n" for n in range(1, 6))
    status, html = _upload(client, world.unit_id, csv.encode(), "dips.csv")
    assert status == 422
    assert "The file lacks the required columns: appointment_id, patient_id." in html
    assert "Its first line has: Timenr, Pasient, start." in html
    assert html.count("appointment_id, patient_id.") == 2  # summary and field, not per row
    assert "Row " not in html and "a required field is empty" not in html
    assert _saved(_db(client), world) == []


def test_a_file_without_a_header_line_is_told_to_start_with_the_column_names(
    client: FlaskClient, world: World
) -> None:
    ref = _ref(_db(client), world)
    csv = f"K-1,{ref},{_day(3)}T10:00,,booked\nK-2,{ref},{_day(4)}T10:00,,booked\n"
    status, html = _upload(client, world.unit_id, csv.encode(), "no-header.csv")
    assert status == 422
    assert "The file lacks the required columns: appointment_id, patient_id, start." in html
    assert "The first line must name the columns" in html
    assert _saved(_db(client), world) == []


def test_each_row_error_names_its_row_and_column(client: FlaskClient, world: World) -> None:
    ref = _ref(_db(client), world)
    csv = (
        HEADER
        + f"K-1,,{_day(3)}T10:00,,\n"
        + f"K-2,{ref},{_day(3)}T10:00,yesterday,\n"
        + f"K-3,{ref},{_day(3)}T10:00,{_day(2)}T10:00,\n"
        + f"K-4,{ref},{_day(3)}T10:00,,maybe\n"
        + f"K-5,{ref},{_day(3)}T10:00,{_day(9 * 365)}T10:00,\n"
        + f"K-6,{ref},{_day(4)}T10:00,,booked\n"
    )
    status, html = _upload(client, world.unit_id, csv.encode(), "rows.csv")
    assert status == 200
    assert "New appointments: 1" in html
    assert "Row 1, column patient_id: a required field is empty" in html
    assert "Row 2, column end: the time is not a valid date and time" in html
    assert "Row 3, column end: the end is before the start" in html
    # The words it takes, so the person importing can fix the file without the manual.
    assert (
        "Row 4, column status: the status is not recognised: write one of planned, booked, "
        "pending, proposed, arrived, checked-in, done, fulfilled, cancelled, entered-in-error, "
        "no_show, noshow, or leave it empty for a planned appointment"
    ) in html
    assert "Row 5, column end: the date is more than 2 years back" in html
    assert "Row 1 is the first row after the column names." in html


def test_a_fhir_bundle_row_error_names_the_element(client: FlaskClient, world: World) -> None:
    bundle = (
        '{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Appointment",'
        ' "id": "d-1", "start": "2026-13-45T10:00:00",'
        f' "participant": [{{"actor": {{"reference": "Patient/{_ref(_db(client), world)}"}}}}]'
        "}}]}"
    )
    status, html = _upload(client, world.unit_id, bundle.encode(), "bundle.json")
    assert status == 200
    assert "Row 1, field start: the time is not a valid date and time" in html


def test_a_json_file_that_is_not_a_bundle_is_a_file_error_not_row_0(
    client: FlaskClient, world: World
) -> None:
    status, html = _upload(client, world.unit_id, b'{"resourceType": "Patient"}', "p.json")
    assert status == 422
    assert "The file is JSON but not a FHIR Bundle of appointments." in html
    assert "Row 0" not in html


def test_record_ids_without_an_active_episode_are_listed_with_their_rows_and_not_logged(
    client: FlaskClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(client)
    elsewhere = make_world(db)  # an active episode, but in another unit
    ref, other_ref = _ref(db, world), _ref(db, elsewhere)
    csv = (
        HEADER
        + f"K-1,{ref},{_day(3)}T10:00,,\n"
        + f"K-2,EPR-UNKNOWN-4711,{_day(3)}T11:00,,\n"
        + f"K-3,{other_ref},{_day(3)}T12:00,,\n"
        + f"K-4,EPR-UNKNOWN-4711,{_day(4)}T11:00,,\n"
    )
    with caplog.at_level(logging.INFO):
        status, html = _upload(client, world.unit_id, csv.encode(), "mixed.csv")
    assert status == 200
    assert "New appointments: 1" in html
    assert "Patients without an active episode in this unit: 2" in html
    assert "Rows not imported: no active episode in this unit for the record id" in html
    assert "Record id EPR-UNKNOWN-4711: rows 2, 4" in html
    # A patient of another unit reads exactly like an unknown id: nothing about other units.
    assert f"Record id {other_ref}: row 3" in html
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "appointments imported" in logged
    for record_id in ("EPR-UNKNOWN-4711", ref, other_ref):
        assert record_id not in logged


@pytest.mark.parametrize(
    ("lang", "empty", "not_text", "columns", "unmatched"),
    [
        (
            "nb",
            "Filen er tom: den har ingen timer.",
            "Filen er ikke en CSV-tekstfil: den er ikke tekst i UTF-8 eller Windows-1252",
            "Filen mangler de påkrevde kolonnene: appointment_id, patient_id.",
            "Journal-id EPR-UNKNOWN-1: rad 1",
        ),
        (
            "nn",
            "Fila er tom: ho har ingen timar.",
            "Fila er ikkje ei CSV-tekstfil: ho er ikkje tekst i UTF-8 eller Windows-1252",
            "Fila manglar dei påkravde kolonnane: appointment_id, patient_id.",
            "Journal-id EPR-UNKNOWN-1: rad 1",
        ),
    ],
)
def test_the_messages_are_translated(
    client: FlaskClient,
    world: World,
    lang: str,
    empty: str,
    not_text: str,
    columns: str,
    unmatched: str,
) -> None:
    assert empty in _upload(client, world.unit_id, b"", "a.csv", lang)[1]
    assert not_text in _upload(client, world.unit_id, PNG, "a.png", lang)[1]
    assert columns in _upload(client, world.unit_id, b"start\nx\n", "a.csv", lang)[1]
    csv = f"{HEADER}K-1,EPR-UNKNOWN-1,{_day(3)}T10:00,,\n".encode()
    assert unmatched in _upload(client, world.unit_id, csv, "a.csv", lang)[1]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(
            st.sampled_from(["appointment_id", "patient_id", "start", "end", "status", "x", ""]),
            max_size=6,
        ).map(lambda names: (";".join(names) + "\n1;2;3;4;5\n").encode()),
    )
)
def test_any_uploaded_bytes_get_a_page_never_a_500(client: FlaskClient, content: bytes) -> None:
    if not hasattr(client, "_world"):
        client._world = make_world(_db(client))  # type: ignore[attr-defined]
        log_in(client, client._world.therapist_username, PASSWORD)  # type: ignore[attr-defined]
    status, html = _upload(client, client._world.unit_id, content, "any.csv")  # type: ignore[attr-defined]
    assert status in (200, 422)
    assert "Row 0" not in html


def test_a_windows_1252_export_with_norwegian_letters_still_imports(
    client: FlaskClient, world: World
) -> None:
    ref = _ref(_db(client), world)
    csv = f"appointment_id;patient_id;start;behandler\nK-1;{ref};{_day(3)}T10:00;Ødegård\n"
    status, html = _upload(client, world.unit_id, csv.encode("cp1252"), "excel.csv")
    assert status == 200
    assert "New appointments: 1" in html
    assert [ref_ for ref_, _start in _saved(_db(client), world)] == ["K-1"]


def test_a_file_over_the_forms_limit_but_under_two_megabytes_is_imported(
    client: FlaskClient, world: World
) -> None:
    """The app cut every request off at 256 kB, so the import's own limit (2 MB, 20 000 rows)
    was never reached: a file of 8 500 rows got "Too much data, shorten the text"."""
    ref = _ref(_db(client), world)
    padding = (" " * 60 + ",,,,\n") * 6_000  # blank rows a spreadsheet leaves: skipped
    content = f"{HEADER}K-1,{ref},{_day(7)}T10:00,,booked\n{padding}".encode()
    assert 256 * 1024 < len(content) < 2 * 1024 * 1024
    status, html = _upload(client, world.unit_id, content, "timeliste.csv")
    assert status == 200 and "New appointments: 1" in html
    assert [ref for ref, _start in _saved(_db(client), world)] == ["K-1"]


@pytest.mark.parametrize("megabytes", [3, 5], ids=["on-the-page", "on-the-error-page"])
def test_a_file_over_two_megabytes_is_refused_with_the_limit_and_keeps_what_was_saved(
    client: FlaskClient, world: World, megabytes: int
) -> None:
    before = _import_one(client, world)
    content = (HEADER + ",,,,\n" * (megabytes * 1024 * 1024 // 5)).encode()
    status, html = _upload(client, world.unit_id, content, "timeliste.csv")
    message = (
        "The file is too large (at most 2 MB). Nothing was imported. Split it into smaller"
        " files and import each."
    )
    # Up to 4 MB the page itself says it, on the file field; above, the error page does.
    assert (status, message in html) == ((422, True) if megabytes == 3 else (413, True))
    assert "Shorten the text" not in html
    if megabytes == 5:  # the error page leads back to the import, not to the start page
        assert '<a href="/clinician/appointments/import">Back to the form</a>' in html
    assert _saved(_db(client), world) == before


def test_other_pages_keep_the_small_body_limit(client: FlaskClient, world: World) -> None:
    page = client.get("/clinician/register").get_data(as_text=True)
    response = client.post(
        "/clinician/register",
        data={"csrf_token": csrf_token(page), "display_name": "x" * (300 * 1024)},
    )
    assert response.status_code == 413
    assert "Shorten the text and try again." in response.get_data(as_text=True)


def test_a_quotation_mark_never_closed_refuses_the_file_not_the_rows_after_it(
    client: FlaskClient, world: World
) -> None:
    """The reader took everything after a stray quote as one field: row 2 was "missing its
    patient" and rows 3 and 4 vanished without a word, while row 1 was imported."""
    before = _import_one(client, world)
    ref = _ref(_db(client), world)
    content = (
        f"{HEADER}U1,{ref},{_day(8)}T10:00,,booked\n"
        f'"U2,{ref},{_day(9)}T10:00,,booked\n'
        f"U3,{ref},{_day(10)}T10:00,,booked\n"
    ).encode()
    status, html = _upload(client, world.unit_id, content, "timeliste.csv")
    assert status == 422
    assert html.count("The file could not be read as CSV (perhaps a quotation mark") == 2
    assert "New appointments" not in html
    assert _saved(_db(client), world) == before


def test_a_norwegian_export_with_day_first_times_is_imported(
    client: FlaskClient, world: World
) -> None:
    ref = _ref(_db(client), world)
    day = dt.date.fromisoformat(_day(7))
    content = (
        "appointment_id;patient_id;start;end;status\n"
        f"N-1;{ref};{day:%d.%m.%Y} 10:00;{day:%d.%m.%Y} 10:45;booked\n"
        f"N-2;{ref};{day:%d.%m.%Y} 25:00;;booked\n"
    ).encode()
    status, html = _upload(client, world.unit_id, content, "timeliste.csv")
    assert status == 200 and "New appointments: 1" in html
    starts = dt.datetime.combine(day, dt.time(10), OSLO).astimezone(dt.UTC)
    assert [(ref, start.astimezone(dt.UTC)) for ref, start in _saved(_db(client), world)] == [
        ("N-1", starts)
    ]
    # A wrong one says which forms are read.
    assert (
        "Row 2, column start: the time is not a valid date and time (write it as"
        " 2026-12-15T10:00 or 15.12.2026 10:00)"
    ) in html
