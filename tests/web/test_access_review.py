"""Access review: the admin's search of the access log, the flag for reads outside the
reader's own patients, the audited CSV export, the patient's own list (one row per reading
session), and admin pages that never show a patient's answers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from fit_platform.db import Database
from fit_platform.db.models import AdminAudit, Episode, ResponseComment
from fit_platform.domain.codes import CommentSource, Role
from fit_platform.domain.signals import SignalCode
from fit_platform.services.access_log import record_access, record_bulk_access
from fit_platform.services.schedule_templates import create_template
from tests.support.clinical import add_signal
from tests.support.factories import PASSWORD, World, add_history, make_staff, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import Clock


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _external_id(db: Database, patient_id: int) -> str:
    from fit_platform.db.models import Patient as PatientRow

    with db.session() as session:
        value = session.get_one(PatientRow, patient_id).external_id
    assert value
    return value


def _rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


def _therapist_changed_appointments(db: Database, world: World, at: dt.datetime) -> None:
    """One access-log row: the therapist changed the patient's appointments at `at`."""
    with db.transaction() as session:
        record_access(
            session,
            staff_id=world.therapist_id,
            role=Role.THERAPIST,
            patient_id=world.patient_id,
            unit_id=world.unit_id,
            action="appointment_change",
            now=at,
        )


def _answered_through_the_link(client: FlaskClient, db: Database, world: World) -> None:
    """The patient answers a PHQ-9 through their link; `client` is then on their pages."""
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_all("phq9", "0")
    patient.finish()


def test_reads_outside_the_readers_own_patients_are_flagged_and_searchable(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    lead = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="Lea Leder")
    admin = make_staff(db, (Role.ADMIN, None))
    # The patient's own therapist and the unit lead both open the pre-session view.
    for username in (world.therapist_username, lead.username):
        reader = app.test_client()
        log_in(reader, username, PASSWORD)
        assert reader.get(f"/clinician/episodes/{world.episode_id}").status_code == 200
    other = make_world(db)
    record = _external_id(db, world.patient_id)

    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    html = client.get(f"/admin/access-log?lang=en&patient={record}").get_data(as_text=True)
    assert _rows(html) == 2
    assert "Lea Leder" in html and "Unit lead" in html
    assert html.count('<span class="flag">Outside own patients</span>') == 1
    flagged = client.get(f"/admin/access-log?lang=en&patient={record}&flagged=y").get_data(
        as_text=True
    )
    assert _rows(flagged) == 1 and "Lea Leder" in flagged
    by_staff = client.get(f"/admin/access-log?lang=en&staff={lead.id}").get_data(as_text=True)
    assert _rows(by_staff) == 1
    assert _external_id(db, other.patient_id) not in by_staff

    # A therapist reading after the episode ended is flagged too.
    with db.transaction() as session:
        session.execute(
            update(Episode)
            .where(Episode.id == world.episode_id)
            .values(ended_on=dt.date(2026, 7, 1))
        )
    flagged = client.get(f"/admin/access-log?lang=en&patient={record}&flagged=y").get_data(
        as_text=True
    )
    assert _rows(flagged) == 2


def test_the_date_range_and_pages_and_bad_dates(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    admin = make_staff(db, (Role.ADMIN, None))
    with db.transaction() as session:
        for day in (
            dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC),
        ):
            record_access(
                session,
                staff_id=world.therapist_id,
                role=Role.THERAPIST,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action="presession_view",
                now=day,
            )
        record_bulk_access(
            session,
            staff_id=world.therapist_id,
            reads=[(world.patient_id, world.unit_id, Role.THERAPIST)] * 58,
            action="caseload",
            now=dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC),
        )
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    october = client.get("/admin/access-log?lang=en&start=2026-10-01&end=2026-10-31")
    assert _rows(october.get_data(as_text=True)) == 1
    first = client.get("/admin/access-log?lang=en&start=2026-11-01").get_data(as_text=True)
    assert "59 entries match" in first and _rows(first) == 50
    assert (
        "Older entries" in first
        and "start=2026-11-01" in first.split("Older entries")[0].rsplit("href=", 1)[1]
    )
    second = client.get("/admin/access-log?lang=en&start=2026-11-01&page=2").get_data(as_text=True)
    assert _rows(second) == 9 and "Newer entries" in second
    bad = client.get("/admin/access-log?lang=nb&start=2026-13-45")
    assert bad.status_code == 400
    assert "Skriv en dato som 31.12.2026." in bad.get_data(as_text=True)
    backwards = client.get("/admin/access-log?lang=en&start=2026-11-02&end=2026-11-01")
    assert backwards.status_code == 400
    assert "The end date is before the start date." in backwards.get_data(as_text=True)
    huge = client.get("/admin/access-log?lang=en&staff=99999999999999999999&page=9999999999")
    assert huge.status_code == 200


def test_the_csv_export_holds_the_filtered_reads_and_is_itself_audited(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    sneaky = make_staff(db, (Role.UNIT_LEAD, world.unit_id), name="=HYPERLINK(1)")
    admin = make_staff(db, (Role.ADMIN, None))
    with db.transaction() as session:
        for staff_id, role in ((world.therapist_id, Role.THERAPIST), (sneaky.id, Role.UNIT_LEAD)):
            record_access(
                session,
                staff_id=staff_id,
                role=role,
                patient_id=world.patient_id,
                unit_id=world.unit_id,
                action="presession_view",
                now=dt.datetime.now(dt.UTC),
            )
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/access-log?lang=en&flagged=y").get_data(as_text=True)
    response = client.post(
        "/admin/access-log/export", data={"csrf_token": csrf_token(page), "flagged": "y"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][0] == "time_local" and len(rows) == 2
    assert rows[1][3] == "'=HYPERLINK(1)"  # no formula reaches a spreadsheet
    assert rows[1][4] == "unit_lead" and rows[1][8] == "yes"
    with db.session() as session:
        (audit,) = session.scalars(select(AdminAudit)).all()
    assert audit.action == "access_log_exported" and audit.staff_id == admin.id
    assert json.loads(audit.after or "{}")["rows"] == 1
    assert json.loads(audit.after or "{}")["flagged_only"] is True
    without_token = client.post("/admin/access-log/export", data={"flagged": "y"})
    assert without_token.status_code == 400


def test_the_patient_sees_one_row_per_reading_session_with_time_and_action(
    client: FlaskClient,
) -> None:
    db = _db(client.application)
    world = make_world(db)
    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    for _ in range(3):  # three looks within a few seconds: one session
        assert therapist.get(f"/clinician/episodes/{world.episode_id}").status_code == 200
    _therapist_changed_appointments(db, world, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    _answered_through_the_link(client, db, world)
    # The thank-you page leads to the progress page, which lists who has read the answers.
    done = client.get("/p/done?lang=en").get_data(as_text=True)
    assert "who has read your answers" in done
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    section = html.split("Who has looked at your answers", 1)[1]
    assert section.count("<tr><td>") == 2
    assert "Read your answers" in section
    assert "Changed your appointments" in section
    assert "Staff " not in section  # never the reader's name


def test_admin_pages_never_show_a_patients_answers(app: Flask) -> None:
    db = _db(app)
    world = make_world(db)
    (response_id, *_rest) = add_history(db, world, [21, 18, 14])
    secret_words = "Jeg sover bare tre timer hver natt"
    with db.transaction() as session:
        session.add(
            ResponseComment(
                response_id=response_id,
                episode_id=world.episode_id,
                source=CommentSource.FINISH,
                text=secret_words,
            )
        )
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    assert secret_words in therapist.get(f"/clinician/episodes/{world.episode_id}").get_data(
        as_text=True
    )
    admin = make_staff(db, (Role.ADMIN, None))
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    record = _external_id(db, world.patient_id)
    pages = [
        "/admin/",
        "/admin/staff",
        f"/admin/staff/{world.therapist_id}",
        f"/admin/access-log?patient={record}",
        "/admin/audit",
    ]
    for path in pages:
        html = client.get(path + ("&" if "?" in path else "?") + "lang=en").get_data(as_text=True)
        assert secret_words not in html, path
        assert "PHQ-9" not in html and ">21<" not in html, path
    token = csrf_token(client.get("/admin/access-log").get_data(as_text=True))
    export = client.post("/admin/access-log/export", data={"csrf_token": token}).get_data(
        as_text=True
    )
    assert secret_words not in export and "phq9" not in export
    # The pre-session view itself stays closed to an admin without a clinical role.
    assert client.get(f"/clinician/episodes/{world.episode_id}").status_code in (403, 404)


def test_no_admin_page_shows_a_patients_answers_or_comments(app: Flask) -> None:
    """Every admin page that answers GET, found in the URL map and opened with the real ids of
    a patient with answers (the patient-data pages searched by unit and record id), renders,
    and none of them holds the patient's comment or scores. The one admin route that carries
    answers is the patient's own data export (a POST download for a right-of-access request,
    access-logged and audited; docs/privacy.md)."""
    db = _db(app)
    world = make_world(db)
    (response_id, *_rest) = add_history(db, world, [23, 19, 17])
    secret_words = "Naboen hører stemmer gjennom veggen"
    with db.transaction() as session:
        session.add(
            ResponseComment(
                response_id=response_id,
                episode_id=world.episode_id,
                source=CommentSource.FINISH,
                text=secret_words,
            )
        )
    admin = make_staff(db, (Role.ADMIN, None))
    template_id = create_template(
        db,
        staff_id=admin.id,
        unit_id=world.unit_id,
        programme_id=None,
        name="Poliklinikk",
        now=dt.datetime.now(dt.UTC),
    )
    record = _external_id(db, world.patient_id)
    client = app.test_client()
    log_in(client, admin.username, PASSWORD)
    ids = {
        "unit_id": world.unit_id,
        "staff_id": world.therapist_id,
        "patient_id": world.patient_id,
        "template_id": template_id,
    }
    adapter = app.url_map.bind("localhost")
    opened = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or "GET" not in (rule.methods or set()):
            continue
        assert set(rule.arguments) <= set(ids), f"{rule.rule}: give this test a real id"
        path = adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
        query = f"lang=en&unit={world.unit_id}&record_id={record}&patient={record}"
        response = client.get(f"{path}?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (path, response.status_code)
        assert secret_words not in html, path
        for score in (23, 19, 17):
            assert f">{score}<" not in html, (path, score)
        opened.append(path)
    assert f"/admin/patients/{world.patient_id}/erase" in opened  # the patient's own pages too
    assert len(opened) >= 15


def test_a_followed_up_signal_and_a_resolved_one_read_as_one_phrase_in_the_patients_list(
    client: FlaskClient,
) -> None:
    # Acknowledging one signal and resolving another both read "followed up on your answers":
    # the row said it twice.
    db = _db(client.application)
    world = make_world(db)
    risk = add_signal(db, world, SignalCode.RISK_ANSWER)
    other = add_signal(db, world, SignalCode.NOT_ON_TRACK)
    therapist = client.application.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    url = f"/clinician/episodes/{world.episode_id}"
    token = csrf_token(therapist.get(url).get_data(as_text=True))
    acknowledged = therapist.post(
        f"{url}/signals/{risk}/acknowledge", data={"csrf_token": token, "note": "Phoned"}
    )
    resolved = therapist.post(f"{url}/signals/{other}/resolve", data={"csrf_token": token})
    assert (acknowledged.status_code, resolved.status_code) == (302, 302)

    _answered_through_the_link(client, db, world)
    for lang, phrase in (("en", "followed up on your answers"), ("nb", "fulgte opp svarene dine")):
        html = client.get(f"/p/progress?lang={lang}").get_data(as_text=True)
        [row] = [line for line in html.split("<tr>") if phrase in line]
        assert row.count(phrase) == 1, row


def test_a_reading_session_that_ran_on_shows_from_its_first_to_its_last_minute(
    client: FlaskClient,
) -> None:
    """One row is everything one reader did with no more than half an hour between: shown at
    its start alone, a row read as if its last action (after the patient's crisis plan was
    written, say) had been done before it."""
    app = client.application
    db = _db(app)
    world = make_world(db)
    # The therapist opens the pre-session view at 16:10, 16:30 and 16:50 (Oslo) on the page
    # clock, and once more the next day after logging in again.
    app.extensions["fit_clock"] = clock = Clock(dt.datetime(2026, 12, 1, 15, 10, tzinfo=dt.UTC))
    therapist = app.test_client()
    for minutes in (0, 20, 20, 23 * 60 + 20):
        clock.advance(minutes=minutes)
        if minutes == 0 or minutes > 30:  # first, and after the staff session has ended
            log_in(therapist, world.therapist_username, PASSWORD)
        assert therapist.get(f"/clinician/episodes/{world.episode_id}").status_code == 200
    del app.extensions["fit_clock"]  # the patient answers now, on the real clock
    _answered_through_the_link(client, db, world)
    html = client.get("/p/progress?lang=en").get_data(as_text=True)
    section = html.split("Who has looked at your answers", 1)[1]
    assert "1 Dec 2026, 16:10–16:50" in section
    assert "2 Dec 2026, 16:10</td>" in section  # a single read: its minute alone
