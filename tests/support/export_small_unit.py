"""The demo's synthetic service history with a unit of two patients beside it, and the
downloads a reader of the export can make: what the small-cell attack tests work on."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import InvitationState, Role
from tests.support.factories import (
    PASSWORD,
    add_history,
    make_invitation,
    make_staff,
    make_unit,
    make_world,
)
from tests.support.html import log_in
from tests.support.scheduling import Clock, oslo
from tests.support.service_history import seed_service_history

NOW = oslo(2026, 12, 2, 9, 0)
Q3 = "period=quarter&start=2026-07-01&end=2026-09-30"
# The small unit's patients answer in August: weekly, two invitations each.
SMALL_UNIT_START = dt.datetime(2026, 8, 3, 8, tzinfo=dt.UTC)
# Each of the small unit's patients scores the WAI-SR 40 and 44: their mean is 42.
SMALL_UNIT_ALLIANCE = (40, 44)


def export_db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def history_with_a_small_unit(client: FlaskClient) -> str:
    """The demo's synthetic history and a unit of two patients answering in August 2026
    (2026-Q3), logged in as a service developer; returns the small unit's name."""
    db = export_db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    seed_service_history(db, NOW)
    small = make_unit(db)
    for _ in range(2):
        world = make_world(db, unit=small, started_on=dt.date(2026, 7, 1))
        start = SMALL_UNIT_START
        for week in range(2):
            make_invitation(
                db,
                world,
                due_at=start + dt.timedelta(weeks=week),
                state=InvitationState.COMPLETED,
            )
        add_history(db, world, [18, 8], "phq9", start=start)
        add_history(db, world, [16, 6], "gad7", start=start)
        add_history(db, world, list(SMALL_UNIT_ALLIANCE), "wai_sr", start=start)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return small.name


def unit_ids(client: FlaskClient) -> dict[str, str]:
    """Unit name -> unit id, as the page's unit choice offers them."""
    html = client.get("/export/?lang=en").get_data(as_text=True)
    return dict(
        (name, unit_id) for unit_id, name in re.findall(r'<option value="(\d+)">([^<]+)<', html)
    )


def json_rows(client: FlaskClient, unit: str = "", choice: str = Q3) -> list[dict[str, Any]]:
    response = client.get(f"/export/aggregates.json?{choice}&unit={unit}")
    assert response.status_code == 200
    return response.get_json()["rows"]  # type: ignore[no-any-return]


def csv_rows(client: FlaskClient, unit: str = "", choice: str = Q3) -> list[dict[str, str]]:
    body = client.get(f"/export/aggregates.csv?{choice}&unit={unit}&separator=comma")
    assert body.status_code == 200
    return list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))


def page_rows(client: FlaskClient, unit_name: str, unit: str = "", choice: str = Q3) -> list[str]:
    """Every table row of the page about the unit, as HTML, in page order."""
    html = client.get(f"/export/?lang=en&{choice}&unit={unit}").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [row for row in rows if f'<th scope="row">{unit_name}</th>' in row]
