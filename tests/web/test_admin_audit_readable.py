"""The administrator's audit trail reads in words, in the page's language.

The page showed each change's details as stored: `is_active: True`, `roles: therapist@3`,
`invitation_expires_at: 2026-03-13T09:05+00:00`, `(staff 5)`. It now shows the detail names
translated, Yes/No (Ja/Nei), role names, and dates and times in the service's zone and the
page's language, as every other page does. A code the page has no words for is shown as
stored, so nothing recorded is ever hidden.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.admin_audit import record_admin_change
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in

# A winter morning: Oslo is UTC+1, so 09:05 UTC is 10:05 on the page.
NOW = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)


def _table(client: FlaskClient, lang: str) -> str:
    response = client.get(f"/admin/audit?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-3000:]
    return html[html.index("<table") : html.index("</table>")]


def _post(client: FlaskClient, page: str, url: str, data: dict[str, str]) -> None:
    token = csrf_token(client.get(page).get_data(as_text=True))
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 302


def test_the_audit_trail_shows_labels_yes_no_and_local_times_in_english_and_bokmal(
    app: Flask, client: FlaskClient
) -> None:
    app.extensions["fit_clock"] = lambda: NOW
    db: Database = app.extensions["fit_db"]
    unit = make_unit(db)
    world = make_world(db, unit=unit)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    _post(
        client,
        "/admin/staff/invite?lang=en",
        "/admin/staff/invite",
        {
            "email": "kari@example.org",
            "display_name": "Kari Nordmann",
            "role": "therapist",
            "unit": str(unit.id),
        },
    )
    page = f"/admin/staff/{world.therapist_id}?lang=en"
    _post(client, page, f"/admin/staff/{world.therapist_id}/deactivate", {})
    # A change recorded by a newer release, with codes this page has no words for.
    with db.transaction() as session:
        record_admin_change(
            session,
            staff_id=admin.id,
            action="future_change",
            target_kind="gadget",
            target_id=7,
            after={"mystery_setting": "on"},
            at=NOW,
        )

    english = _table(client, "en")
    assert "Staff member invited" in english and "Account deactivated" in english
    assert f"(Staff member {world.therapist_id})" in english
    assert "Invitation works until: 13/03/2026, 10:05" in english
    assert f"Roles: Therapist, unit {unit.id}" in english
    assert "Account active: Yes" in english and "Account active: No" in english
    assert "Sessions ended: 0" in english
    assert "10/03/2026, 10:05" in english  # when the change was made
    for raw in ("True", "False", "is_active", "invitation_expires_at", "2026-03-13T", "therapist@"):
        assert raw not in english, raw
    # Unknown codes still show, as stored.
    assert "future_change" in english and "(gadget 7)" in english
    assert "<code>mystery_setting</code>: on" in english

    bokmaal = _table(client, "nb")
    assert "Ansatt invitert" in bokmaal
    assert f"(Ansatt {world.therapist_id})" in bokmaal
    assert "Invitasjonen virker til: 13.03.2026, 10:05" in bokmaal
    assert f"Roller: Behandler, enhet {unit.id}" in bokmaal
    assert "Aktiv konto: Ja" in bokmaal and "Aktiv konto: Nei" in bokmaal
    assert "True" not in bokmaal and "is_active" not in bokmaal
