"""A demo patient's contact details can be corrected as they were seeded: the demo once gave
every patient an address under `.invalid`, which the contact form rightly refuses, so a
therapist who only changed a demo patient's language was told to enter a valid e-mail."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Episode, Patient
from fit_platform.domain.codes import Language
from fit_platform.services.demo_patients import seed_demo_patients
from fit_platform.services.demo_seed import DEMO_PASSWORD, seed_demo
from tests.support.html import csrf_token, log_in

OSLO = ZoneInfo("Europe/Oslo")


def _field(page: str, name: str) -> str:
    """The value an input of the contact form shows."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, name
    return html.unescape(match.group(1))


def test_a_therapist_changes_only_a_demo_patients_language_and_it_is_saved(
    client: FlaskClient, db: Database
) -> None:
    now = dt.datetime(2026, 12, 4, 10, tzinfo=OSLO).astimezone(dt.UTC)
    client.application.extensions["fit_clock"] = lambda: now
    seed_demo(db)
    seed_demo_patients(db, now=now, zone=OSLO)
    with db.session() as session:
        patient = session.scalar(select(Patient).where(Patient.external_id == "DEMO-P001"))
        assert patient is not None and patient.email
        episode_id = session.scalar(select(Episode.id).where(Episode.patient_id == patient.id))
    log_in(client, "terapeut1@demo.fit", DEMO_PASSWORD)
    url = f"/clinician/episodes/{episode_id}/contact?lang=en"
    page = client.get(url).get_data(as_text=True)
    shown = {name: _field(page, name) for name in ("phone", "email")}
    assert shown["email"] == patient.email
    response = client.post(
        url,
        data={"csrf_token": csrf_token(page), **shown, "language": "nn", "channel": "sms"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with db.session() as session:
        saved = session.get_one(Patient, patient.id)
        assert saved.preferred_language == Language.NYNORSK
        assert saved.email == patient.email
