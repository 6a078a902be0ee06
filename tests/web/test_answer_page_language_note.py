"""A questionnaire page says, under the language links, that switching language drops the
answers ticked but not saved on the page.

The language links are plain links (the pages work without JavaScript), so following one
reloads the page in the other language with the saved answers only. Making each link a button
of the answer form would need the form on every page's header; the note is the smaller sound
fix (docs/patient-journey.md). Saved answers stay ticked after a switch.
"""

from __future__ import annotations

import re

from flask import Flask

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

FIRST_PAGE = {f"phq9_{i}": "1" for i in range(1, 6)}


def test_the_answer_page_warns_under_the_language_links_and_keeps_saved_answers(
    app: Flask, db: Database
) -> None:
    world = make_world(db)
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(app.test_client(), token)
    landing = patient.client.get(f"/p/{token}?lang=nb").get_data(as_text=True)
    assert 'id="language-note"' not in landing
    patient.start()

    page = patient.client.get("/p/answer/1?lang=nn").get_data(as_text=True)
    header = page.split("</header>", 1)[0]
    assert "Svar du har kryssa av på denne sida, blir ikkje tekne vare på" in header
    links = re.findall(r'<a href="[^"]*lang=(?:nb|nn|en)"[^>]*>', header)
    assert len(links) == 3 and all('aria-describedby="language-note"' in a for a in links)

    patient.answer_page(1, {**FIRST_PAGE, "phq9_3": "2"})
    switched = patient.client.get("/p/answer/1?lang=en").get_data(as_text=True)
    assert "Answers ticked on this page are not kept when you change language" in switched
    assert 'checked id="phq9_3-2"' in switched
