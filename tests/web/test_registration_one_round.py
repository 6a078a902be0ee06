"""Registering a patient names every wrong field on the first submit.

A therapist typed an unreadable start date, "abc123" as the mobile number and "ikke-en-epost"
as the e-mail address: the page named only the date, then the phone number, then the address,
one submit each. The typed details' checks (`registration.registration_problems`, the same
rules the save applies) now run with the form's own, and again when the form passes.
"""

from __future__ import annotations

import dataclasses
import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import Patient, SchedulePlan, Unit
from fit_platform.domain.codes import Role
from tests.support.export_data import make_programme
from tests.support.factories import PASSWORD, make_staff, make_unit, make_unit_template
from tests.support.html import log_in
from tests.support.registration import post_registration

PHONE = "Enter a Norwegian or international mobile number that can receive SMS."
EMAIL = "Enter a valid e-mail address."


def _patients(app: Flask) -> int:
    db: Database = app.extensions["fit_db"]
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0


def _therapist(app: Flask, client: FlaskClient) -> int:
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    therapist = make_staff(db, (Role.THERAPIST, unit.id))
    log_in(client, therapist.username, PASSWORD)
    return unit.id


def test_an_unreadable_date_a_bad_number_and_a_bad_address_come_in_one_round(
    app: Flask, client: FlaskClient
) -> None:
    unit_id = _therapist(app, client)
    response = post_registration(
        client, unit_id, started_on="31.13.2026", phone="abc123", email="ikke-en-epost"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a date like 31.12.2026." in html
    assert PHONE in html
    assert EMAIL in html
    assert 'value="ikke-en-epost"' in html and 'value="abc123"' in html
    assert _patients(app) == 0


def test_a_passing_form_with_two_bad_addresses_names_both(app: Flask, client: FlaskClient) -> None:
    unit_id = _therapist(app, client)
    response = post_registration(
        client, unit_id, phone="abc123", email="ikke-en-epost", display_name="  "
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert PHONE in html and EMAIL in html
    response = post_registration(client, unit_id, phone="abc123", email="ikke-en-epost")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert PHONE in html and EMAIL in html
    assert _patients(app) == 0
    # Put right, it registers.
    assert post_registration(client, unit_id).status_code == 302
    assert _patients(app) == 1


def test_an_empty_start_date_asks_for_a_date_the_way_it_is_written(
    app: Flask, client: FlaskClient
) -> None:
    # "Enter a valid date." read as if something had been typed wrong into an empty field.
    unit_id = _therapist(app, client)
    response = post_registration(client, unit_id, started_on="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a date like 31.12.2026." in html and "valid date" not in html
    assert "<title>Error: Register a patient – " in html
    nb = post_registration(client, unit_id, lang="nb", started_on="").get_data(as_text=True)
    assert "<title>Feil: Registrer en pasient – " in nb
    assert _patients(app) == 0


def test_a_programme_template_without_rules_is_named_as_the_reason_nothing_is_planned(
    app: Flask, client: FlaskClient
) -> None:
    """An administrator started a template for a programme and added no rule yet; the unit's
    own template has one. A patient registered into the programme gets the programme's
    (empty) plan, and the page said "the unit has no schedule template with a rule in use",
    which was false (found in a review of the demo)."""
    db: Database = app.extensions["fit_db"]
    unit_id = _therapist(app, client)
    make_unit_template(db, unit_id)
    with db.session() as session:
        unit = session.get_one(Unit, unit_id)
    programme_id = make_programme(db, unit, "dag")
    with db.transaction() as session:
        session.add(SchedulePlan(name="Dag", unit_id=unit_id, programme_id=programme_id))
    registered = post_registration(client, unit_id, programme=str(programme_id))
    assert registered.status_code == 302
    assert registered.headers["Location"].endswith("/schedule")
    page = html.unescape(
        client.get(registered.headers["Location"] + "?lang=en").get_data(as_text=True)
    )
    assert "the programme's schedule template has no rule in use yet" in page
    assert "the unit has no schedule template" not in page
    # Without the programme, the unit's template is copied and the appointments come next.
    plain = post_registration(client, unit_id, display_name="Per Hansen")
    assert plain.headers["Location"].endswith("/appointments")


def test_a_service_that_cannot_send_says_so_on_the_registration_page(
    app: Flask, client: FlaskClient
) -> None:
    """With neither an SMS gateway nor an e-mail relay, only the start-up log said that no
    patient would get a link; the therapist registered patients and saw their questionnaires
    "waiting" (found installing from the deployment guide)."""
    _therapist(app, client)
    settings = app.config["FIT_SETTINGS"]
    app.config["FIT_SETTINGS"] = dataclasses.replace(settings, sms_url="", smtp_host="")
    page = client.get("/clinician/register?lang=nb").get_data(as_text=True)
    assert "Tjenesten kan ikke sende spørreskjemaer ennå" in page
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        settings, sms_url="https://sms.example.no/send", sms_token="t"
    )
    page = client.get("/clinician/register?lang=nb").get_data(as_text=True)
    assert "Tjenesten kan ikke sende spørreskjemaer ennå" not in page
