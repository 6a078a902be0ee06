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
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import Patient, Staff, Unit
from fit_platform.domain.codes import Role, UnitKind
from fit_platform.services.admin_audit import record_admin_change
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.queries import count_statements

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

    with db.session() as session:
        therapist = session.get(Staff, world.therapist_id)
        assert therapist is not None
        therapist_name = therapist.display_name
    english = _table(client, "en")
    assert "Staff member invited" in english and "Account deactivated" in english
    # Named, not numbered: "(Staff member 7)" sent the auditor to look the number up.
    assert f"(Staff member {therapist_name})" in english
    assert "(Staff member Kari Nordmann)" in english
    assert "Invitation works until: 13/03/2026, 10:05" in english
    assert f"Roles: Therapist, {unit.name}" in english
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
    assert f"(Ansatt {therapist_name})" in bokmaal
    assert "Invitasjonen virker til: 13.03.2026, 10:05" in bokmaal
    assert f"Roller: Behandler, {unit.name}" in bokmaal
    assert "Aktiv konto: Ja" in bokmaal and "Aktiv konto: Nei" in bokmaal
    assert "True" not in bokmaal and "is_active" not in bokmaal


def _unit_fields(prefix: str, kind: str) -> dict[str, str]:
    fields = {
        "name": "DPS Nordre Aker",
        "code": "dps-nordre",
        "kind": kind,
        "phone": "+47 22 02 03 04",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
    }
    return {f"{prefix}-{key}": value for key, value in fields.items()}


def test_the_audit_trail_names_the_unit_and_shows_the_admin_pages_words_for_codes(
    app: Flask, client: FlaskClient
) -> None:
    """The trail showed `Kind: day_programme`, `Channel: email`, `Language: nn`, `Status:
    ended`, `When it is sent: weekly` and `(Unit 4)`, `Roles: Therapist, unit 4`: the codes
    and ids the administrator never sees elsewhere. It now shows the words the unit, rule,
    episode and contact forms use, and the unit's name."""
    app.extensions["fit_clock"] = lambda: NOW
    db: Database = app.extensions["fit_db"]
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)

    _post(client, "/admin/units?lang=en", "/admin/units", _unit_fields("new", "day_programme"))
    with db.session() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "dps-nordre")).one()
    unit_page = f"/admin/units/{unit.id}?lang=en"
    _post(client, unit_page, f"/admin/units/{unit.id}", _unit_fields("unit", "outpatient"))
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
    token = csrf_token(client.get("/admin/schedule-templates?lang=en").get_data(as_text=True))
    created = client.post(
        "/admin/schedule-templates",
        data={"csrf_token": token, "name": "Standard", "owner": f"unit:{unit.id}"},
    )
    assert created.status_code == 302
    rule = {
        "instrument": "phq9",
        "trigger": "weekly",
        "weekdays": ["1", "3"],
        "send_time": "10:00",
        "offset_hours": "0",
        "window_hours": "24",
        "reminder_after_hours": "6",
        "min_interval_hours": "0",
        "active": "y",
    }
    added = client.post(
        created.headers["Location"],
        data={"new-csrf_token": token, **{f"new-{key}": value for key, value in rule.items()}},
    )
    assert added.status_code == 302

    world = make_world(db, unit=unit)
    with db.session() as session:
        patient = session.get_one(Patient, world.patient_id)
    contact = f"/admin/patients/{world.patient_id}/contact?unit={unit.id}"
    _post(
        client,
        contact + "&lang=en",
        contact,
        {
            "phone": patient.phone_e164 or "",
            "email": "kari.nordmann@example.org",
            "language": "nn",
            "channel": "email",
        },
    )
    episodes = f"/admin/units/{unit.id}/episodes"
    _post(client, episodes, f"{episodes}/{world.episode_id}/close", {})

    english = _table(client, "en")
    assert "Kind: Day programme" in english and "Kind: Outpatient clinic" in english
    assert 'Unit changed <span class="muted">(Unit DPS Nordre Aker)</span>' in english
    assert "Roles: Therapist, DPS Nordre Aker" in english
    assert "Unit: DPS Nordre Aker" in english
    assert "When it is sent: Weekly on chosen days" in english
    assert "Weekdays: Monday, Wednesday" in english
    assert "Status: Open" in english and "Status: Closed" in english
    assert "Language: Norwegian Bokmål" in english and "Language: Norwegian Nynorsk" in english
    assert "Channel: SMS" in english and "Channel: E-mail" in english
    for raw in (
        "day_programme",
        "outpatient",
        ": weekly",
        "1,3",
        ": ended",
        ": active",
        "Language: nn",
        ": email",
        f"(Unit {unit.id})",
        f"unit {unit.id}",
        f"Unit id: {unit.id}",
    ):
        assert raw not in english, raw

    bokmaal = _table(client, "nb")
    assert "Dagtilbud" in bokmaal and "Poliklinikk" in bokmaal
    assert "Ukentlig på valgte dager" in bokmaal and "Mandag, Onsdag" in bokmaal
    assert "Norsk nynorsk" in bokmaal and "E-post" in bokmaal and "Avsluttet" in bokmaal
    assert "Behandler, DPS Nordre Aker" in bokmaal


def _audit_statements(app: Flask, client: FlaskClient, units: int) -> int:
    db: Database = app.extensions["fit_db"]
    with db.transaction() as session:
        for n in range(units):
            unit = Unit(
                code=f"count-{units}-{n}", name=f"Count {units} {n}", kind=UnitKind.OUTPATIENT
            )
            session.add(unit)
            session.flush()
            for action, fields in (
                ("unit_changed", {"kind": "day_programme"}),
                ("role_added", {"role": f"therapist@{unit.id}"}),
                ("programme_created", {"unit_id": unit.id, "code": "x", "name": "X"}),
            ):
                record_admin_change(
                    session,
                    staff_id=None,
                    action=action,
                    target_kind="unit",
                    target_id=unit.id,
                    after=fields,
                    at=NOW,
                )
    with count_statements(db.engine) as counter:
        html = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert f"Count {units} 0" in html
    return counter.count


def test_the_audit_page_costs_the_same_queries_for_2_and_16_units(
    app: Flask, client: FlaskClient
) -> None:
    admin = make_staff(app.extensions["fit_db"], (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    few = _audit_statements(app, client, 2)
    many = _audit_statements(app, client, 16)
    assert few == many


def test_an_administrator_made_on_the_command_line_before_roles_named_their_units_reads_in_words(
    app: Flask, client: FlaskClient
) -> None:
    """`create-admin` stored its account's role as the bare code ("admin") where an invitation
    stores role@unit, and the trail's first row showed `Roles: admin`. It now stores admin@all;
    a row stored the old way reads the same."""
    app.extensions["fit_clock"] = lambda: NOW
    db: Database = app.extensions["fit_db"]
    admin = make_staff(db, (Role.ADMIN, None))
    with db.transaction() as session:
        record_admin_change(
            session,
            staff_id=None,
            action="staff_created",
            target_kind="staff",
            target_id=admin.id,
            after={"username": admin.username, "roles": ["admin"]},
            at=NOW,
        )
    log_in(client, admin.username, PASSWORD)
    assert "Roles: Administrator, all units" in _table(client, "en")
    assert "Roller: Administrator, alle einingar" in _table(client, "nn")
