"""A unit lead asked to follow up a risk answer nobody acknowledged in time can reach the
patient.

A walk found the lead's pre-session view naming the therapist to follow up with and no way to
reach the patient when the therapist was away: no number on the page, and the contact page is
the treating therapists' (403 for the lead). The number on file is shown to the lead for that
case only, in the view's read (access-logged as the view is).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Patient
from fit_platform.domain.codes import Role
from fit_platform.messaging.addresses import readable_phone
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.unattended_risk import risk_answer

CONTACT = "To reach the patient:"


def test_the_lead_sees_the_patients_number_once_a_risk_answer_is_overdue(
    app: Flask, db: Database
) -> None:
    unit = make_unit(db)
    lead = make_staff(db, (Role.UNIT_LEAD, unit.id), name="Lise Leder")
    world = make_world(db, unit=unit)
    with db.session() as session:
        phone = session.get_one(Patient, world.patient_id).phone_e164
    assert phone is not None
    risk_answer(app, db, world)
    lead_client: FlaskClient = app.test_client()
    log_in(lead_client, lead.username, PASSWORD)
    therapist: FlaskClient = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    view = f"/clinician/episodes/{world.episode_id}"

    # Fresh, it waits for the therapist: the lead reads no number.
    assert CONTACT not in lead_client.get(view + "?lang=en").get_data(as_text=True)

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    app.extensions["fit_clock"] = lambda: later
    log_in(lead_client, lead.username, PASSWORD)  # the next morning: a new login
    log_in(therapist, world.therapist_username, PASSWORD)
    page = lead_client.get(view + "?lang=en").get_data(as_text=True)
    # Grouped for reading aloud ("+47 91 00 00 01"), the link dialling the number as stored.
    assert CONTACT in page and f'<a href="tel:{phone}">{readable_phone(phone)}</a>' in page
    assert readable_phone(phone) == f"+47 {phone[3:5]} {phone[5:7]} {phone[7:9]} {phone[9:]}"
    assert "Slik når du pasienten:" in lead_client.get(view + "?lang=nb").get_data(as_text=True)
    # The therapist's own view has the contact page instead.
    assert CONTACT not in therapist.get(view + "?lang=en").get_data(as_text=True)
