"""The administrator's unit and staff lists read as cards on a phone.

At 390 px the unit list was a table wider than the screen: the unit-lead column, where the
red "None: risk escalation reaches nobody" stands, was out of sight unless the administrator
scrolled the table sideways. Tables marked `reflow` become one card per row on a narrow
screen, each cell with its column name in front (site.css), as the caseload does.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in


def test_the_unit_and_staff_lists_reflow_with_every_column_named(
    app: Flask, client: FlaskClient
) -> None:
    db: Database = app.extensions["fit_db"]
    make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)

    units = client.get("/admin/units?lang=en").get_data(as_text=True)
    assert '<table class="reflow">' in units
    lead_cell = re.search(r'<td data-label="Unit leads">.*?</td>', units, re.S)
    assert lead_cell is not None and "risk escalation reaches nobody" in lead_cell.group(0)
    assert '<td data-label="Open episodes">' in units

    staff = client.get("/admin/staff?lang=nb").get_data(as_text=True)
    assert '<table class="reflow">' in staff
    assert '<td data-label="Roller">' in staff


def test_the_instruments_page_reflows_each_units_switches(app: Flask, client: FlaskClient) -> None:
    db: Database = app.extensions["fit_db"]
    make_unit(db)
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)

    page = client.get("/admin/instruments?lang=nb").get_data(as_text=True)
    units = page.split('<h2 id="units">', 1)[1]
    assert '<table class="reflow">' in units
    assert '<td data-label="Status">Slått på</td>' in units
