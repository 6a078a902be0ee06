"""A risk answer reaches a real reader: taking it back keeps the signal (and shows the change),
and an overdue signal never names a unit lead who does not exist."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Signal, Staff
from fit_platform.domain.codes import Role
from fit_platform.services.signal_workflow import escalate_overdue_risk_signals
from tests.support.clinical import acknowledge_in_the_view
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient, now, open_invitation

DAY = dt.timedelta(hours=24)


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


CHANGED_BACK = (
    "The patient changed the answer to question 9 from “More than half the days (2)” "
    "to “Not at all (0)” at"
)


def _staff_page(app: Flask, username: str, path: str) -> str:
    staff = app.test_client()
    log_in(staff, username, PASSWORD)
    response = staff.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _risk_answer(client: FlaskClient, db: Database, world: World) -> Patient:
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    patient.answer_page(1, {f"phq9_{n}": "1" for n in range(1, 6)})
    saved = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "2"})
    assert saved.headers["Location"].startswith("/p/help")
    return patient


def test_a_risk_answer_changed_back_to_0_keeps_the_signal_and_shows_the_change(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    world = make_world(db)
    patient = _risk_answer(client, db, world)
    changed = patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "0"})
    assert changed.status_code == 302
    assert patient.finish().status_code == 302

    with db.session() as session:
        signal = session.scalars(select(Signal).where(Signal.code == "risk_answer")).one()
    assert signal.resolved_at is None
    html = _staff_page(
        app, world.therapist_username, f"/clinician/episodes/{world.episode_id}?lang=en"
    )
    article = html[html.index(f'id="signal-{signal.id}"') :]
    article = article[: article.index("</article>")]
    # What the patient answered first is what raised the signal: it is said, not only the change.
    assert CHANGED_BACK in article
    assert "The signal stays open" in article
    assert "Acknowledge" in article


def test_an_overdue_risk_signal_in_a_unit_without_a_lead_says_nobody_was_notified(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    db = _db(app)
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    _risk_answer(client, db, world)
    with caplog.at_level(logging.INFO):
        assert escalate_overdue_risk_signals(db, after=DAY, now=now() + DAY + DAY / 24) == 1
    assert any("no lead" in record.getMessage() for record in caplog.records)

    expected = (
        f"No unit lead in {unit.name}: nobody was notified. Ask an administrator to name one."
    )
    presession = _staff_page(
        app, world.therapist_username, f"/clinician/episodes/{world.episode_id}?lang=en"
    )
    assert expected in presession and "alert-danger" in presession
    assert "shown to the unit lead" not in presession
    caseload = _staff_page(app, world.therapist_username, "/clinician/?lang=en")
    assert expected in caseload
    assert f"/clinician/episodes/{world.episode_id}#signal-" in caseload


def test_a_therapists_caseload_warns_before_anything_is_overdue_when_the_unit_has_no_lead(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    caseload = _staff_page(app, world.therapist_username, "/clinician/?lang=en")
    assert f"No unit lead in {unit.name}: a risk signal nobody acknowledges in time" in caseload
    make_staff(db, (Role.UNIT_LEAD, unit.id))
    caseload = _staff_page(app, world.therapist_username, "/clinician/?lang=en")
    assert "No unit lead" not in caseload


def test_an_overdue_risk_signal_names_the_units_real_leads_and_reaches_their_caseload(
    app: Flask, client: FlaskClient
) -> None:
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Kari Leder")
    world = make_world(db, unit=unit)
    _risk_answer(client, db, world)
    assert escalate_overdue_risk_signals(db, after=DAY, now=now() + DAY + DAY / 24) == 1

    presession = _staff_page(
        app, world.therapist_username, f"/clinician/episodes/{world.episode_id}?lang=en"
    )
    assert "Not acknowledged in time: shown to the unit lead Kari Leder" in presession
    assert "No unit lead" not in presession
    assert "No unit lead" not in _staff_page(app, world.therapist_username, "/clinician/?lang=en")
    lead_caseload = _staff_page(app, lead.username, "/clinician/?lang=en")
    assert "Risk signals not acknowledged in time" in lead_caseload
    assert f"/clinician/episodes/{world.episode_id}#signal-" in lead_caseload


def test_the_journal_summary_keeps_the_changed_risk_answer_and_who_acknowledged(
    app: Flask, client: FlaskClient
) -> None:
    """What the therapist copies into the patient record says what the pre-session view says:
    the patient took the risk answer back, and who acknowledged the signal, and when."""
    db = _db(app)
    world = make_world(db)
    patient = _risk_answer(client, db, world)
    patient.answer_page(2, {f"phq9_{n}": "1" for n in range(6, 9)} | {"phq9_9": "0"})
    assert patient.finish().status_code == 302
    with db.session() as session:
        signal_id = session.scalars(select(Signal.id).where(Signal.code == "risk_answer")).one()
        therapist_name = session.get_one(Staff, world.therapist_id).display_name

    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    acknowledge_in_the_view(therapist, world, signal_id, "Phoned the patient; safe")
    summary = therapist.get(f"/clinician/episodes/{world.episode_id}/summary?lang=en")
    html = summary.get_data(as_text=True)
    signals = html[html.index("<h2>Signals</h2>") : html.index("<h2>Samvalg decisions</h2>")]
    text = html[html.index('id="plain-text"') :]
    for block in (signals, text):
        assert "What was done: Phoned the patient; safe" in block
        assert CHANGED_BACK in block
        assert "Acknowledged " in block and f"by {therapist_name}" in block


def test_the_lead_reads_whose_patient_an_overdue_risk_signal_is(
    app: Flask, client: FlaskClient
) -> None:
    """An overdue risk signal reaches the unit lead, who must follow it up with the patient's
    therapist: the lead's list, the lead's caseload row and the pre-session view name the
    responsible therapist (the therapist's own pages do not name themselves). When that
    account is deactivated, the lead reads that nobody active is responsible."""
    db = _db(app)
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Kari Leder")
    world = make_world(db, unit=unit)
    with db.transaction() as session:
        session.get_one(Staff, world.therapist_id).display_name = "Tone Terapeut"
    _risk_answer(client, db, world)
    assert escalate_overdue_risk_signals(db, after=DAY, now=now() + DAY + DAY / 24) == 1

    lead_caseload = _staff_page(app, lead.username, "/clinician/?lang=en")
    escalated = lead_caseload.split('id="escalated-heading"')[1].split("</section>")[0]
    assert "therapist: Tone Terapeut" in escalated
    table = lead_caseload.split("<tbody>")[1]
    assert "Therapist: Tone Terapeut" in table
    presession = f"/clinician/episodes/{world.episode_id}"
    assert "behandler: Tone Terapeut" in _staff_page(app, lead.username, presession + "?lang=nb")
    own = _staff_page(app, world.therapist_username, presession + "?lang=en")
    assert "therapist: Tone Terapeut" not in own

    with db.transaction() as session:
        session.get_one(Staff, world.therapist_id).is_active = False
    lead_caseload = _staff_page(app, lead.username, "/clinician/?lang=en")
    escalated = lead_caseload.split('id="escalated-heading"')[1].split("</section>")[0]
    assert "no active responsible therapist" in escalated
    assert "Tone Terapeut" not in escalated
    lead_view = _staff_page(app, lead.username, presession + "?lang=nn")
    assert "ingen aktiv ansvarleg behandlar" in lead_view
