"""Patient pages stay light for slow phone connections: HTML plus CSS under 30 KB each."""

from __future__ import annotations

from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import add_history, make_world
from tests.support.patient import Patient, open_invitation

LIMIT = 30 * 1024


def test_every_patient_page_with_its_css_is_under_30_kb(client: FlaskClient, db: Database) -> None:
    world = make_world(db)
    add_history(db, world, [19, 18, 16, 15, 14, 12, 11, 10, 9, 9, 8, 7])
    _invitation_id, token = open_invitation(db, world)
    css_response = client.get("/static/css/site.css")
    css = len(css_response.data)
    css_response.close()
    patient = Patient(client, token)
    pages = {"landing": client.get(f"/p/{token}").data}
    patient.start()
    pages["form"] = client.get("/p/answer/1").data
    pages["errors"] = patient.answer_page(1, {}).data
    patient.answer_all("phq9", "1", phq9_9="2")
    pages["help"] = client.get("/p/help?after=2").data
    pages["finish"] = client.get("/p/finish").data
    patient.finish()
    pages["progress"] = client.get("/p/done").data
    pages["choices"] = client.get("/p/choices").data
    pages["goals"] = client.get("/p/goals").data
    pages["closed"] = client.get(f"/p/{token}").data
    sizes = {name: len(html) + css for name, html in pages.items()}
    assert all(size < LIMIT for size in sizes.values()), sizes
