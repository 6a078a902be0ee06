"""The export page links the codebook, which the app serves to those who may export.

The page used to name it by its repository path (docs/export-codebook.md), which a service
developer cannot open. The link from the figures leads to the codebook's text and version;
a therapist, who may not export, is refused it.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role
from fit_platform.services.export_files import CODEBOOK_VERSION
from tests.support.export_data import make_known_dataset
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in

JUNE = "period=month&start=2026-06-01&end=2026-06-30"


def test_the_service_developer_follows_the_codebook_link_and_a_therapist_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    db = app.extensions["fit_db"]
    make_known_dataset(db)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    figures = client.get(f"/export/?lang=nb&{JUNE}").get_data(as_text=True)
    assert "docs/export-codebook.md" not in figures
    link = re.search(r'<a href="([^"]+)">Kodeboken: [^<]*</a>', figures)
    assert link is not None and link.group(1) == "/export/codebook"

    page = client.get(link.group(1))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"versjon {CODEBOOK_VERSION}" in html
    assert '<pre class="codebook" lang="en">' in html
    assert "`unit_code`" in html  # a column the file explains

    therapist = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    other = app.test_client()
    log_in(other, therapist.username, PASSWORD)
    assert other.get("/export/codebook").status_code == 403
