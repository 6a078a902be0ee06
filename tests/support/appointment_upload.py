"""The appointment import page as a therapist uses it: the page loaded, its form posted with a
file. Built as an environ so that a body large enough to be spooled to a temporary file is
closed even when the app refuses it unread."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from tests.support.html import csrf_token


def upload_appointments(
    client: FlaskClient,
    unit_id: int,
    content: str | bytes,
    name: str = "timeliste.csv",
    lang: str = "en",
) -> tuple[int, str]:
    """Post `content` as the file `name` to the import page; the status and the page's HTML."""
    url = f"/clinician/appointments/import?lang={lang}"
    page = client.get(url).get_data(as_text=True)
    body = content.encode() if isinstance(content, str) else content
    builder = EnvironBuilder(
        path=url,
        method="POST",
        data={
            "csrf_token": csrf_token(page),
            "unit": str(unit_id),
            "file": (io.BytesIO(body), name),
        },
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    return response.status_code, response.get_data(as_text=True)
