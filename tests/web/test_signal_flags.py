"""Repeated signals of one code are one flag: the caseload and the pre-session view list each
code once with how many times and the latest, and a risk answer given after the therapist
acknowledged the earlier ones still waits for its own acknowledgement (docs/signals.md)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from tests.support.factories import PASSWORD, World, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation


def a_risk_answer(app: Flask, db: Database, world: World) -> None:
    """The patient answers a PHQ-9 from a new link, with item 9 above its threshold."""
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("phq9", "1", phq9_9="2")
    assert patient.finish().status_code == 302


ASK_TO_ACKNOWLEDGE = "and acknowledge this signal."
RESOLVE_NEXT = "Acknowledged. Resolve the signal when nothing more needs doing about it."


def therapist(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    log_in(client, world.therapist_username, PASSWORD)
    return client


def signals_cell(caseload: str) -> str:
    found = re.search(r'<td data-label="Open signals">(.*?)</td>', caseload, re.S)
    assert found, caseload[:2000]
    return found[1]


def signal_panel(page: str) -> str:
    return page.split('id="signals"', 1)[1].split('id="resolved-signals"', 1)[0]


def test_three_risk_answers_are_one_flag_with_a_count_on_the_caseload_and_the_presession(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    for _ in range(3):
        a_risk_answer(app, db, world)
    client = therapist(app, world)

    cell = signals_cell(client.get("/clinician/?lang=en").get_data(as_text=True))
    assert cell.count("Risk answer") == 1
    assert "3 times, latest" in cell

    url = f"/clinician/episodes/{world.episode_id}"
    panel = signal_panel(client.get(url + "?lang=en").get_data(as_text=True))
    assert panel.count("<article") == 1
    assert "(3 times, latest" in panel
    # Each answer is still there to read, with its own time.
    assert panel.count("Raised ") == 3
    assert panel.count("/acknowledge") == 1
    nb = signal_panel(client.get(url + "?lang=nb").get_data(as_text=True))
    assert "(3 ganger, sist" in nb
    nn = signal_panel(client.get(url + "?lang=nn").get_data(as_text=True))
    assert "(3 gonger, sist" in nn


def test_one_acknowledgement_covers_the_flag_and_a_later_risk_answer_needs_its_own(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    for _ in range(2):
        a_risk_answer(app, db, world)
    client = therapist(app, world)
    url = f"/clinician/episodes/{world.episode_id}"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert ASK_TO_ACKNOWLEDGE in signal_panel(page) and RESOLVE_NEXT not in page
    [action] = re.findall(r'action="([^"]+/acknowledge)"', page)
    response = client.post(
        action, data={"csrf_token": csrf_token(page), "note": "Called her; plan reviewed"}
    )
    assert response.status_code == 302
    panel = signal_panel(client.get(url + "?lang=en").get_data(as_text=True))
    assert panel.count("Acknowledged ") == 2
    assert "/acknowledge" not in panel
    # The explanation no longer asks for what the page shows as done; it says what is next.
    assert ASK_TO_ACKNOWLEDGE not in panel
    assert "Talk with the patient about safety as soon as possible." in panel
    assert RESOLVE_NEXT in panel
    nb = signal_panel(client.get(url + "?lang=nb").get_data(as_text=True))
    assert "Kvittert ut. Lukk signalet når det ikke er mer å gjøre med det." in nb
    assert "kvitter ut dette signalet" not in nb
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert 'class="status status-attention"' in caseload

    # A new risk answer after the therapist acted: the same flag, to act on again.
    a_risk_answer(app, db, world)
    caseload = client.get("/clinician/?lang=en").get_data(as_text=True)
    assert 'class="status status-risk"' in caseload
    assert signals_cell(caseload).count("Risk answer") == 1
    assert "3 times, latest" in signals_cell(caseload)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    panel = signal_panel(page)
    assert "1 new since the last acknowledgement: it needs acting on too." in panel
    assert ASK_TO_ACKNOWLEDGE in panel and RESOLVE_NEXT not in panel
    # The flag cannot be closed before the new answer is acknowledged.
    assert "/resolve" not in panel
    [action] = re.findall(r'action="([^"]+/acknowledge)"', panel)
    resolve = action.replace("/acknowledge", "/resolve")
    client.post(resolve, data={"csrf_token": csrf_token(page)})
    assert "1 new since the last acknowledgement" in signal_panel(
        client.get(url + "?lang=en").get_data(as_text=True)
    )
    client.post(action, data={"csrf_token": csrf_token(page), "note": "Talked again"})
    page = client.get(url + "?lang=en").get_data(as_text=True)
    [resolve] = re.findall(r'action="([^"]+/resolve)"', signal_panel(page))
    client.post(resolve, data={"csrf_token": csrf_token(page), "note": "Safe"})
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "No open signals." in page
    assert signals_cell(client.get("/clinician/?lang=en").get_data(as_text=True)) == "–"
