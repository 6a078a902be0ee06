"""The therapist moves an appointment on the episode's appointments page, as a browser does."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.html import csrf_token

MOVE_FORM = re.compile(r'action="/clinician/appointments/(\d+)/move"')


def move_first_appointment(
    client: FlaskClient, appointments_url: str, day: str, time: str, lang: str = "en"
) -> TestResponse:
    """Move the first appointment listed on `appointments_url` to `day` (as typed) at `time`."""
    page = client.get(f"{appointments_url}?lang={lang}").get_data(as_text=True)
    found = MOVE_FORM.search(page)
    assert found is not None, "no appointment to move on the page"
    return client.post(
        f"/clinician/appointments/{found.group(1)}/move?lang={lang}",
        data={"csrf_token": csrf_token(page), "move-day": day, "move-time": time},
    )
