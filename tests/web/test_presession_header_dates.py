"""The pre-session view's header writes its dates one way: "In treatment since 1 Jun 2026 ·
Next appointment 10 Mar 2027, 09:30". The next appointment was "10/03/2027, 09:30" beside
the month written out, and in English a day/month/year date can be read the other way round."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.factories import PASSWORD, make_world
from tests.support.html import log_in
from tests.web.test_send_times import book

HEADERS = {
    "en": ("In treatment since 1 Jun 2026", "Next appointment 10 Mar 2027, 09:30"),
    "nb": ("I behandling siden 1. juni 2026", "Neste time 10. mars 2027, 09:30"),
    "nn": ("I behandling sidan 1. juni 2026", "Neste time 10. mars 2027, 09:30"),
}


def test_the_next_appointment_is_written_as_the_start_of_treatment_is(
    client: FlaskClient,
) -> None:
    db = client.application.extensions["fit_db"]
    world = make_world(db)
    log_in(client, world.therapist_username, PASSWORD)
    book(client, f"/clinician/episodes/{world.episode_id}/appointments", "2027-03-10", "09:30")
    for language, (since, next_appointment) in HEADERS.items():
        page = client.get(f"/clinician/episodes/{world.episode_id}?lang={language}")
        header = re.search(r'<h1>.*?</h1>\s*<p class="muted">(.*?)</p>', page.get_data(True), re.S)
        assert header, language
        text = " ".join(header[1].split())
        assert since in text and next_appointment in text, text
        assert "10/03/2027" not in text and "10.03.2027" not in text
