"""The therapist's registration form, posted with valid details and the fields a test changes."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.html import csrf_token


def post_registration(
    client: FlaskClient, unit_id: int, lang: str = "en", **typed: str
) -> TestResponse:
    page = client.get(f"/clinician/register?lang={lang}").get_data(as_text=True)
    fields = {
        "display_name": "Kari Nordmann",
        "external_id": "",
        "phone": "+47 912 34 567",
        "email": "",
        "language": "nb",
        "channel": "sms",
        "unit": str(unit_id),
        "started_on": "2026-11-02",
        **typed,
    }
    return client.post(
        f"/clinician/register?lang={lang}", data={"csrf_token": csrf_token(page), **fields}
    )
