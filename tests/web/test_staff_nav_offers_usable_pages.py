"""The staff navigation offers a page only where it can do something for the person.

An administrator of a new service (no unit yet) saw "Groups" in the navigation; the page said
"You lead no groups yet" and its "Create a group" page that a group needs a unit where one is
a therapist. The entry now shows once there is a unit a group can belong to (or a group).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import Unit
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit, make_world
from tests.support.html import log_in

GROUPS_LINK = 'href="/groups/"'


def _nav(client: FlaskClient, path: str) -> str:
    html = client.get(path + "?lang=en").get_data(as_text=True)
    start = html.index('<nav aria-label="Staff"')
    return html[start : html.index("</nav>", start)]


def test_an_administrator_sees_groups_only_once_a_group_could_belong_to_a_unit(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    nav = _nav(client, "/admin/")
    assert GROUPS_LINK not in nav and "Groups" not in nav
    assert 'href="/admin/"' in nav  # the entries that work for them stay
    # Typed in anyway, the page says what to do rather than to become a therapist.
    create = client.get("/groups/new?lang=en").get_data(as_text=True)
    assert "create a unit first" in create and "where you are a therapist" not in create

    unit = make_unit(db)
    assert GROUPS_LINK in _nav(client, "/admin/")

    # An archived unit takes no new groups: the entry goes again.
    with db.transaction() as session:
        session.execute(
            update(Unit)
            .where(Unit.id == unit.id)
            .values(archived_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
        )
    assert GROUPS_LINK not in _nav(client, "/admin/")


def test_a_therapist_sees_groups_and_a_service_developer_does_not(app: Flask) -> None:
    db: Database = app.extensions["fit_db"]
    world = make_world(db)
    therapist = app.test_client()
    log_in(therapist, world.therapist_username, PASSWORD)
    assert GROUPS_LINK in _nav(therapist, "/clinician/")

    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    other = app.test_client()
    log_in(other, developer.username, PASSWORD)
    nav = _nav(other, "/staff/account")
    assert GROUPS_LINK not in nav and 'href="/admin/"' not in nav
