from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def test_administrators_see_every_instruments_licence_and_translation_status(
    client: FlaskClient,
) -> None:
    from tests.support.html import log_in

    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    html = client.get("/admin/instruments?lang=en").get_data(as_text=True)
    for instrument_id in ("phq9", "gad7", "core10", "wai_sr", "sai"):
        assert f"<code>{instrument_id}</code>" in html
    assert "Working translation, not validated" in html
    assert "Not available: patients get another language" in html  # CORE-10 in nb/nn
    assert "CC BY-ND 4.0" in html
    assert 'href="/admin/"' in html  # the staff navigation leads to the admin start page
    start = client.get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/instruments"' in start
    assert 'href="/admin/audit"' in start


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SERVICE_DEVELOPER, Role.UNIT_LEAD])
def test_other_roles_cannot_open_administration(client: FlaskClient, role: Role) -> None:
    from tests.support.html import log_in

    db = _db(client)
    staff = make_staff(db, (role, make_unit(db).id))
    log_in(client, staff.username, PASSWORD)
    for path in ("/admin/", "/admin/instruments", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 403
        assert 'href="/admin/"' not in response.get_data(as_text=True)


def test_every_page_of_the_administration_start_leads_back_to_it(client: FlaskClient) -> None:
    """Units and schedule templates had "Back to administration"; the other sections had
    only the staff navigation."""
    import re

    from tests.support.html import log_in

    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    start = client.get("/admin/?lang=en").get_data(as_text=True)
    sections = re.findall(r'<h2><a href="(/admin/[^"]+)">', start)
    assert len(sections) >= 8, sections
    back = '<p class="no-print"><a href="/admin/">Back to administration</a></p>'
    for section in sections:
        page = client.get(f"{section}?lang=en")
        assert page.status_code == 200, section
        assert back in page.get_data(as_text=True), section
